package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Limits every forwarded HTTP request gets, whatever the route (OWASP API4:
// unrestricted resource consumption). The API's routes are all GETs, so a body
// has no business being large; the time limit stays well under the 230 s the
// Azure load balancer allows an HTTP function.
const (
	maxRequestBody = 64 << 10
	maxURLLength   = 4096
	requestTimeout = 15 * time.Second
)

// apiSecurityHeaders are set on every API response before the handler runs;
// a handler may override them (the docs page sets its own CSP for its assets).
var apiSecurityHeaders = map[string]string{
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "no-referrer",
	"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'",
	"Cross-Origin-Resource-Policy": "same-origin",
	"Strict-Transport-Security":    "max-age=31536000",
}

// edges applies the per-request limits and security headers. It returns the
// request to use (with the deadline and the body limit) or an error the caller
// turns into problem details.
func edges(w http.ResponseWriter, r *http.Request) (*http.Request, context.CancelFunc, error) {
	h := w.Header()
	for k, v := range apiSecurityHeaders {
		h.Set(k, v)
	}
	if len(r.URL.RequestURI()) > maxURLLength {
		return r, func() {}, &apperr.ParamError{Param: "url", Reason: fmt.Sprintf("longer than %d characters", maxURLLength)}
	}
	if r.ContentLength > maxRequestBody {
		return r, func() {}, fmt.Errorf("%w: request body over %d bytes", apperr.InvalidArgument, maxRequestBody)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	return r.WithContext(ctx), cancel, nil
}
