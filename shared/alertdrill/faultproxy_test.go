package alertdrill

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

func TestThrottlingProxyThrottlesItsShareAndForwardsTheRest(t *testing.T) {
	var upstreamHosts []string
	var upstream *httptest.Server
	upstream = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamHosts = append(upstreamHosts, r.Host)
		if r.URL.Path == "/" { // the database account names its endpoints
			_, _ = io.WriteString(w, `{"writableLocations":[{"databaseAccountEndpoint":"`+upstream.URL+`/"}]}`)
			return
		}
		_, _ = io.WriteString(w, "upstream "+r.URL.Path)
	}))
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL)
	proxy := NewThrottlingProxy(target, nil)
	front := httptest.NewServer(proxy)
	defer front.Close()

	get := func() (*http.Response, string) {
		t.Helper()
		res, err := http.Get(front.URL + "/dbs/d/colls/c/docs/x")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	// Untouched: everything reaches the upstream, with the proxy's host.
	res, body := get()
	if res.StatusCode != http.StatusOK || body != "upstream /dbs/d/colls/c/docs/x" {
		t.Fatalf("before SetThrottle: %d %q, want the upstream's answer", res.StatusCode, body)
	}
	if frontHost := front.Listener.Addr().String(); upstreamHosts[0] != frontHost {
		t.Errorf("upstream saw Host %q, want the proxy's %q", upstreamHosts[0], frontHost)
	}

	// The account read names the proxy, so the client keeps using it.
	res, err := http.Get(front.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	account, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if want := `{"writableLocations":[{"databaseAccountEndpoint":"` + front.URL + `/"}]}`; string(account) != want {
		t.Errorf("account read through the proxy = %s, want %s", account, want)
	}

	proxy.SetThrottle(0.25, 150*time.Millisecond)
	throttled := 0
	for range 40 {
		res, _ := get()
		switch res.StatusCode {
		case http.StatusTooManyRequests:
			throttled++
			if got := res.Header.Get("x-ms-retry-after-ms"); got != "150" {
				t.Errorf("x-ms-retry-after-ms = %q, want 150", got)
			}
			if got := res.Header.Get("x-ms-substatus"); got != "3200" {
				t.Errorf("x-ms-substatus = %q, want 3200", got)
			}
		case http.StatusOK:
		default:
			t.Fatalf("status %d", res.StatusCode)
		}
	}
	if throttled != 10 {
		t.Errorf("throttled %d of 40 at share 0.25, want 10", throttled)
	}
	if fwd, thr := proxy.Counts(); fwd != 32 || thr != 10 {
		t.Errorf("Counts = %d forwarded, %d throttled; want 32, 10", fwd, thr)
	}

	proxy.SetThrottle(0, 0)
	for range 5 {
		if res, _ := get(); res.StatusCode != http.StatusOK {
			t.Fatalf("after SetThrottle(0): %d, want 200", res.StatusCode)
		}
	}
}
