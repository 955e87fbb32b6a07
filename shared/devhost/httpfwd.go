package devhost

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ServeHTTP is devhost's public HTTP surface: the admin API under /admin/,
// and every HTTP-triggered function under the route prefix. A request no
// function's route and methods accept gets a 404 JSON body.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/admin/") {
		h.serveAdmin(w, r)
		return
	}
	fn, params := h.matchRoute(r)
	if fn == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no function serves %s %s", r.Method, r.URL.Path))
		return
	}
	if fn.forwarded {
		h.forward(w, r, fn)
		return
	}
	h.invokeHTTP(w, r, fn, params)
}

// matchRoute finds the function whose route (under the route prefix) and
// methods accept r, most specific route first.
func (h *Host) matchRoute(r *http.Request) (*function, map[string]string) {
	path := r.URL.EscapedPath()
	if prefix := h.app.Host.RoutePrefix(); prefix != "" {
		p := "/" + prefix
		switch {
		case strings.EqualFold(path, p):
			path = ""
		case len(path) > len(p) && strings.EqualFold(path[:len(p)+1], p+"/"):
			path = path[len(p):]
		default:
			return nil, nil
		}
	}
	segs, ok := pathSegments(path)
	if !ok {
		return nil, nil
	}
	for _, fn := range h.routes {
		params, ok := fn.route.match(segs)
		if !ok {
			continue
		}
		if len(fn.methods) > 0 && !slices.Contains(fn.methods, r.Method) {
			continue
		}
		return fn, params
	}
	return nil, nil
}

// queryPair is one parsed query parameter.
type queryPair struct{ key, value string }

// parseQuery parses a raw query as ASP.NET Core's QueryCollection does:
// '+' and %XX decoded, keys case-insensitive (the first spelling is kept),
// repeated keys joined with commas (StringValues.ToString()), first
// occurrence order kept.
func parseQuery(raw string) []queryPair {
	var out []queryPair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, kerr := url.QueryUnescape(k)
		v, verr := url.QueryUnescape(v)
		if kerr != nil || verr != nil || k == "" {
			continue
		}
		i := slices.IndexFunc(out, func(p queryPair) bool { return strings.EqualFold(p.key, k) })
		if i < 0 {
			out = append(out, queryPair{k, v})
			continue
		}
		out[i].value += "," + v
	}
	return out
}

// rebuildQuery writes the parsed query back as the forwarding host does
// (HttpRequestExtensions.ToHttpRequestMessage builds the URI from the
// parsed dictionary): one key=value per key, values percent-encoded with
// only RFC 3986 unreserved characters left as they are (so a joined value
// "a,b" goes out as "a%2Cb").
func rebuildQuery(pairs []queryPair) string {
	if len(pairs) == 0 {
		return ""
	}
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escapeUnreserved(p.key))
		b.WriteByte('=')
		b.WriteString(escapeUnreserved(p.value))
	}
	return "?" + b.String()
}

func escapeUnreserved(s string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

// hopHeaders are connection-level headers never copied across the hop.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func isHopHeader(k string) bool {
	return slices.ContainsFunc(hopHeaders, func(h string) bool { return strings.EqualFold(h, k) })
}

// forward sends the caller's request to the handler as the host does for
// an HTTP-only function with forwarding on (§3): original method and
// absolute path (route prefix included), the query rebuilt from the parsed
// dictionary, every caller header, the body only when Content-Length > 0,
// plus the host's headers. With only enableProxyingHttpRequest set, the
// newer host proxies instead: raw query and any body pass as they are.
// The handler's status, headers and body return unchanged; a 4xx or 5xx
// from the handler is not an invocation failure.
func (h *Host) forward(w http.ResponseWriter, r *http.Request, fn *function) {
	inv := h.newInvocation(fn, "http", r.Header.Get(HeaderTraceparent))
	ctx := r.Context()
	if h.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.timeout)
		defer cancel()
	}
	fail := func(err error) {
		h.logDone(inv, 0, err, slog.String("method", r.Method), slog.String("path", r.URL.Path))
		writeInvocationError(w, inv)
	}
	base, err := h.proc.endpoint(ctx)
	if err != nil {
		fail(err)
		return
	}
	proxying := !h.app.Host.CustomHandler.EnableForwardingHTTPRequest
	target := base + r.URL.EscapedPath()
	var body io.Reader
	if proxying {
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		if r.ContentLength != 0 {
			body = r.Body
		}
	} else {
		target += rebuildQuery(parseQuery(r.URL.RawQuery))
		if r.ContentLength > 0 {
			body = r.Body
		}
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, target, body)
	if err != nil {
		fail(err)
		return
	}
	if body != nil {
		out.ContentLength = r.ContentLength
	}
	for k, vs := range r.Header {
		if isHopHeader(k) || strings.EqualFold(k, "Content-Length") {
			continue
		}
		out.Header[k] = slices.Clone(vs)
	}
	out.Host = r.Host
	h.setHostHeaders(out.Header, inv, r.Header.Get("User-Agent"))
	resp, err := h.client.Do(out)
	if err != nil {
		fail(fmt.Errorf("forwarding to the handler: %w", err))
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		if !isHopHeader(k) {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, copyErr := io.Copy(w, resp.Body)
	h.logDone(inv, resp.StatusCode, copyErr, slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Bool("forwarded", true))
}

// writeInvocationError answers a failed HTTP invocation: 500, as the host
// does for a failed function, with the invocation id for the log.
func writeInvocationError(w http.ResponseWriter, inv *invocation) {
	writeJSON(w, http.StatusInternalServerError, map[string]any{
		"status": 500, "error": "internal server error", "invocationId": inv.id,
	})
}

// invokeHTTP runs a non-forwarded HTTP function: POST /<Name> with the
// §2.6 envelope, queue outputs written on success, and the http output
// (or $return) mapped back to the caller per §4.2. A failed invocation
// gives the caller a 500.
func (h *Host) invokeHTTP(w http.ResponseWriter, r *http.Request, fn *function, params map[string]string) {
	inv := h.newInvocation(fn, "http", r.Header.Get(HeaderTraceparent))
	var body []byte
	if r.ContentLength > 0 {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, maxResponseBytes)); err != nil {
			h.logDone(inv, 0, err)
			writeError(w, http.StatusBadRequest, "reading the request body failed")
			return
		}
	}
	env := httpEnvelope(fn, r, params, body, r.ContentLength > 0, inv.start)
	res, code, err := h.invokeEnvelope(r.Context(), inv, env)
	if err == nil {
		err = h.writeOutputs(r.Context(), fn, res)
	}
	var out *httpOut
	if err == nil {
		out, err = httpOutput(fn, res)
	}
	if err != nil {
		h.logDone(inv, code, err, slog.String("method", r.Method), slog.String("path", r.URL.Path))
		writeInvocationError(w, inv)
		return
	}
	for k, vs := range out.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(out.status)
	_, _ = w.Write(out.body)
	h.logDone(inv, code, nil, slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("response_status", out.status))
}

// anonymousIdentity is the ClaimsIdentity the host serializes for an
// anonymous caller (captured, functions-protocol.md §2.6).
const anonymousIdentity = `[{"AuthenticationType":null,"IsAuthenticated":false,"Actor":null,"BootstrapContext":null,"Claims":[],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}]`

// httpEnvelope is the request for a non-forwarded HTTP trigger
// (HttpRequestExtensions.GetRequestAsJObject, §2.6). Data.<binding> holds
// Url, Method, Query (string to string), Headers (string to array), Params
// (route values), Identities and, only when Content-Length > 0, Body (base64
// for application/octet-stream and multipart/*). Metadata mirrors each
// route and query value as a double-encoded key, then Query, Headers
// (string to string) and sys.
func httpEnvelope(fn *function, r *http.Request, params map[string]string, body []byte, hasBody bool, now time.Time) []byte {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := scheme + "://" + r.Host + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	query := parseQuery(r.URL.RawQuery)
	var q object
	for _, p := range query {
		q.add(p.key, quote(p.value))
	}

	hdr := r.Header.Clone()
	if hdr.Get("Host") == "" {
		hdr.Set("Host", r.Host)
	}
	if r.ContentLength > 0 && hdr.Get("Content-Length") == "" {
		hdr.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	keys := make([]string, 0, len(hdr))
	for k := range hdr {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var dataHeaders, metaHeaders object
	for _, k := range keys {
		arr, _ := json.Marshal(hdr[k])
		dataHeaders.add(k, arr)
		metaHeaders.add(k, quote(strings.Join(hdr[k], ",")))
	}

	var names []string
	for _, s := range fn.route.segs {
		if _, ok := params[s.param]; ok && s.param != "" {
			names = append(names, s.param)
		}
	}
	var ps object
	for _, n := range names {
		ps.add(n, quote(params[n]))
	}

	var req object
	req.add("Url", quote(u)).
		add("Method", quote(r.Method)).
		add("Query", q.raw()).
		add("Headers", dataHeaders.raw()).
		add("Params", ps.raw()).
		add("Identities", json.RawMessage(anonymousIdentity))
	if hasBody {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "application/octet-stream" || strings.HasPrefix(mt, "multipart/") {
			req.add("Body", quote(base64.StdEncoding.EncodeToString(body)))
		} else {
			req.add("Body", quote(string(body)))
		}
	}

	var data, meta object
	data.add(fn.trigger.Name, req.raw())
	seen := map[string]bool{}
	for _, n := range names {
		meta.add(n, doubleEncoded(params[n]))
		seen[strings.ToLower(n)] = true
	}
	for _, p := range query {
		if lk := strings.ToLower(p.key); !seen[lk] && lk != "query" && lk != "headers" && lk != "sys" {
			meta.add(p.key, doubleEncoded(p.value))
			seen[lk] = true
		}
	}
	meta.add("Query", q.raw()).add("Headers", metaHeaders.raw()).add("sys", sysObject(fn.name, now))
	return envelope(&data, &meta)
}

// httpOut is the response an http output binding describes.
type httpOut struct {
	status int
	header http.Header
	body   []byte
}

// errHTTPOutput is the host's "Failed while trying to Deserialize to
// httpOutputBindingResponse".
var errHTTPOutput = errors.New("http output is not an object with statusCode, headers and body")

// httpOutput maps the function's http output binding (or $return) to the
// caller's response (§4.2, HttpOutputBindingResponse): statusCode or status
// as a number or numeric string (default 200), headers as a string map, a
// string body written as it is, any other body as its JSON text (indented,
// as JToken.ToString() writes it). Without a Content-Type header a body is
// text/plain. A function with no http output value answers 204.
func httpOutput(fn *function, res *invokeResult) (*httpOut, error) {
	var raw json.RawMessage
	found := false
	for _, ob := range fn.outputs {
		if ob.typ == "http" {
			raw, found = res.output(ob.name)
			break
		}
	}
	if !found {
		return &httpOut{status: http.StatusNoContent, header: http.Header{}}, nil
	}
	if firstByte(raw) != '{' {
		return nil, errHTTPOutput
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", errHTTPOutput, err)
	}
	get := func(name string) (json.RawMessage, bool) {
		for k, v := range m {
			if strings.EqualFold(k, name) && firstByte(v) != 'n' {
				return v, true
			}
		}
		return nil, false
	}
	out := &httpOut{status: http.StatusOK, header: http.Header{}}
	sc, ok := get("statusCode")
	if !ok {
		sc, ok = get("status")
	}
	if ok {
		s := string(sc)
		if firstByte(sc) == '"' {
			_ = json.Unmarshal(sc, &s)
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 100 || n > 999 {
			return nil, fmt.Errorf("%w: statusCode %s", errHTTPOutput, sc)
		}
		out.status = n
	}
	if hv, ok := get("headers"); ok {
		var hm map[string]json.RawMessage
		if err := json.Unmarshal(hv, &hm); err != nil {
			return nil, fmt.Errorf("%w: headers: %v", errHTTPOutput, err)
		}
		for k, v := range hm {
			text, ok, err := tokenText(v)
			if err != nil {
				return nil, err
			}
			if ok {
				out.header.Set(k, string(text))
			}
		}
	}
	if bv, ok := get("body"); ok {
		text, ok, err := tokenText(bv)
		if err != nil {
			return nil, err
		}
		if ok {
			out.body = text
			if out.header.Get("Content-Type") == "" {
				out.header.Set("Content-Type", "text/plain; charset=utf-8")
			}
		}
	}
	return out, nil
}
