package apperr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 200},
		{fmt.Errorf("%w: page_size", InvalidArgument), 400},
		{fmt.Errorf("cosmos.Get: %w", NotFound), 404},
		{&ParamError{Param: "q", Reason: "too long"}, 400},
		{errors.New("boom"), 500},
		{fmt.Errorf("es: %w", Unavailable), 503},
	} {
		if got := Status(tc.err); got != tc.want {
			t.Errorf("Status(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestWriteProblemHidesServerDetail(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
		wantDetail string
		wantParam  string
	}{
		{"client error keeps detail", &ParamError{Param: "page_size", Reason: "must be at most 100"}, 400, "must be at most 100", "page_size"},
		{"server error hides detail", errors.New("dial tcp 10.0.0.4:443: secret host"), 500, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteProblem(rec, httptest.NewRequest(http.MethodGet, "/api/search", nil), tc.err)
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type = %q", ct)
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Detail != tc.wantDetail || p.Param != tc.wantParam || p.Status != tc.wantStatus || p.Instance != "/api/search" {
				t.Errorf("problem = %+v", p)
			}
		})
	}
}

func TestWrapKeepsChain(t *testing.T) {
	f := func() (err error) {
		defer Wrap(&err, "cosmos.Get(%q)", "x")
		return NotFound
	}
	err := f()
	if !errors.Is(err, NotFound) || err.Error() != `cosmos.Get("x"): not found` {
		t.Errorf("got %v", err)
	}
}
