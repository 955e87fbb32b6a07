package alertdrill

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ThrottlingProxy is a reverse proxy in front of a Cosmos DB endpoint that
// answers a share of the requests itself with 429 Too Many Requests, the way
// Cosmos DB throttles when a partition exceeds its provisioned RU/s: status
// 429, substatus 3200, an x-ms-retry-after-ms header and a JSON error body.
// The rest are forwarded unchanged, Host header included, so the signed
// requests stay valid. One answer is edited: the database account (GET /)
// names the account's regional endpoints, and the SDK sends every later
// request there; the proxy puts its own address in place of the target's,
// or the client would bypass it after its first request.
//
// The share is applied deterministically (every 1/share-th request, not at
// random), so a drill throttles the same proportion every run. It is safe
// for concurrent use; SetThrottle takes effect for the next request.
type ThrottlingProxy struct {
	forward *httputil.ReverseProxy

	mu         sync.Mutex
	share      float64 // 0 forwards everything, 1 throttles everything
	credit     float64 // accumulated share; a request is throttled when it reaches 1
	retryAfter time.Duration

	forwarded, throttled atomic.Int64
}

// NewThrottlingProxy returns a proxy to target (scheme and host; the
// request path is kept) through transport (nil means
// http.DefaultTransport). It forwards everything until SetThrottle.
func NewThrottlingProxy(target *url.URL, transport http.RoundTripper) *ThrottlingProxy {
	p := &ThrottlingProxy{}
	p.forward = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
			if isAccountRead(r.In) {
				r.Out.Header.Del("Accept-Encoding") // the body is edited: plain text, please
			}
		},
		ModifyResponse: func(res *http.Response) error {
			if !isAccountRead(res.Request) || res.StatusCode != http.StatusOK {
				return nil
			}
			body, err := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if err != nil {
				return err
			}
			body = bytes.ReplaceAll(body, []byte(target.Scheme+"://"+target.Host), []byte(target.Scheme+"://"+res.Request.Host))
			res.Body = io.NopCloser(bytes.NewReader(body))
			res.ContentLength = int64(len(body))
			res.Header.Set("Content-Length", strconv.Itoa(len(body)))
			return nil
		},
		Transport: transport,
	}
	return p
}

// isAccountRead reports whether r reads the database account (GET /).
func isAccountRead(r *http.Request) bool {
	return r.Method == http.MethodGet && (r.URL.Path == "" || r.URL.Path == "/")
}

// SetThrottle makes the proxy answer share (0 to 1) of the requests with a
// 429 that asks the client to retry after retryAfter.
func (p *ThrottlingProxy) SetThrottle(share float64, retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.share = min(max(share, 0), 1)
	p.credit = 0
	p.retryAfter = retryAfter
}

// Counts returns how many requests were forwarded and how many throttled.
func (p *ThrottlingProxy) Counts() (forwarded, throttled int64) {
	return p.forwarded.Load(), p.throttled.Load()
}

func (p *ThrottlingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	throttle, retryAfter := p.next()
	if !throttle {
		p.forwarded.Add(1)
		p.forward.ServeHTTP(w, r)
		return
	}
	p.throttled.Add(1)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-ms-retry-after-ms", strconv.FormatInt(retryAfter.Milliseconds(), 10))
	h.Set("x-ms-substatus", "3200")
	h.Set("x-ms-request-charge", "0")
	if id := r.Header.Get("x-ms-activity-id"); id != "" {
		h.Set("x-ms-activity-id", id)
	}
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"code":"429","message":"Request rate is large. More Request Units may be needed, so no changes were made. (injected by the fault drill)"}`))
}

// next decides whether this request is throttled.
func (p *ThrottlingProxy) next() (bool, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.share <= 0 {
		return false, 0
	}
	p.credit += p.share
	if p.credit >= 1 {
		p.credit--
		return true, p.retryAfter
	}
	return false, 0
}
