package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkRequestOverhead is the CPU cost telemetry adds to one request in
// process, without the network: the same trivial handler bare ("off") and
// behind the middleware with 10 % of traces sampled and spans batched to a
// discarding exporter ("on"). BENCHMARKS.md compares the difference with the
// search latency.
func BenchmarkRequestOverhead(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	tel, err := New(context.Background(), Config{SampleRatio: 0.1,
		SpanProcessors: []sdktrace.SpanProcessor{sdktrace.NewBatchSpanProcessor(tracetest.NewNoopExporter())}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"off", ok}, {"on", tel.Middleware("Search", ok)}} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/api/search?q=krant", nil)
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
