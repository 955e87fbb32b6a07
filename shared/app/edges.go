package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Limits every forwarded HTTP request gets unless routeLimits says otherwise
// (OWASP API4: unrestricted resource consumption). Most routes are GETs or
// small JSON POSTs, so a body has no business being large; the time limit
// stays well under the 230 s the Azure load balancer allows an HTTP function.
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

// limits are one route's body size and time limits.
type limits struct {
	body    int64
	timeout time.Duration
}

// routeLimits are the functions whose limits differ from the defaults, each
// for a reason: a dry-run validation uploads a supplier file (larger ones are
// checked offline with mediactl validate), and an export streams up to
// maxExportRows rows. Both stay well under the 230 s Azure allows an HTTP
// function.
var routeLimits = map[string]limits{
	"ValidateSupplierFile": {body: maxValidateBody, timeout: 60 * time.Second},
	"B2BExport":            {body: maxRequestBody, timeout: 120 * time.Second},
}

func limitsOf(function string) limits {
	if l, ok := routeLimits[function]; ok {
		return l
	}
	return limits{body: maxRequestBody, timeout: requestTimeout}
}

// edges applies the function's limits and the security headers. It returns
// the request to use (with the deadline and the body limit) or an error the
// caller turns into problem details.
func edges(w http.ResponseWriter, r *http.Request, function string) (*http.Request, context.CancelFunc, error) {
	lim := limitsOf(function)
	h := w.Header()
	for k, v := range apiSecurityHeaders {
		h.Set(k, v)
	}
	if len(r.URL.RequestURI()) > maxURLLength {
		return r, func() {}, &apperr.ParamError{Param: "url", Reason: fmt.Sprintf("longer than %d characters", maxURLLength)}
	}
	if r.ContentLength > lim.body {
		return r, func() {}, fmt.Errorf("%w: request body over %d bytes", apperr.InvalidArgument, lim.body)
	}
	r.Body = http.MaxBytesReader(w, r.Body, lim.body)
	ctx, cancel := context.WithTimeout(r.Context(), lim.timeout)
	return r.WithContext(ctx), cancel, nil
}
