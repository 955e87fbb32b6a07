package devhost_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/mediaspecs/catalogue/shared/funchost"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

const (
	guidPattern    = `[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`
	utcNowPattern  = `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z`
	wireDatePat    = `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00`
	hostVersion    = "4.1037.0.0"
	hostUserAgent  = "Azure-Functions-Host/" + hostVersion
	callerTrace    = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	traceparentPat = `^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`
)

// quoteNoHTML is a JSON string literal as Newtonsoft writes it (no HTML escaping).
func quoteNoHTML(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func wireDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") + "+00:00" }

// recordWith waits for a request to path whose body contains s.
func (h *harness) recordWith(t *testing.T, path, s string) record {
	t.Helper()
	var got record
	waitFor(t, func() bool {
		for _, r := range h.recordsFor(path) {
			if strings.Contains(r.Body, s) {
				got = r
				return true
			}
		}
		return false
	}, "a request to %s containing %q", path, s)
	return got
}

// TestQueueEnvelope proves that a queue message reaches the handler as
// the exact §2.4 envelope: message text double-encoded, DequeueCount a
// string, dates in whole seconds with +00:00, Id and PopReceipt
// double-encoded, sys with MethodName, a 7-digit UtcNow and RandGuid — and
// that funchost, the handler side, decodes it back.
func TestQueueEnvelope(t *testing.T) {
	h := start(t, options{})
	for _, tc := range []struct {
		name     string
		text     string
		wantData string // the exact wire form of Data.msg
	}{
		{"plain text (captured form)", "aaaaa", `"\"aaaaa\""`},
		{"json body (ref §2.4 example)", `{"orderId":42,"sku":"A-1"}`, `"\"{\\\"orderId\\\":42,\\\"sku\\\":\\\"A-1\\\"}\""`},
		{"html characters are not escaped", `<a href="x">&</a> \ done`, `"\"<a href=\\\"x\\\">&</a> \\\\ done\""`},
		{"unicode passes as is", "café – 日本", `"\"café – 日本\""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := enqueueText(t, h.work, b64(tc.text))
			m := resp.Messages[0]
			id := *m.MessageID
			rec := h.recordWith(t, "/QueueWork", id)

			want := `^\{"Data":\{"msg":` + regexp.QuoteMeta(tc.wantData) + `\},"Metadata":\{` +
				`"DequeueCount":"1",` +
				`"ExpirationTime":"` + regexp.QuoteMeta(wireDate(*m.ExpirationTime)) + `",` +
				`"Id":"\\"` + regexp.QuoteMeta(id) + `\\"",` +
				`"InsertionTime":"` + regexp.QuoteMeta(wireDate(*m.InsertionTime)) + `",` +
				`"NextVisibleTime":"` + wireDatePat + `",` +
				`"PopReceipt":"\\"[^"\\]+\\"",` +
				`"sys":\{"MethodName":"QueueWork","UtcNow":"` + utcNowPattern + `","RandGuid":"` + guidPattern + `"\}\}\}$`
			if !regexp.MustCompile(want).MatchString(rec.Body) {
				t.Errorf("envelope:\ngot  %s\nwant (pattern) %s", rec.Body, want)
			}

			req, err := funchost.ParseRequest([]byte(rec.Body))
			if err != nil {
				t.Fatalf("funchost.ParseRequest: %v", err)
			}
			if got, err := req.Text("msg"); err != nil || got != tc.text {
				t.Errorf("funchost Text(msg) = %q, %v; want %q", got, err, tc.text)
			}
			meta, err := req.QueueMeta()
			if err != nil {
				t.Fatalf("QueueMeta: %v", err)
			}
			if meta.ID != id || meta.DequeueCount != 1 || !meta.InsertionTime.Equal(m.InsertionTime.Truncate(time.Second)) || meta.PopReceipt == "" {
				t.Errorf("QueueMeta = %+v; want Id %s, DequeueCount 1, InsertionTime %s", meta, id, m.InsertionTime.Truncate(time.Second))
			}
			if sys, err := req.Sys(); err != nil || sys.MethodName != "QueueWork" {
				t.Errorf("Sys() = %+v, %v; want MethodName QueueWork", sys, err)
			}
			checkHostHeaders(t, rec, hostUserAgent, "")
			if got := rec.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q, want application/json; charset=utf-8", got)
			}
			if rec.Method != "POST" {
				t.Errorf("method = %s, want POST", rec.Method)
			}
		})
	}
	waitFor(t, func() bool { return approxCount(t, h.work) == 0 }, "processed messages to be deleted")
}

// checkHostHeaders checks the headers the host sets on every invocation.
// wantTrace empty means "a generated traceparent".
func checkHostHeaders(t *testing.T, rec record, wantUA, wantTrace string) {
	t.Helper()
	if id := rec.Header.Get("X-Azure-Functions-InvocationId"); !regexp.MustCompile(`^` + guidPattern + `$`).MatchString(id) {
		t.Errorf("X-Azure-Functions-InvocationId = %q, want a GUID", id)
	}
	if got := rec.Header.Get("X-Azure-Functions-HostVersion"); got != hostVersion {
		t.Errorf("X-Azure-Functions-HostVersion = %q, want %q", got, hostVersion)
	}
	if got := rec.Header.Get("User-Agent"); got != wantUA {
		t.Errorf("User-Agent = %q, want %q", got, wantUA)
	}
	tp := rec.Header.Get("traceparent")
	if wantTrace != "" && tp != wantTrace {
		t.Errorf("traceparent = %q, want %q", tp, wantTrace)
	}
	if !regexp.MustCompile(traceparentPat).MatchString(tp) {
		t.Errorf("traceparent = %q, want a W3C traceparent", tp)
	}
}

func approxCount(t *testing.T, q *azqueue.QueueClient) int64 {
	t.Helper()
	p, err := q.GetProperties(t.Context(), nil)
	if err != nil {
		t.Fatalf("GetProperties: %v", err)
	}
	if p.ApproximateMessagesCount == nil {
		return 0
	}
	return *p.ApproximateMessagesCount
}

// TestQueuePoison proves the failure path: a failing function is tried
// exactly maxDequeueCount (5) times, with DequeueCount "1".."5", then the
// message moves as it was to <queue>-poison (created on demand) and leaves
// the source queue; a message that is not base64 under base64 encoding
// goes to the poison queue without any invocation.
func TestQueuePoison(t *testing.T) {
	h := start(t, options{})
	poison := stacktest.QueueService(t).NewQueueClient(queueName(h.work) + "-poison")
	for _, tc := range []struct {
		name      string
		wire      string // message text as stored
		wantTries int
	}{
		{"failing function", b64(`{"devhostTest":{"status":500,"body":{"error":"scripted"}}}`), 5},
		{"failing function with invalid response", b64(`{"devhostTest":{"status":200,"contentType":"text/plain","body":"not json"}}`), 5},
		{"not base64", "this is not base64!", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := enqueueText(t, h.work, tc.wire)
			id := *resp.Messages[0].MessageID
			waitFor(t, func() bool { return slices.Contains(peekAll(t, poison), tc.wire) }, "the message in %s-poison", queueName(h.work))
			waitFor(t, func() bool { return approxCount(t, h.work) == 0 }, "the message to leave the source queue")
			var counts []string
			for _, r := range h.recordsFor("/QueueWork") {
				if !strings.Contains(r.Body, id) {
					continue
				}
				req, err := funchost.ParseRequest([]byte(r.Body))
				if err != nil {
					t.Fatal(err)
				}
				counts = append(counts, string(req.Metadata["DequeueCount"]))
			}
			var want []string
			for i := 1; i <= tc.wantTries; i++ {
				want = append(want, fmt.Sprintf("%q", fmt.Sprint(i)))
			}
			if !slices.Equal(counts, want) {
				t.Errorf("DequeueCount of the invocations = %v, want %v", counts, want)
			}
			drain(t, poison)
		})
	}
}

// TestQueueOutputs proves the queue output conversion of §4.2: arrays fan
// out, objects become indented JSON, base64-looking strings are decoded,
// and the messages are written base64-encoded (messageEncoding base64).
func TestQueueOutputs(t *testing.T) {
	h := start(t, options{})
	for _, tc := range []struct {
		name   string
		output string // the JSON value of Outputs.out
		want   []string
	}{
		{"array fans out", `["first message","second message"]`, []string{"first message", "second message"}},
		{"object is indented JSON", `{"k":"v<&>","n":[1,2]}`, []string{"{\n  \"k\": \"v<&>\",\n  \"n\": [\n    1,\n    2\n  ]\n}"}},
		{"string holding an array fans out", `"[\"x\",{\"y\":true}]"`, []string{"x", "{\n  \"y\": true\n}"}},
		{"base64 string is decoded", `"aGVsbG8="`, []string{"hello"}},
		{"text that happens to be base64 becomes bytes", `"test"`, []string{"\xb5\xeb\x2d"}},
		{"other text stays text", `"hello world"`, []string{"hello world"}},
		{"scalars and null", `[1, true, null]`, []string{"1", "True"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := `{"devhostTest":{"body":{"Outputs":{"out":` + tc.output + `},"Logs":[],"ReturnValue":null}}}`
			resp := enqueueText(t, h.work, b64(msg))
			h.recordWith(t, "/QueueWork", *resp.Messages[0].MessageID)
			waitFor(t, func() bool { return approxCount(t, h.out) >= int64(len(tc.want)) }, "%d output messages", len(tc.want))
			var got []string
			for _, text := range drain(t, h.out) {
				b, err := base64.StdEncoding.DecodeString(text)
				if err != nil {
					t.Fatalf("output message %q is not base64: %v", text, err)
				}
				got = append(got, string(b))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("output messages = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestQueueEncodingNone runs the app whose host.json sets messageEncoding
// "none" and maxDequeueCount 2: messages are read and written as plain
// text, and a failing message is poisoned after two tries.
func TestQueueEncodingNone(t *testing.T) {
	h := start(t, options{app: "app-plain"})
	msg := `{"devhostTest":{"body":{"Outputs":{"out":["a b","c <d>"]}}}}`
	resp := enqueueText(t, h.work, msg)
	rec := h.recordWith(t, "/QueueWork", *resp.Messages[0].MessageID)
	var env struct{ Data map[string]json.RawMessage }
	if err := json.Unmarshal([]byte(rec.Body), &env); err != nil {
		t.Fatal(err)
	}
	if got, want := string(env.Data["msg"]), quoteNoHTML(quoteNoHTML(msg)); got != want {
		t.Errorf("Data.msg = %s, want %s (the plain text, double-encoded)", got, want)
	}
	waitFor(t, func() bool { return approxCount(t, h.out) >= 2 }, "2 output messages")
	if got, want := drain(t, h.out), []string{"a b", "c <d>"}; !slices.Equal(got, want) {
		t.Errorf("output messages = %q, want %q (not base64-encoded)", got, want)
	}

	fail := `{"devhostTest":{"status":503}}`
	resp = enqueueText(t, h.work, fail)
	id := *resp.Messages[0].MessageID
	poison := stacktest.QueueService(t).NewQueueClient(queueName(h.work) + "-poison")
	waitFor(t, func() bool { return slices.Contains(peekAll(t, poison), fail) }, "the failing message in the poison queue")
	n := 0
	for _, r := range h.recordsFor("/QueueWork") {
		if strings.Contains(r.Body, id) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("tries = %d, want 2 (maxDequeueCount)", n)
	}
	_, _ = poison.Delete(context.Background(), nil)
}
