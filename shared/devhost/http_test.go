package devhost_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

// call sends a request to devhost and returns status, headers and body.
func call(t *testing.T, method, url string, body io.Reader, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// chunked hides a reader's length so the client sends it chunked, with no
// Content-Length.
type chunked struct{ io.Reader }

// TestHTTPForwarded proves the forwarding rule for a function whose
// bindings are exactly httpTrigger + http, with forwarding on: the handler
// sees the caller's method, path (with /api) and query (rebuilt: repeated
// keys comma-joined), the caller's headers plus the host's, and the body
// only when Content-Length > 0; its status, headers and body come back
// unchanged. Routes, constraints and methods decide what is forwarded.
func TestHTTPForwarded(t *testing.T) {
	h := start(t, options{})
	for _, tc := range []struct {
		name       string
		method     string
		path       string
		body       io.Reader
		header     map[string]string
		wantStatus int
		wantPath   string // "" means the handler must not be called
		wantQuery  string
		wantBody   string
	}{
		{name: "path and query", method: "GET", path: "/api/echo/42?b=2&a=x%20y", wantStatus: 200, wantPath: "/api/echo/42", wantQuery: "b=2&a=x%20y"},
		{name: "repeated keys comma-joined", method: "GET", path: "/api/echo/7?a=1&b=x&A=3", wantStatus: 200, wantPath: "/api/echo/7", wantQuery: "a=1%2C3&b=x"},
		{name: "optional route value", method: "GET", path: "/api/echo", wantStatus: 200, wantPath: "/api/echo"},
		{name: "route is case-insensitive", method: "GET", path: "/API/Echo/1", wantStatus: 200, wantPath: "/API/Echo/1"},
		{name: "handler error status passes through", method: "GET", path: "/api/echo/1", header: map[string]string{"X-Test-Status": "418"}, wantStatus: 418, wantPath: "/api/echo/1"},
		{name: "body with content length", method: "POST", path: "/api/echo/2", body: strings.NewReader("hello body"), wantStatus: 200, wantPath: "/api/echo/2", wantBody: "hello body"},
		{name: "chunked body is dropped", method: "POST", path: "/api/echo/3", body: chunked{strings.NewReader("lost")}, wantStatus: 200, wantPath: "/api/echo/3", wantBody: ""},
		{name: "int constraint", method: "GET", path: "/api/echo/abc", wantStatus: 404},
		{name: "method not allowed", method: "DELETE", path: "/api/echo/1", wantStatus: 404},
		{name: "unknown route", method: "GET", path: "/api/nothing", wantStatus: 404},
		{name: "route prefix required", method: "GET", path: "/echo/1", wantStatus: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{"X-Case": tc.name, "User-Agent": "test-agent/1.0", "traceparent": callerTrace, "X-Custom": "kept"}
			for k, v := range tc.header {
				hdr[k] = v
			}
			status, rh, body := call(t, tc.method, h.base+tc.path, tc.body, hdr)
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", status, tc.wantStatus, body)
			}
			var recs []record
			for _, r := range h.records() {
				if r.Header.Get("X-Case") == tc.name {
					recs = append(recs, r)
				}
			}
			if tc.wantPath == "" {
				if len(recs) != 0 {
					t.Errorf("handler got %d requests, want none", len(recs))
				}
				if ct := rh.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("404 Content-Type = %q, want JSON", ct)
				}
				return
			}
			if len(recs) != 1 {
				t.Fatalf("handler got %d requests, want 1", len(recs))
			}
			rec := recs[0]
			if rec.Method != tc.method || rec.Path != tc.wantPath || rec.RawQuery != tc.wantQuery || rec.Body != tc.wantBody {
				t.Errorf("handler saw %s %s ?%s body %q; want %s %s ?%s body %q",
					rec.Method, rec.Path, rec.RawQuery, rec.Body, tc.method, tc.wantPath, tc.wantQuery, tc.wantBody)
			}
			checkHostHeaders(t, rec, "test-agent/1.0 "+hostUserAgent, callerTrace)
			if got := rec.Header.Get("X-Custom"); got != "kept" {
				t.Errorf("X-Custom = %q, want the caller's header", got)
			}
			if rh.Get("X-Fake-Handler") != "1" || !strings.Contains(body, `"path":"`+tc.wantPath+`"`) {
				t.Errorf("response headers %v body %s: want the handler's response unchanged", rh, body)
			}
		})
	}
}

// TestHTTPEnvelope proves that an HTTP function with another binding (a
// queue output) is not forwarded: the handler gets POST /Orders with the
// §2.6 envelope, and its http output and queue output are mapped back
// (§4.2), including the failure cases.
func TestHTTPEnvelope(t *testing.T) {
	h := start(t, options{})
	for _, tc := range []struct {
		name        string
		response    string // the scripted handler answer (a devhostTest object)
		wantStatus  int
		wantHeader  map[string]string
		wantBody    string
		wantQueue   []string
		contentType string
	}{
		{
			name:        "http and queue outputs",
			response:    `{"body":{"Outputs":{"res":{"statusCode":"201","headers":{"Content-Type":"application/json","X-Order":"7"},"body":{"ok":true}},"outq":{"order":7}},"Logs":["made"],"ReturnValue":null}}`,
			contentType: "application/json",
			wantStatus:  201, wantHeader: map[string]string{"Content-Type": "application/json", "X-Order": "7"},
			wantBody: "{\n  \"ok\": true\n}", wantQueue: []string{"{\n  \"order\": 7\n}"},
		},
		{
			name:     "string body defaults to text/plain and status 200",
			response: `{"body":{"Outputs":{"res":{"body":"hi there"}}}}`, contentType: "text/plain",
			wantStatus: 200, wantHeader: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, wantBody: "hi there",
		},
		{
			name:     "no http output is 204",
			response: `{"body":{"Outputs":{}}}`, contentType: "application/json", wantStatus: 204,
		},
		{
			name:     "non-object http output fails",
			response: `{"body":{"Outputs":{"res":"hello"}}}`, contentType: "application/json", wantStatus: 500,
		},
		{
			name:     "handler failure is a 500 and writes no output",
			response: `{"status":500,"body":{"Outputs":{"outq":{"never":true}}}}`, contentType: "application/json", wantStatus: 500,
		},
		{
			name:     "a text/plain response envelope fails",
			response: `{"contentType":"text/plain","body":"{}"}`, contentType: "application/json", wantStatus: 500,
		},
		{
			name:     "an octet-stream body travels as base64",
			response: `{"body":{"Outputs":{"res":{"statusCode":200}}}}`, contentType: "application/octet-stream", wantStatus: 200,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqBody := `{"devhostTest":` + tc.response + `}`
			status, rh, body := call(t, "POST", h.base+"/api/orders/7?x=1&x=2", strings.NewReader(reqBody), map[string]string{
				"X-Case": tc.name, "Content-Type": tc.contentType, "User-Agent": "test-agent/1.0", "traceparent": callerTrace,
			})
			switch {
			case status != tc.wantStatus:
				t.Errorf("status = %d, want %d (body %s)", status, tc.wantStatus, body)
			case status == 500:
				var e struct{ InvocationID string }
				if json.Unmarshal([]byte(body), &e) != nil || e.InvocationID == "" {
					t.Errorf("500 body = %s, want JSON with the invocation id", body)
				}
			case body != tc.wantBody:
				t.Errorf("body = %q, want %q", body, tc.wantBody)
			}
			for k, v := range tc.wantHeader {
				if got := rh.Get(k); got != v {
					t.Errorf("response header %s = %q, want %q", k, got, v)
				}
			}
			var rec record
			for _, r := range h.recordsFor("/Orders") {
				if strings.Contains(r.Body, `\"X-Case\":[\"`+tc.name) || strings.Contains(r.Body, `"X-Case":["`+tc.name+`"]`) {
					rec = r
				}
			}
			if rec.Path == "" {
				t.Fatalf("no POST /Orders for this case")
			}
			if rec.Method != "POST" || rec.RawQuery != "" {
				t.Errorf("handler saw %s %s?%s, want POST /Orders", rec.Method, rec.Path, rec.RawQuery)
			}
			checkHostHeaders(t, rec, hostUserAgent, callerTrace)
			checkHTTPEnvelope(t, h, rec, reqBody, tc.contentType)
			got := drain(t, h.out)
			var decoded []string
			for _, m := range got {
				b, _ := base64.StdEncoding.DecodeString(m)
				decoded = append(decoded, string(b))
			}
			if !slices.Equal(decoded, tc.wantQueue) {
				t.Errorf("queue output = %q, want %q", decoded, tc.wantQueue)
			}
		})
	}
}

// checkHTTPEnvelope checks the §2.6 envelope of POST /api/orders/7?x=1&x=2.
func checkHTTPEnvelope(t *testing.T, h *harness, rec record, reqBody, contentType string) {
	t.Helper()
	req, err := funchost.ParseRequest([]byte(rec.Body))
	if err != nil {
		t.Fatalf("funchost.ParseRequest: %v", err)
	}
	if got := objectKeys(t, req.Data["req"]); !slices.Equal(got, []string{"Url", "Method", "Query", "Headers", "Params", "Identities", "Body"}) {
		t.Errorf("Data.req keys = %v, want Url Method Query Headers Params Identities Body", got)
	}
	if got := objectKeys(t, mustRaw(t, rec.Body, "Metadata")); !slices.Equal(got, []string{"id", "x", "Query", "Headers", "sys"}) {
		t.Errorf("Metadata keys = %v, want id x Query Headers sys", got)
	}
	hr, err := req.HTTPRequest("req")
	if err != nil {
		t.Fatalf("HTTPRequest: %v", err)
	}
	if hr.URL != h.base+"/api/orders/7?x=1&x=2" || hr.Method != "POST" || hr.Query["x"] != "1,2" || hr.Params["id"] != "7" {
		t.Errorf("request = %s %s query %v params %v", hr.Method, hr.URL, hr.Query, hr.Params)
	}
	if hr.Headers.Get("User-Agent") != "test-agent/1.0" || hr.Headers.Get("Content-Type") != contentType {
		t.Errorf("headers = %v, want the caller's", hr.Headers)
	}
	if len(hr.Identities) != 1 || hr.Identities[0].IsAuthenticated {
		t.Errorf("identities = %+v, want one anonymous identity", hr.Identities)
	}
	b, err := hr.BodyBytes()
	if err != nil || string(b) != reqBody {
		t.Errorf("body = %q, %v; want %q", b, err, reqBody)
	}
	if contentType == "application/octet-stream" && hr.Body != base64.StdEncoding.EncodeToString([]byte(reqBody)) {
		t.Errorf("octet-stream body on the wire = %q, want base64", hr.Body)
	}
	var id, x string
	if err := req.DecodeMetadata("id", &id); err != nil || id != "7" || string(req.Metadata["id"]) != `"\"7\""` {
		t.Errorf("Metadata.id = %s, want \"\\\"7\\\"\"", req.Metadata["id"])
	}
	if err := req.DecodeMetadata("x", &x); err != nil || x != "1,2" {
		t.Errorf("Metadata.x = %s, want the double-encoded \"1,2\"", req.Metadata["x"])
	}
	var mh map[string]string
	if err := json.Unmarshal(req.Metadata["Headers"], &mh); err != nil || mh["User-Agent"] != "test-agent/1.0" {
		t.Errorf("Metadata.Headers = %s, want a string map with the caller's headers", req.Metadata["Headers"])
	}
	if sys, err := req.Sys(); err != nil || sys.MethodName != "Orders" {
		t.Errorf("sys = %+v, %v", sys, err)
	}
}

func mustRaw(t *testing.T, doc, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return m[key]
}

// objectKeys returns the keys of a JSON object in wire order.
func objectKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestHTTPForwardingOff runs the app whose host.json leaves forwarding
// off: even an HTTP-only function then gets POST /<Name> with the envelope,
// and no Body key when the request has none.
func TestHTTPForwardingOff(t *testing.T) {
	h := start(t, options{app: "app-plain"})
	status, _, _ := call(t, "GET", h.base+"/api/echo/5?q=1", nil, map[string]string{"User-Agent": "test-agent/1.0"})
	if status != http.StatusNoContent {
		t.Errorf("status = %d, want 204 (no http output value)", status)
	}
	recs := h.waitRecords("/HttpEcho", 1)
	req, err := funchost.ParseRequest([]byte(recs[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	hr, err := req.HTTPRequest("req")
	if err != nil {
		t.Fatal(err)
	}
	if hr.Method != "GET" || hr.HasBody || hr.Params["id"] != "5" || hr.Query["q"] != "1" {
		t.Errorf("request = %+v, want GET with id 5, q 1 and no body", hr)
	}
	if _, ok := mapKeys(req.Data["req"])["Body"]; ok {
		t.Errorf("Data.req has a Body key for a request without one")
	}
	checkHostHeaders(t, recs[0], hostUserAgent, "")
}

func mapKeys(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return m
}
