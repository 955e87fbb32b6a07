package funchost

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// HTTPRequest is an HTTP trigger binding in the envelope, as the host sends
// it when the request is not forwarded (§2.6): forwarding is off, or the
// function has bindings besides httpTrigger and http.
type HTTPRequest struct {
	// URL is the caller's URL rebuilt as scheme://host/path?query
	// (wire key "Url").
	URL string
	// Method is the caller's method, e.g. "POST".
	Method string
	// Query maps each query parameter to its value; repeated keys are
	// joined with commas by the host.
	Query map[string]string
	// Headers are the caller's headers with canonicalized keys, so
	// Headers.Get works whatever case the caller used.
	Headers http.Header
	// Params holds the route values of function.json's route template.
	Params map[string]string
	// Identities are the ClaimsIdentity objects of the request principal.
	Identities []Identity
	// Body is the body exactly as sent on the wire: the raw text for most
	// content types, base64 for application/octet-stream and multipart/*.
	// Use BodyBytes for the decoded bytes. Empty when the request had no
	// Content-Length or a zero one (HasBody false).
	Body string
	// HasBody reports whether the envelope carried a Body key.
	HasBody bool
}

// Identity is one serialized .NET ClaimsIdentity. Anonymous requests carry
// one identity with IsAuthenticated false. Claims are kept raw: their
// serialized shape is not documented.
type Identity struct {
	AuthenticationType string
	IsAuthenticated    bool
	Name               string
	NameClaimType      string
	RoleClaimType      string
	Claims             []json.RawMessage
}

// UnmarshalJSON decodes the host's request object. Headers must map to
// arrays of strings; Params values may be strings or other JSON scalars,
// which are kept as their JSON text.
func (h *HTTPRequest) UnmarshalJSON(raw []byte) error {
	var w struct {
		URL        string                     `json:"Url"`
		Method     string                     `json:"Method"`
		Query      map[string]string          `json:"Query"`
		Headers    map[string][]string        `json:"Headers"`
		Params     map[string]json.RawMessage `json:"Params"`
		Identities []Identity                 `json:"Identities"`
		Body       json.RawMessage            `json:"Body"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	*h = HTTPRequest{
		URL:        w.URL,
		Method:     w.Method,
		Query:      w.Query,
		Identities: w.Identities,
	}
	if len(w.Headers) > 0 {
		h.Headers = make(http.Header, len(w.Headers))
		for k, vs := range w.Headers {
			k = http.CanonicalHeaderKey(k)
			h.Headers[k] = append(h.Headers[k], vs...)
		}
	}
	if len(w.Params) > 0 {
		h.Params = make(map[string]string, len(w.Params))
		for k, v := range w.Params {
			switch firstByte(v) {
			case '"':
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return fmt.Errorf("route value %q: %w", k, err)
				}
				h.Params[k] = s
			case '{', '[':
				return fmt.Errorf("route value %q: want scalar, got %s", k, kindOf(v))
			case 'n':
				h.Params[k] = ""
			default:
				h.Params[k] = string(v)
			}
		}
	}
	switch firstByte(w.Body) {
	case 0, 'n':
		// No Body key: the caller sent no Content-Length > 0.
	case '"':
		if err := json.Unmarshal(w.Body, &h.Body); err != nil {
			return fmt.Errorf("body: %w", err)
		}
		h.HasBody = true
	default:
		// Not documented; keep a JSON body's text rather than fail.
		h.Body, h.HasBody = string(w.Body), true
	}
	return nil
}

// BodyBytes returns the decoded request body: base64-decoded when the
// Content-Type is application/octet-stream or multipart/* (the host's
// binary types), the Body text as bytes otherwise. It returns nil for a
// request without body.
func (h *HTTPRequest) BodyBytes() ([]byte, error) {
	if !h.HasBody {
		return nil, nil
	}
	if !binaryContentType(h.Headers.Get("Content-Type")) {
		return []byte(h.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(h.Body)
	if err != nil {
		return nil, fmt.Errorf("funchost: HTTP body: %w: not base64: %w", ErrWrongType, err)
	}
	return b, nil
}

func binaryContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/octet-stream" || strings.HasPrefix(mt, "multipart/")
}

// HTTPRequest decodes the HTTP trigger binding Data[name]. It must be a
// JSON object; anything else wraps [ErrWrongType].
func (r *InvokeRequest) HTTPRequest(name string) (*HTTPRequest, error) {
	raw, err := r.object("Data", name)
	if err != nil {
		return nil, err
	}
	var h HTTPRequest
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, bindingErr("Data", name, err)
	}
	return &h, nil
}

// HTTPResponse is the value of an "http" output binding in a non-forwarded
// invocation (§4.2): put it in Outputs under the binding's name, or in
// ReturnValue when the binding is named "$return". It must encode as a
// JSON object; the host rejects any other value for an http output.
type HTTPResponse struct {
	// StatusCode is the caller's status. Zero is omitted, and the host
	// then uses 200.
	StatusCode int `json:"statusCode,omitempty"`
	// Headers are response headers. Set "Content-Type" yourself; with a
	// string Body the host's default is text/plain.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is a string (written as it is) or any value that encodes as a
	// JSON object or array (written as JSON; set Content-Type
	// application/json). Do not use []byte: it encodes as base64 text,
	// which the host writes literally. Nil omits the body.
	Body any `json:"body,omitempty"`
}
