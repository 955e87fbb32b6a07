package app

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/health"
)

func TestEdgesOnEveryAPIResponse(t *testing.T) {
	h := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Health: health.New(time.Second, nil)}).Handler()
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"normal request", httptest.NewRequest(http.MethodGet, "/api/health/live", nil), http.StatusOK},
		{"oversized body", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/api/health/live", strings.NewReader(strings.Repeat("x", maxRequestBody+1)))
			return r
		}(), http.StatusBadRequest},
		{"overlong URL", httptest.NewRequest(http.MethodGet, "/api/health/live?pad="+strings.Repeat("a", maxURLLength), nil), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req)
			if rec.Code != tc.status {
				t.Errorf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			for k, v := range apiSecurityHeaders {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
