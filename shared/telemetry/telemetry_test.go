package telemetry

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func newTest(t *testing.T, ratio float64) (*Telemetry, *tracetest.InMemoryExporter) {
	t.Helper()
	tel, err := New(context.Background(), Config{SampleRatio: ratio})
	if err != nil {
		t.Fatal(err)
	}
	spans := tracetest.NewInMemoryExporter()
	tel.tracerProvider.RegisterSpanProcessor(sdktraceSyncer(spans))
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel, spans
}

func scrape(t *testing.T, tel *Telemetry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func TestMiddlewareJoinsHostTraceAndRecordsRED(t *testing.T) {
	tel, spans := newTest(t, 1) // the host's trace is joined by trace id and parent, checked below
	var buf bytes.Buffer
	logger := NewLogger(&buf, slog.LevelInfo)
	h := tel.Middleware("Search", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "inside")
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for _, target := range []string{"/api/search?q=a", "/api/search?fail=1", "/api/search?q=b"} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("traceparent", tp)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	got := spans.GetSpans()
	if len(got) != 3 {
		t.Fatalf("%d spans, want 3", len(got))
	}
	for _, s := range got {
		if s.SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || s.Parent.SpanID().String() != "b7ad6b7169203331" {
			t.Errorf("span %s does not join the host's trace: %v parent %v", s.Name, s.SpanContext.TraceID(), s.Parent.SpanID())
		}
		if s.Name != "Search" || s.SpanKind != trace.SpanKindServer {
			t.Errorf("span %q kind %v", s.Name, s.SpanKind)
		}
	}
	if !strings.Contains(buf.String(), `"trace_id":"0af7651916cd43dd8448eb211c80319c"`) {
		t.Errorf("log lines without the trace id:\n%s", buf.String())
	}
	m := scrape(t, tel)
	for _, want := range []string{
		`mediaspecs_function_requests_total{function="Search",status_class="2xx"} 2`,
		`mediaspecs_function_requests_total{function="Search",status_class="5xx"} 1`,
		`mediaspecs_function_errors_total{function="Search"} 1`,
		`mediaspecs_function_duration_seconds_bucket{function="Search",status_class="2xx",le="0.3"} 2`,
		`mediaspecs_function_duration_seconds_count{function="Search",status_class="5xx"} 1`,
		`go_goroutines`,
	} {
		if !containsMetric(m, want) {
			t.Errorf("metrics lack %s\n%s", want, grepMetrics(m, "mediaspecs_"))
		}
	}
}

// containsMetric matches a sample line, ignoring extra labels the exporter
// may add after the wanted ones are in place.
func containsMetric(text, want string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, want) || l == want {
			return true
		}
	}
	return false
}

func grepMetrics(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestRootTracesFollowSampleRatio(t *testing.T) {
	tel, spans := newTest(t, 0)
	h := tel.Middleware("Suggest", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/suggest", nil))
	if n := len(spans.GetSpans()); n != 0 {
		t.Errorf("ratio 0 sampled %d root spans", n)
	}
	tel, spans = newTest(t, 1)
	h = tel.Middleware("Suggest", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/suggest", nil))
	if n := len(spans.GetSpans()); n != 1 {
		t.Errorf("ratio 1 sampled %d root spans", n)
	}
}

func TestPanicCountsAsError(t *testing.T) {
	tel, _ := newTest(t, 1)
	h := tel.Middleware("ReindexMedia", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/ReindexMedia", nil))
	}()
	if m := scrape(t, tel); !containsMetric(m, `mediaspecs_function_errors_total{function="ReindexMedia"} 1`) {
		t.Errorf("panic not counted:\n%s", grepMetrics(m, "mediaspecs_"))
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	cfg := ConfigFromEnv(env())
	if cfg.SampleRatio != DefaultSampleRatio || cfg.OTLPEndpoint != "" || cfg.ServiceName != "mediaspecs-handler" {
		t.Errorf("defaults: %+v", cfg)
	}
	// TRACE_SAMPLE_RATIO is shared/config's now: ConfigFromEnv ignores it.
	cfg = ConfigFromEnv(env("TRACE_SAMPLE_RATIO", "0.5", "OTEL_SERVICE_NAME", "svc", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"))
	if cfg.SampleRatio != DefaultSampleRatio || cfg.OTLPEndpoint != "http://127.0.0.1:4318" || cfg.ServiceName != "svc" {
		t.Errorf("set: %+v", cfg)
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{200: "2xx", 304: "3xx", 404: "4xx", 503: "5xx", 0: "5xx"} {
		if got := StatusClass(status); got != want {
			t.Errorf("StatusClass(%d) = %s", status, got)
		}
	}
}
