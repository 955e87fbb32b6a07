package telemetry

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ObserveQueues reports the approximate message count of each queue that
// count returns (queue name → count) as mediaspecs_queue_messages{queue},
// calling count at each collection (a Prometheus scrape, an OTLP export).
// Queues it leaves out (say, a poison queue the host has not created yet)
// have no sample.
func (t *Telemetry) ObserveQueues(count func(ctx context.Context) map[string]int64) error {
	if t == nil {
		return nil
	}
	_, err := t.meter.Int64ObservableGauge(MetricQueueMessages, metric.WithUnit("{message}"),
		metric.WithDescription("Approximate number of messages in a queue."),
		metric.WithInt64Callback(func(ctx context.Context, o metric.Int64Observer) error {
			for q, n := range count(ctx) {
				o.Observe(n, metric.WithAttributeSet(attribute.NewSet(attribute.String("queue", q))))
			}
			return nil
		}))
	return err
}

// RecordBulkRejections counts bulk items Elasticsearch rejected.
func (t *Telemetry) RecordBulkRejections(ctx context.Context, n int) {
	if t == nil || n <= 0 {
		return
	}
	t.bulkRejection.Add(ctx, int64(n))
}

// RecordDependency records one HTTP call to a dependency ("cosmos",
// "elasticsearch", "storage"); charge is the Cosmos request charge, or 0.
func (t *Telemetry) RecordDependency(ctx context.Context, dependency string, status int, d time.Duration, charge float64) {
	if t == nil {
		return
	}
	code := "error" // no response at all
	if status > 0 {
		code = strconv.Itoa(status)
	}
	set := metric.WithAttributeSet(attribute.NewSet(
		attribute.String("dependency", dependency), attribute.String("status_code", code)))
	t.depRequests.Add(ctx, 1, set)
	t.depDuration.Record(ctx, d.Seconds(), set)
	if charge > 0 {
		t.cosmosCharge.Add(ctx, charge, metric.WithAttributeSet(attribute.NewSet(attribute.String("status_code", code))))
	}
}

// AzurePolicy is an azcore per-retry policy that records every HTTP attempt
// an Azure SDK client makes (status code, duration, and for Cosmos DB the
// x-ms-request-charge), so 429s show up even when the client retries them.
// Add it to the client's ClientOptions.PerRetryPolicies.
func (t *Telemetry) AzurePolicy(dependency string) policy.Policy {
	return azurePolicy{t: t, dependency: dependency}
}

type azurePolicy struct {
	t          *Telemetry
	dependency string
}

func (p azurePolicy) Do(req *policy.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := req.Next()
	status := 0
	var charge float64
	if resp != nil {
		status = resp.StatusCode
		if v := resp.Header.Get("x-ms-request-charge"); v != "" {
			charge, _ = strconv.ParseFloat(v, 64)
		}
	}
	p.t.RecordDependency(req.Raw().Context(), p.dependency, status, time.Since(start), charge)
	return resp, err
}

// HTTPDependency wraps the HTTP transport of a client that has no azcore
// pipeline (the Elasticsearch client): every attempt, retries included, is
// recorded like [Telemetry.AzurePolicy] does, and the span in the request's
// context (the client's own span for the call, see search.WithTracing) gets
// the response status; 5xx and 429 mark it as an error, each failed attempt
// is an event, and a success after failed attempts sets the status back to
// OK, so a retried call that succeeded does not count as failed. Nil
// telemetry returns next unchanged.
func (t *Telemetry) HTTPDependency(dependency string, next http.RoundTripper) http.RoundTripper {
	if t == nil {
		return next
	}
	return dependencyTransport{t: t, dependency: dependency, next: next}
}

type dependencyTransport struct {
	t          *Telemetry
	dependency string
	next       http.RoundTripper
}

func (d dependencyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := d.next.RoundTrip(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	ctx := req.Context()
	d.t.RecordDependency(ctx, d.dependency, status, time.Since(start), 0)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		if status > 0 {
			span.SetAttributes(attribute.Int("http.response.status_code", status))
		}
		switch {
		case err != nil || status >= 500 || status == http.StatusTooManyRequests:
			desc := http.StatusText(status)
			if err != nil {
				desc = err.Error()
			}
			span.AddEvent("attempt failed", trace.WithAttributes(attribute.Int("http.response.status_code", status)))
			span.SetStatus(codes.Error, desc)
		case status < 400:
			if ro, ok := span.(sdktrace.ReadOnlySpan); ok && ro.Status().Code == codes.Error {
				span.SetStatus(codes.Ok, "succeeded after a retry")
			}
		}
	}
	return resp, err
}
