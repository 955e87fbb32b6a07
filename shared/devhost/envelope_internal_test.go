package devhost

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/funcdef"
)

// capture returns a captured host request from funchost's test data
// (ballerina-platform captures, byte for byte), compacted as Newtonsoft
// sends it.
func capture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "funchost", "testdata", "envelopes", name))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var randGUID = regexp.MustCompile(`"RandGuid":"[0-9a-f-]{36}"`)

// sameExceptRandGUID compares two envelopes, ignoring sys.RandGuid (random
// per invocation by design).
func sameExceptRandGUID(got, want []byte) bool {
	return bytes.Equal(randGUID.ReplaceAll(got, []byte(`"RandGuid":"x"`)), randGUID.ReplaceAll(want, []byte(`"RandGuid":"x"`)))
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestEnvelopesMatchCaptures rebuilds the captured requests from their
// values and compares byte for byte.
func TestEnvelopesMatchCaptures(t *testing.T) {
	exp, ins, next := mustTime(t, "2022-06-20T06:00:06Z"), mustTime(t, "2022-06-13T06:00:06.123Z"), mustTime(t, "2022-06-13T06:10:18.9Z")
	for _, tc := range []struct {
		name    string
		capture string
		got     []byte
	}{
		{"queue-string", "queue-string.json", queueEnvelope("queue", "inMsg", "", queueMessage{
			ID: "a0004923-f050-417a-9742-6d7c7b984134", PopReceipt: "AgAAAAMAAAAAAAAA8d5gQex+2AE=", DequeueCount: 1,
			InsertionTime: &ins, ExpirationTime: &exp, NextVisibleTime: &next, Body: []byte("aaaaa"),
		}, mustTime(t, "2022-06-13T06:00:18.1974545Z"))},
		{"timer-null", "timer-null.json", timerEnvelope("timer", "inMsg", nil, false, mustTime(t, "2022-07-05T11:40:07.4850616Z"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := capture(t, tc.capture)
			if !sameExceptRandGUID(tc.got, want) {
				t.Errorf("got  %s\nwant %s", tc.got, want)
			}
		})
	}
}

func TestEncodings(t *testing.T) {
	at := mustTime(t, "2026-01-15T09:15:01.0400000Z")
	for _, tc := range []struct {
		name, got, want string
	}{
		{"double-encoded string", string(doubleEncoded(`a"b<c>`)), `"\"a\\\"b<c>\""`},
		{"scalar", string(scalarEncoded(5)), `"5"`},
		{"wire date drops fraction", string(wireDate(at)), `"2026-01-15T09:15:01+00:00"`},
		{"UtcNow keeps 7 digits", utcNow(at), "2026-01-15T09:15:01.0400000Z"},
		{"local time trims zeros", localTime(at), "2026-01-15T09:15:01.04+00:00"},
		{"invalid UTF-8 is replaced", string(quote("a\xffb")), `"a` + "\uFFFD" + `b"`},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	if g := newGUID(); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(g) {
		t.Errorf("newGUID() = %s", g)
	}
	if tp := newTraceparent(); !regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`).MatchString(tp) {
		t.Errorf("newTraceparent() = %s", tp)
	}
}

func TestQueueMessages(t *testing.T) {
	for _, tc := range []struct {
		name, value, dataType string
		want                  []string
	}{
		{"array fans out", `["a b","c d"]`, "", []string{"a b", "c d"}},
		{"object indented, order and html kept", `{"z":"<&>","a":{},"b":[]}`, "", []string{"{\n  \"z\": \"<&>\",\n  \"a\": {},\n  \"b\": []\n}"}},
		{"string holding an object", `"{\"k\":1}"`, "", []string{"{\n  \"k\": 1\n}"}},
		{"base64 decoded", `"aGk="`, "", []string{"hi"}},
		{"whitespace ignored by base64", `"aG k="`, "", []string{"hi"}},
		{"empty string is empty base64", `""`, "", []string{""}},
		{"binary keeps base64 text", `"aGk="`, "binary", []string{"aGk="}},
		{"not base64 stays text", `"hello!"`, "", []string{"hello!"}},
		{"number", `42`, "", []string{"42"}},
		{"bools as .NET prints them", `[true,false]`, "", []string{"True", "False"}},
		{"null writes nothing", `[null]`, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := queueMessages(json.RawMessage(tc.value), tc.dataType)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range msgs {
				got = append(got, string(m))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHTTPOutput(t *testing.T) {
	fn := &function{outputs: []outputBinding{{name: "res", typ: "http"}}}
	ret := &function{outputs: []outputBinding{{name: "$return", typ: "http"}}}
	for _, tc := range []struct {
		name       string
		fn         *function
		resp       string
		wantStatus int
		wantCT     string
		wantBody   string
		wantErr    bool
	}{
		{"numeric string status", fn, `{"Outputs":{"res":{"statusCode":"201","body":"x"}}}`, 201, "text/plain; charset=utf-8", "x", false},
		{"status alias, object body", fn, `{"Outputs":{"res":{"status":404,"headers":{"content-type":"application/json"},"body":{"a":1}}}}`, 404, "application/json", "{\n  \"a\": 1\n}", false},
		{"case-insensitive members", fn, `{"outputs":{"res":{"StatusCode":202}}}`, 202, "", "", false},
		{"$return", ret, `{"ReturnValue":{"statusCode":200,"body":"r"}}`, 200, "text/plain; charset=utf-8", "r", false},
		{"missing output", fn, `{"Outputs":{}}`, 204, "", "", false},
		{"string output fails", fn, `{"Outputs":{"res":"hello"}}`, 0, "", "", true},
		{"bad status fails", fn, `{"Outputs":{"res":{"statusCode":"abc"}}}`, 0, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := parseResult("application/json", strings.NewReader(tc.resp))
			if err != nil {
				t.Fatal(err)
			}
			out, err := httpOutput(tc.fn, res)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if out.status != tc.wantStatus || out.header.Get("Content-Type") != tc.wantCT || string(out.body) != tc.wantBody {
				t.Errorf("got %d %q %q, want %d %q %q", out.status, out.header.Get("Content-Type"), out.body, tc.wantStatus, tc.wantCT, tc.wantBody)
			}
		})
	}
}

func TestParseResult(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		wantErr        bool
	}{
		{"json", "application/json", `{"Outputs":{},"Logs":[],"ReturnValue":null}`, false},
		{"json with charset", "application/json; charset=utf-8", `{}`, false},
		{"text/json", "text/json", `{}`, false},
		{"text/plain", "text/plain; charset=utf-8", `{}`, true},
		{"no content type", "", `{}`, true},
		{"empty body", "application/json", ``, true},
		{"not an object", "application/json", `[1]`, true},
	} {
		_, err := parseResult(tc.ct, strings.NewReader(tc.body))
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.name, err, tc.wantErr)
		}
	}
}

func TestQuery(t *testing.T) {
	for _, tc := range []struct {
		raw, want string
	}{
		{"a=1&b=2", "?a=1&b=2"},
		{"a=1&A=2&b=x+y", "?a=1%2C2&b=x%20y"},
		{"flag&x=%2F", "?flag=&x=%2F"},
		{"", ""},
		{"&&", ""},
	} {
		if got := rebuildQuery(parseQuery(tc.raw)); got != tc.want {
			t.Errorf("rebuildQuery(parseQuery(%q)) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestRoutes(t *testing.T) {
	for _, tc := range []struct {
		route, path string
		want        map[string]string // nil: no match
	}{
		{"media/{id}", "media/42", map[string]string{"id": "42"}},
		{"media/{id}", "MEDIA/abc", map[string]string{"id": "abc"}},
		{"media/{id}", "media", nil},
		{"media/{id}", "media/1/2", nil},
		{"orders/{id:int?}", "orders", map[string]string{}},
		{"orders/{id:int?}", "orders/7", map[string]string{"id": "7"}},
		{"orders/{id:int?}", "orders/x", nil},
		{"orders/{id:int}", "orders/99999999999", nil},
		{"files/{*rest}", "files/a/b%20c", map[string]string{"rest": "a/b c"}},
		{"x/{code:length(3)}", "x/abc", map[string]string{"code": "abc"}},
		{"x/{code:length(3)}", "x/ab", nil},
		{"x/{g:guid}", "x/0f6b1d52-8c4e-4b0f-a8a6-2a6e5c1d9e77", map[string]string{"g": "0f6b1d52-8c4e-4b0f-a8a6-2a6e5c1d9e77"}},
		{"x/{n:min(5)}", "x/4", nil},
		{"x/{a:alpha}", "x/abc", map[string]string{"a": "abc"}},
		{"x/{p=def}", "x", map[string]string{"p": "def"}},
	} {
		rt, err := parseRoute(tc.route)
		if err != nil {
			t.Fatalf("parseRoute(%q): %v", tc.route, err)
		}
		segs, _ := pathSegments(tc.path)
		got, ok := rt.match(segs)
		if (tc.want != nil) != ok || (ok && !equalMaps(got, tc.want)) {
			t.Errorf("%s ~ %s: got %v %v, want %v", tc.route, tc.path, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"a/{id:nope}", "a/{x}.{y}", "a/{*r}/b", "{opt?}/b"} {
		if _, err := parseRoute(bad); err == nil {
			t.Errorf("parseRoute(%q) accepted, want an error", bad)
		}
	}
	lit, _ := parseRoute("media/latest")
	par, _ := parseRoute("media/{id}")
	if slices.Compare(lit.rank(), par.rank()) >= 0 {
		t.Errorf("literal route does not rank before a parameter route")
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestSettings(t *testing.T) {
	dir := t.TempDir()
	sample := filepath.Join(dir, "local.settings.sample.json")
	if err := os.WriteFile(sample, []byte(`{"IsEncrypted":false,"Values":{"B":"file-b","A":"file-a","Q":"orders","Storage":"UseDevelopmentStorage=true"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	st, used, err := loadSettings(filepath.Join(dir, "local.settings.json"), sample, []string{"A=env-a"})
	if err != nil || used != sample {
		t.Fatalf("loadSettings = %v, %s; want the sample as fallback", err, used)
	}
	for _, tc := range []struct{ in, want string }{
		{"%Q%", "orders"},
		{"%Q%-poison", "orders-poison"},
		{"x-%A%-%B%", "x-env-a-file-b"},
		{"no expressions", "no expressions"},
		{"50%", "50%"},
	} {
		if got, err := st.expand(tc.in); err != nil || got != tc.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := st.expand("%MISSING%"); err == nil {
		t.Errorf("expand(%%MISSING%%) succeeded, want an error")
	}
	env := st.childEnv(map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "1234"})
	want := []string{"A=env-a", "B=file-b", "Q=orders", "Storage=UseDevelopmentStorage=true", "FUNCTIONS_CUSTOMHANDLER_PORT=1234"}
	if !slices.Equal(env, want) {
		t.Errorf("childEnv = %q, want %q (environment wins over the file, file order kept)", env, want)
	}
	if cs, err := st.connectionString("Storage"); err != nil || !strings.Contains(cs, "AccountName=devstoreaccount1") {
		t.Errorf("connectionString(Storage) = %q, %v", cs, err)
	}
	if _, err := st.connectionString("Nope"); err == nil {
		t.Errorf("connectionString(Nope) succeeded, want an error")
	}
}

func TestQueueOptions(t *testing.T) {
	o, err := newQueueOptions(funcdef.Queues{})
	if err != nil || o.batchSize != 16 || o.newBatchThreshold != 8 || o.maxDequeueCount != 5 ||
		o.visibilityTimeout != 0 || o.maxPollingInterval != 2*time.Second || !o.base64 {
		t.Errorf("defaults = %+v, %v", o, err)
	}
}

func TestParseSchedule(t *testing.T) {
	at := mustTime(t, "2026-01-15T09:15:01Z")
	for _, tc := range []struct {
		spec string
		next string // "" means invalid
	}{
		{"0 */5 * * * *", "2026-01-15T09:20:00Z"},
		{"0 30 2 * * *", "2026-01-16T02:30:00Z"},
		{"*/1 * * * * *", "2026-01-15T09:15:02Z"},
		{"0 30 9 * * 1-5", "2026-01-15T09:30:00Z"},
		{"0 30 9 * * 6", "2026-01-17T09:30:00Z"},
		{"00:00:15", "2026-01-15T09:15:16Z"},
		{"*/5 * * * *", ""},
		{"nonsense", ""},
	} {
		s, err := parseSchedule(tc.spec)
		if tc.next == "" {
			if err == nil {
				t.Errorf("parseSchedule(%q) accepted, want an error", tc.spec)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseSchedule(%q): %v", tc.spec, err)
			continue
		}
		if got := s.Next(at).UTC().Format(time.RFC3339); got != tc.next {
			t.Errorf("%q: next after %s = %s, want %s", tc.spec, at.Format(time.RFC3339), got, tc.next)
		}
	}
}

// TestWaitReady proves the host's readiness rule: any HTTP response, of
// any status, means ready; a server that accepts connections but never
// answers HTTP, or no server, means not ready.
func TestWaitReady(t *testing.T) {
	client := handlerClient()
	for _, status := range []int{200, 404, 500} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
		if err := waitReady(t.Context(), client, srv.URL+"/", time.Millisecond, nil); err != nil {
			t.Errorf("status %d: waitReady = %v, want ready", status, err)
		}
		srv.Close()
	}
	// Accepts and hangs up at once: a socket error every time.
	ln, err := newHangUpListener()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := contextWithTimeout(t, 300*time.Millisecond)
	defer cancel()
	if err := waitReady(ctx, client, "http://"+ln.Addr().String()+"/", 25*time.Millisecond, nil); err == nil {
		t.Errorf("waitReady on a hang-up server = nil, want not ready")
	}
	abort := make(chan struct{})
	close(abort)
	port, _ := freePort()
	if err := waitReady(t.Context(), client, "http://127.0.0.1:"+itoa(port)+"/", 25*time.Millisecond, abort); err == nil {
		t.Errorf("waitReady with nothing listening and the process gone = nil, want an error")
	}
}

func TestQueueOptionsRejects(t *testing.T) {
	for _, q := range []funcdef.Queues{
		{BatchSize: 33},
		{MessageEncoding: "utf8"},
		{MaxPollingInterval: "00:00:00.05"},
		{VisibilityTimeout: "soon"},
	} {
		if _, err := newQueueOptions(q); err == nil {
			t.Errorf("newQueueOptions(%+v) accepted, want an error", q)
		}
	}
}

// newHangUpListener accepts TCP connections and closes them at once.
func newHangUpListener() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln, nil
}

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}

func itoa(n int) string { return strconv.Itoa(n) }
