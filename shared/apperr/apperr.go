// Package apperr classifies errors and maps them, in one table, to HTTP
// statuses and RFC 9457 problem details. Code classifies an error by wrapping
// one of the sentinels (fmt.Errorf("%w: page_size over 100", apperr.InvalidArgument));
// adapters translate SDK errors into sentinels at their edge.
package apperr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Sentinels. Each comment states the HTTP meaning.
var (
	// InvalidArgument: the request is malformed or a parameter is out of range (400).
	InvalidArgument = errors.New("invalid argument")
	// Unauthenticated: no or an invalid credential (401).
	Unauthenticated = errors.New("unauthenticated")
	// PermissionDenied: authenticated, but not allowed (403).
	PermissionDenied = errors.New("permission denied")
	// NotFound: the resource does not exist or is not visible to the caller (404).
	NotFound = errors.New("not found")
	// Conflict: a precondition or concurrent change prevented the operation (409).
	Conflict = errors.New("conflict")
	// TooManyRequests: a rate limit or quota is exhausted (429).
	TooManyRequests = errors.New("too many requests")
	// Unavailable: a dependency is down or the capability is not served (503).
	Unavailable = errors.New("unavailable")
)

var codes = []struct {
	err    error
	status int
}{
	{InvalidArgument, http.StatusBadRequest},
	{Unauthenticated, http.StatusUnauthorized},
	{PermissionDenied, http.StatusForbidden},
	{NotFound, http.StatusNotFound},
	{Conflict, http.StatusConflict},
	{TooManyRequests, http.StatusTooManyRequests},
	{Unavailable, http.StatusServiceUnavailable},
}

// Status maps err to an HTTP status: the first sentinel it wraps, else 500.
func Status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.status
		}
	}
	return http.StatusInternalServerError
}

// Wrap adds the operation name to *errp when it is non-nil, keeping the
// chain for errors.Is: defer apperr.Wrap(&err, "cosmos.Get(%q)", id).
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Param names the offending request parameter, when there is one.
	Param string `json:"param,omitempty"`
}

// ParamError is an InvalidArgument about one named request parameter.
type ParamError struct {
	Param  string
	Reason string
}

func (e *ParamError) Error() string { return fmt.Sprintf("%s: %s", e.Param, e.Reason) }

// Unwrap classifies every ParamError as InvalidArgument.
func (e *ParamError) Unwrap() error { return InvalidArgument }

// ProblemFor builds the problem for err. Client errors (4xx) carry the error
// text as detail, since it was written for the caller; server errors carry only
// the status text, never internal detail.
func ProblemFor(err error, instance string) Problem {
	status := Status(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Instance: instance}
	if status < 500 {
		p.Detail = err.Error()
		var pe *ParamError
		if errors.As(err, &pe) {
			p.Param = pe.Param
			p.Detail = pe.Reason
		}
	}
	return p
}

// WriteProblem writes err as application/problem+json and returns the status.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) int {
	p := ProblemFor(err, r.URL.Path)
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
	return p.Status
}
