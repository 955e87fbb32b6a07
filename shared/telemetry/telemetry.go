// Package telemetry sets up OpenTelemetry for the handler: traces (W3C trace
// context honoured, ratio sampling), metrics (RED per function) exposed in
// Prometheus format on the handler's local GET /metrics and, when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, both exported over OTLP/HTTP (the route
// out of Azure, where the host never forwards /metrics), plus the slog
// handlers that put trace ids on every log line and keep secrets and personal
// data out of them (see log.go).
//
// [Setup] installs one [Telemetry] as the process default; [Instrument] and
// the other package-level helpers use it and are no-ops until then, so tests
// that build the app without telemetry need nothing.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of everything this package records.
const ScopeName = "github.com/mediaspecs/catalogue/shared/telemetry"

// DefaultSampleRatio is the share of new traces sampled when nothing is set.
const DefaultSampleRatio = 0.1

// Metric names as OpenTelemetry instruments; the Prometheus exporter turns
// dots into underscores and adds the unit and _total suffixes:
//
//	mediaspecs.function.requests  -> mediaspecs_function_requests_total
//	mediaspecs.function.errors    -> mediaspecs_function_errors_total
//	mediaspecs.function.duration  -> mediaspecs_function_duration_seconds (histogram)
//
// Labels: function (the Azure Functions name), status_class (2xx, 3xx, 4xx,
// 5xx). The alert rules in infra/observability/rules use these names; a test
// keeps them in step.
const (
	MetricRequests = "mediaspecs.function.requests"
	MetricErrors   = "mediaspecs.function.errors"
	MetricDuration = "mediaspecs.function.duration"
	// MetricLastSuccess -> mediaspecs_function_last_success_timestamp_seconds
	// (gauge, Unix time of the function's last 2xx/3xx), for the nightly
	// job and index freshness alerts.
	MetricLastSuccess = "mediaspecs.function.last_success_timestamp"
	// MetricQueueMessages -> mediaspecs_queue_messages{queue} (gauge,
	// approximate message count, read at collection time; see
	// [Telemetry.ObserveQueues]).
	MetricQueueMessages = "mediaspecs.queue.messages"
	// MetricDependencyRequests -> mediaspecs_dependency_requests_total
	// {dependency, status_code} and MetricDependencyDuration ->
	// mediaspecs_dependency_duration_seconds: one per HTTP call a client
	// makes to Cosmos DB, Elasticsearch or Storage (see [Telemetry.AzurePolicy]).
	MetricDependencyRequests = "mediaspecs.dependency.requests"
	MetricDependencyDuration = "mediaspecs.dependency.duration"
	// MetricCosmosCharge -> mediaspecs_cosmos_request_charge_total{status_code}
	// (request units, from x-ms-request-charge).
	MetricCosmosCharge = "mediaspecs.cosmos.request_charge"
	// MetricBulkRejections -> mediaspecs_search_bulk_rejections_total: bulk
	// items Elasticsearch rejected (429, es_rejected_execution_exception).
	MetricBulkRejections = "mediaspecs.search.bulk_rejections"
)

// DurationBuckets are the duration histogram's bounds in seconds: fine below
// a second for the HTTP routes (0.3 is the search latency SLO threshold), and
// up to the 30-minute function timeout for ingestion and the nightly job.
var DurationBuckets = []float64{
	0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10,
	30, 60, 120, 300, 600, 1800,
}

// Config says how telemetry is set up.
type Config struct {
	// ServiceName is the service.name resource attribute.
	ServiceName string
	// SampleRatio is the share of new root traces sampled, 0..1; a sampled
	// parent (the host's traceparent, a queue message's) is always followed.
	// The handler takes it from TRACE_SAMPLE_RATIO (shared/config).
	SampleRatio float64
	// OTLPEndpoint, when set, exports traces and metrics over OTLP/HTTP; the
	// exporters read the rest of their settings (headers, paths) from the
	// standard OTEL_EXPORTER_OTLP_* variables.
	OTLPEndpoint string
	// SpanProcessors are added to the tracer provider besides the OTLP
	// exporter's batcher: tests register an in-memory exporter, the overhead
	// benchmark a batcher with a discarding exporter.
	SpanProcessors []sdktrace.SpanProcessor
}

// ConfigFromEnv reads the standard OpenTelemetry variables the handler uses,
// OTEL_SERVICE_NAME and OTEL_EXPORTER_OTLP_ENDPOINT, with lookup
// (os.LookupEnv in production). They stay out of shared/config on purpose:
// the OTLP exporters read the whole OTEL_EXPORTER_OTLP_* family themselves
// (headers, per-signal endpoints, timeouts) as the specification defines, and
// here the endpoint only switches the export on. SampleRatio is left at
// DefaultSampleRatio: the handler sets it from config (TRACE_SAMPLE_RATIO).
func ConfigFromEnv(lookup func(string) (string, bool)) Config {
	cfg := Config{ServiceName: "mediaspecs-handler", SampleRatio: DefaultSampleRatio}
	if v, ok := lookup("OTEL_SERVICE_NAME"); ok && v != "" {
		cfg.ServiceName = v
	}
	if v, ok := lookup("OTEL_EXPORTER_OTLP_ENDPOINT"); ok {
		cfg.OTLPEndpoint = v
	}
	return cfg
}

// Telemetry holds the providers and the instruments.
type Telemetry struct {
	tracerProvider *sdktrace.TracerProvider
	meterProvider  *sdkmetric.MeterProvider
	registry       *prometheus.Registry
	tracer         trace.Tracer

	requests metric.Int64Counter
	errors   metric.Int64Counter
	duration metric.Float64Histogram
	lastOK   metric.Float64Gauge

	depRequests   metric.Int64Counter
	depDuration   metric.Float64Histogram
	cosmosCharge  metric.Float64Counter
	bulkRejection metric.Int64Counter

	// The catalogue's own metrics (catalogue.go).
	catalogue catalogueInstruments

	meter metric.Meter
}

// New builds the providers and exporters. It does not touch the process
// defaults; see [Setup].
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	return newWithReaders(ctx, cfg)
}

// newWithReaders is [New] with extra metric readers (tests add an SDK
// manual reader).
func newWithReaders(ctx context.Context, cfg Config, extra ...sdkmetric.Reader) (*Telemetry, error) {
	if cfg.SampleRatio < 0 || cfg.SampleRatio > 1 {
		return nil, fmt.Errorf("telemetry: sample ratio %v is not between 0 and 1", cfg.SampleRatio)
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = "mediaspecs-handler"
	}
	res, err := serviceResource(cfg.ServiceName)
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	promExp, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
		otelprom.WithoutScopeInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promExp)}
	for _, r := range extra {
		mopts = append(mopts, sdkmetric.WithReader(r))
	}
	topts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler(cfg.SampleRatio)),
	}
	if cfg.OTLPEndpoint != "" {
		// The exporters read OTEL_EXPORTER_OTLP_ENDPOINT (and headers,
		// timeouts) themselves, as the specification defines.
		texp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP trace exporter: %w", err)
		}
		mexp, err := otlpmetrichttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP metric exporter: %w", err)
		}
		topts = append(topts, sdktrace.WithBatcher(texp))
		mopts = append(mopts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp)))
	}
	for _, sp := range cfg.SpanProcessors {
		topts = append(topts, sdktrace.WithSpanProcessor(sp))
	}
	t := &Telemetry{
		tracerProvider: sdktrace.NewTracerProvider(topts...),
		meterProvider:  sdkmetric.NewMeterProvider(mopts...),
		registry:       reg,
	}
	t.tracer = t.tracerProvider.Tracer(ScopeName)
	meter := t.meterProvider.Meter(ScopeName)
	var errs []error
	var e error
	t.requests, e = meter.Int64Counter(MetricRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Requests and invocations handled, by function and status class."))
	errs = append(errs, e)
	t.errors, e = meter.Int64Counter(MetricErrors, metric.WithUnit("{request}"),
		metric.WithDescription("Requests and invocations that failed with a 5xx status, by function."))
	errs = append(errs, e)
	t.duration, e = meter.Float64Histogram(MetricDuration, metric.WithUnit("s"),
		metric.WithDescription("Time to handle a request or invocation, by function and status class."),
		metric.WithExplicitBucketBoundaries(DurationBuckets...))
	errs = append(errs, e)
	t.lastOK, e = meter.Float64Gauge(MetricLastSuccess, metric.WithUnit("s"),
		metric.WithDescription("Unix time of the function's last successful request or invocation."))
	errs = append(errs, e)
	t.depRequests, e = meter.Int64Counter(MetricDependencyRequests, metric.WithUnit("{request}"),
		metric.WithDescription("HTTP calls to a dependency, by dependency and status code."))
	errs = append(errs, e)
	t.depDuration, e = meter.Float64Histogram(MetricDependencyDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP calls to a dependency."),
		metric.WithExplicitBucketBoundaries(DurationBuckets...))
	errs = append(errs, e)
	t.cosmosCharge, e = meter.Float64Counter(MetricCosmosCharge, metric.WithUnit("{RU}"),
		metric.WithDescription("Cosmos DB request units charged (x-ms-request-charge)."))
	errs = append(errs, e)
	t.bulkRejection, e = meter.Int64Counter(MetricBulkRejections, metric.WithUnit("{item}"),
		metric.WithDescription("Bulk items Elasticsearch rejected for back-pressure."))
	errs = append(errs, e)
	t.meter = meter
	errs = append(errs, t.catalogue.init(meter))
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(fmt.Errorf("telemetry: instruments: %w", err), t.Shutdown(ctx))
	}
	// A counter of rare events exports no series until its first increment;
	// starting it at 0 lets dashboards and increase() see the first one.
	t.bulkRejection.Add(ctx, 0)
	return t, nil
}

// MetricsHandler serves the metrics in Prometheus text format.
func (t *Telemetry) MetricsHandler() http.Handler {
	if t == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{})
}

// TracerProvider is the SDK tracer provider.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tracerProvider }

// MeterProvider is the SDK meter provider.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.meterProvider }

// Shutdown flushes pending spans and metrics and stops the exporters.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return errors.Join(t.tracerProvider.Shutdown(ctx), t.meterProvider.Shutdown(ctx))
}

var current atomic.Pointer[Telemetry]

// Setup builds telemetry with [New] and installs it as the process default:
// for [Instrument], [MetricsHandler], and the OpenTelemetry globals (so
// libraries with their own OpenTelemetry hooks join the same traces).
func Setup(ctx context.Context, cfg Config) (*Telemetry, error) {
	t, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	SetDefault(t)
	return t, nil
}

// SetDefault installs t as the process default (nil uninstalls it for this
// package's helpers; the OpenTelemetry globals keep the last one set).
func SetDefault(t *Telemetry) {
	current.Store(t)
	if t != nil {
		otel.SetTracerProvider(t.tracerProvider)
		otel.SetMeterProvider(t.meterProvider)
		otel.SetTextMapPropagator(propagator)
	}
}

// Default returns the process default, or nil before [Setup].
func Default() *Telemetry { return current.Load() }

// MetricsHandler serves the default's metrics, 404 before [Setup].
func MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Default().MetricsHandler().ServeHTTP(w, r)
	})
}

// propagator reads and writes the W3C traceparent/tracestate and baggage.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// sampler decides which traces are recorded. Spans with a parent in this
// process follow it (a trace is never cut in half). A parent from outside —
// the traceparent the Functions host forwards, or one carried in a queue
// message — does not decide: its sampled flag reflects the host's own
// sampling (devhost marks every invocation sampled), which would make
// TRACE_SAMPLE_RATIO moot. Instead the ratio applies to its trace id, which is
// deterministic, so every process of one flow (ingest, then reindex) makes the
// same decision for the same trace.
func sampler(ratio float64) sdktrace.Sampler {
	byID := sdktrace.TraceIDRatioBased(ratio)
	return sdktrace.ParentBased(byID,
		sdktrace.WithRemoteParentSampled(byID),
		sdktrace.WithRemoteParentNotSampled(byID))
}
