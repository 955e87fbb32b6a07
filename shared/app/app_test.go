package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/health"
)

func testServer(t *testing.T, checks map[string]health.Check) http.Handler {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return New(Deps{Logger: log, Health: health.New(200*time.Millisecond, checks)}).Handler()
}

func TestReadinessAnswersWithoutDependencies(t *testing.T) {
	h := testServer(t, map[string]health.Check{"cosmos": func(ctx context.Context) error {
		t.Error("GET / ran a dependency check")
		return nil
	}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("GET / = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestHealth(t *testing.T) {
	for _, tc := range []struct {
		name       string
		storageErr error
		wantStatus int
		wantState  string
	}{
		{"all up", nil, http.StatusOK, "up"},
		{"storage down", errors.New("dial tcp 127.0.0.1:10000: connection refused"), http.StatusServiceUnavailable, "down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testServer(t, map[string]health.Check{
				"cosmos":  func(context.Context) error { return nil },
				"storage": func(context.Context) error { return tc.storageErr },
			})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/health", nil))
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			var rep health.Report
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Dependencies["storage"].State != tc.wantState || rep.Dependencies["cosmos"].State != "up" {
				t.Errorf("report = %+v", rep)
			}
			if strings.Contains(rec.Body.String(), "127.0.0.1") {
				t.Errorf("health body leaks an address: %s", rec.Body)
			}
		})
	}
}

func TestUnknownRouteIsProblem(t *testing.T) {
	h := testServer(t, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/nope", nil))
	if rec.Code != http.StatusNotFound || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("GET /api/nope = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestUnservedQueueFunctionFailsInvocation(t *testing.T) {
	h := testServer(t, nil)
	rec := httptest.NewRecorder()
	body := `{"Data":{"batch":"\"{\\\"ids\\\":[\\\"x\\\"]}\""},"Metadata":{"DequeueCount":"1"}}`
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/ReindexMedia", strings.NewReader(body)))
	if rec.Code < 500 {
		t.Errorf("status = %d, want a failure so the host retries and poisons", rec.Code)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Errorf("failure body is not JSON: %q", rec.Body)
	}
}
