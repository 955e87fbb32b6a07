package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// TestHandlerServesMetricsAndInstrumentsFunctions: GET /metrics answers in
// Prometheus format, and both a forwarded HTTP route and a host invocation
// envelope are counted under their function names.
func TestHandlerServesMetricsAndInstrumentsFunctions(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Config{SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	telemetry.SetDefault(tel)
	t.Cleanup(func() {
		telemetry.SetDefault(nil)
		_ = tel.Shutdown(context.Background())
	})
	h := New(Deps{Logger: slog.New(slog.DiscardHandler)}).Handler()

	req := httptest.NewRequest(http.MethodGet, "/api/docs", nil)
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	// No ReindexMedia body in Deps: the invocation fails with 500.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/ReindexMedia", strings.NewReader(`{"Data":{},"Metadata":{}}`)))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`mediaspecs_function_requests_total{function="ApiDocs",status_class="2xx"} 1`,
		`mediaspecs_function_requests_total{function="ReindexMedia",status_class="5xx"} 1`,
		`mediaspecs_function_errors_total{function="ReindexMedia"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
