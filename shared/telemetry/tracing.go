package telemetry

import (
	"context"
	"fmt"

	aztracing "github.com/Azure/azure-sdk-for-go/sdk/azcore/tracing"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// AzureTracing is the tracing provider for an Azure SDK client
// (policy.ClientOptions.TracingProvider): azcore then makes a client span per
// SDK operation (azcosmos adds db.cosmosdb.request_charge and the status code
// to it) and one per HTTP attempt, as children of the span in the call's
// context. Nil telemetry gives the zero provider, which traces nothing.
func (t *Telemetry) AzureTracing() aztracing.Provider {
	if t == nil {
		return aztracing.Provider{}
	}
	return AzureTracingProvider(t.tracerProvider)
}

// AzureTracingProvider adapts an OpenTelemetry tracer provider to azcore's
// tracing abstraction. The Azure SDK's own adapter
// (github.com/Azure/azure-sdk-for-go/sdk/tracing/azotel) is not served by the
// module proxy this project may use; this is the same mapping, kept small.
func AzureTracingProvider(tp trace.TracerProvider) aztracing.Provider {
	return aztracing.NewProvider(func(name, version string) aztracing.Tracer {
		tracer := tp.Tracer(name, trace.WithInstrumentationVersion(version))
		return aztracing.NewTracer(func(ctx context.Context, spanName string, opts *aztracing.SpanOptions) (context.Context, aztracing.Span) {
			var sopts []trace.SpanStartOption
			if opts != nil {
				sopts = append(sopts, trace.WithSpanKind(trace.SpanKind(opts.Kind)), trace.WithAttributes(azureAttributes(opts.Attributes)...))
			}
			ctx, span := tracer.Start(ctx, spanName, sopts...)
			return ctx, azureSpan(span)
		}, &aztracing.TracerOptions{SpanFromContext: func(ctx context.Context) aztracing.Span {
			return azureSpan(trace.SpanFromContext(ctx))
		}})
	}, nil)
}

// azureSpan wraps an OpenTelemetry span for azcore. azcore's span kinds and
// status codes have the OpenTelemetry values (internal 1 … consumer 5;
// unset 0, error 1, ok 2).
func azureSpan(span trace.Span) aztracing.Span {
	return aztracing.NewSpan(aztracing.SpanImpl{
		End:           func() { span.End() },
		SetAttributes: func(a ...aztracing.Attribute) { span.SetAttributes(azureAttributes(a)...) },
		AddEvent: func(name string, a ...aztracing.Attribute) {
			span.AddEvent(name, trace.WithAttributes(azureAttributes(a)...))
		},
		SetStatus: func(code aztracing.SpanStatus, desc string) {
			switch code {
			case aztracing.SpanStatusError:
				span.SetStatus(codes.Error, desc)
			case aztracing.SpanStatusOK:
				span.SetStatus(codes.Ok, desc)
			}
		},
	})
}

func azureAttributes(in []aztracing.Attribute) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(in))
	for _, a := range in {
		switch v := a.Value.(type) {
		case string:
			out = append(out, attribute.String(a.Key, v))
		case int:
			out = append(out, attribute.Int(a.Key, v))
		case int32:
			out = append(out, attribute.Int64(a.Key, int64(v)))
		case int64:
			out = append(out, attribute.Int64(a.Key, v))
		case float32:
			out = append(out, attribute.Float64(a.Key, float64(v)))
		case float64:
			out = append(out, attribute.Float64(a.Key, v))
		case bool:
			out = append(out, attribute.Bool(a.Key, v))
		case []string:
			out = append(out, attribute.StringSlice(a.Key, v))
		case fmt.Stringer:
			out = append(out, attribute.String(a.Key, v.String()))
		default:
			out = append(out, attribute.String(a.Key, fmt.Sprint(v)))
		}
	}
	return out
}

// TraceParent is the W3C traceparent of the span in ctx, or "" when ctx
// carries no valid span context. Producers put it into queue messages so the
// consumer continues the trace ([StartMessageSpan]).
func TraceParent(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return carrier.Get("traceparent")
}

// StartMessageSpan starts the span that processes one queue message whose
// producer sent the W3C traceparent tp (an empty or malformed tp is ignored).
//
// With a valid tp the span continues the producer's trace (its parent is the
// producer's span) and links to the invocation span in ctx: a reindex message
// is processed alone, so, as the OpenTelemetry messaging conventions allow
// for single-message processing, the producer is the parent and the whole
// supplier drop → upsert → reindex flow is one trace, while the link keeps
// the way to the host's invocation (whose trace id the host's own telemetry
// records). The sampling decision is the producer's (parent-based sampling),
// so a sampled ingestion is followed through its reindexing.
//
// Without tp the span is a child of the invocation span. The tracer is the
// one that made the invocation span, so nothing is recorded when telemetry is
// off (the returned context then still carries the producer's span context,
// for log correlation). End the span when the message is done.
func StartMessageSpan(ctx context.Context, name, tp string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	invocation := trace.SpanFromContext(ctx)
	tracer := invocation.TracerProvider().Tracer(ScopeName)
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...)}
	parent := ctx
	if tp != "" {
		remote := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": tp})
		if rsc := trace.SpanContextFromContext(remote); rsc.IsValid() {
			parent = trace.ContextWithRemoteSpanContext(ctx, rsc)
			if isc := invocation.SpanContext(); isc.IsValid() {
				opts = append(opts, trace.WithLinks(trace.Link{SpanContext: isc,
					Attributes: []attribute.KeyValue{attribute.String("link.kind", "invocation")}}))
			}
		}
	}
	return tracer.Start(parent, name, opts...)
}
