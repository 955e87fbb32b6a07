package telemetry

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TestSamplerAppliesTheRatioToRemoteParents: the host's sampled flag does not
// decide (devhost marks every invocation sampled); the ratio does, by trace
// id, the same way in every process; local children follow their parent.
func TestSamplerAppliesTheRatioToRemoteParents(t *testing.T) {
	remote := func(sampled bool, id byte) context.Context {
		flags := trace.TraceFlags(0)
		if sampled {
			flags = trace.FlagsSampled
		}
		sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{id, 1}, SpanID: trace.SpanID{1}, TraceFlags: flags, Remote: true})
		return trace.ContextWithRemoteSpanContext(context.Background(), sc)
	}
	decide := func(s sdktrace.Sampler, ctx context.Context) sdktrace.SamplingDecision {
		sc := trace.SpanContextFromContext(ctx)
		return s.ShouldSample(sdktrace.SamplingParameters{ParentContext: ctx, TraceID: sc.TraceID(), Name: "x"}).Decision
	}
	if d := decide(sampler(0), remote(true, 0xff)); d != sdktrace.Drop {
		t.Errorf("ratio 0 with a sampled remote parent: %v, want Drop", d)
	}
	if d := decide(sampler(1), remote(false, 0xff)); d != sdktrace.RecordAndSample {
		t.Errorf("ratio 1 with an unsampled remote parent: %v, want RecordAndSample", d)
	}
	// Ratio 0.5: the decision depends on the trace id only, not on the flag.
	s := sampler(0.5)
	for _, id := range []byte{0x00, 0x10, 0x7f, 0x80, 0xf0} {
		if a, b := decide(s, remote(true, id)), decide(s, remote(false, id)); a != b {
			t.Errorf("trace id %x: sampled flag changed the decision (%v vs %v)", id, a, b)
		}
	}
	// A local parent is followed.
	local := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xff, 1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled}))
	if d := decide(sampler(0), local); d != sdktrace.RecordAndSample {
		t.Errorf("ratio 0 with a sampled local parent: %v, want RecordAndSample (never cut a trace)", d)
	}
}
