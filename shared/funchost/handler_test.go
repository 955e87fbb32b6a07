package funchost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

const (
	testInvocationID = "0d5c6b2e-8f3a-4c1d-9e7b-2a4f6c8e0b1d"
	testTraceParent  = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
)

// hostRequest builds a request the way the host sends an invocation.
func hostRequest(fn string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/"+fn, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set(funchost.HeaderInvocationID, testInvocationID)
	r.Header.Set("X-Azure-Functions-HostVersion", "4.1037.0.0")
	r.Header.Set(funchost.HeaderTraceParent, testTraceParent)
	return r
}

// TestHandlerGolden runs fixture envelopes end to end through Handler and
// pins the exact response bytes.
func TestHandlerGolden(t *testing.T) {
	for _, test := range []struct {
		name string
		file string
		fn   funchost.Func
	}{
		{"handler-queue-order", "queue-json.json", func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
			var o order
			if err := inv.QueueMessage("msg", &o); err != nil {
				return nil, err
			}
			meta, err := inv.QueueMeta()
			if err != nil {
				return nil, err
			}
			var resp funchost.InvokeResponse
			// One message per element: two queue messages.
			resp.SetOutput("outMsg", []order{o, {OrderID: o.OrderID + 1, SKU: o.SKU}})
			resp.Logs = append(resp.Logs, fmt.Sprintf("order %d dequeued %d time(s)", o.OrderID, meta.DequeueCount))
			return &resp, nil
		}},
		{"handler-timer", "timer-pastdue.json", func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
			ti, err := inv.Timer("nightly")
			if err != nil {
				return nil, err
			}
			rc, err := inv.RetryContext()
			if err != nil {
				return nil, err
			}
			return &funchost.InvokeResponse{Logs: []string{
				fmt.Sprintf("past due: %v, retry %d/%d", ti.IsPastDue, rc.RetryCount, rc.MaxRetryCount),
			}}, nil
		}},
		{"handler-http", "http-text.json", func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
			req, err := inv.HTTPRequest("req")
			if err != nil {
				return nil, err
			}
			var in struct {
				Qty int `json:"qty"`
			}
			body, err := req.BodyBytes()
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, err
			}
			var resp funchost.InvokeResponse
			resp.SetOutput("res", funchost.HTTPResponse{
				StatusCode: http.StatusAccepted,
				Headers:    map[string]string{"Content-Type": "application/json"},
				Body:       map[string]any{"id": req.Params["id"], "qty": in.Qty},
			})
			return &resp, nil
		}},
		{"handler-blob", "blob-trigger.json", func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
			content, err := inv.Bytes("blobIn")
			if err != nil {
				return nil, err
			}
			var name string
			if err := inv.DecodeMetadata("name", &name); err != nil {
				return nil, err
			}
			return &funchost.InvokeResponse{ReturnValue: map[string]any{"name": name, "bytes": len(content)}}, nil
		}},
		{"handler-nil-response", "timer-null.json", func(context.Context, *funchost.Invocation) (*funchost.InvokeResponse, error) {
			return nil, nil
		}},
	} {
		t.Run(test.name, func(t *testing.T) {
			h := funchost.Handle("Fn", test.fn, testLogger(t))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, hostRequest("Fn", envelope(t, test.file)))
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			checkGolden(t, test.name, rec.Body.Bytes())
		})
	}
}

type panickyMarshaler struct{}

func (panickyMarshaler) MarshalJSON() ([]byte, error) { panic("boom in MarshalJSON") }

func TestHandlerFailures(t *testing.T) {
	t.Parallel()
	queueEnvelope := envelope(t, "queue-json.json")
	ok := func(context.Context, *funchost.Invocation) (*funchost.InvokeResponse, error) {
		return &funchost.InvokeResponse{}, nil
	}
	for _, test := range []struct {
		name       string
		method     string
		body       io.Reader
		maxBody    int64
		fn         funchost.Func
		wantStatus int
		wantDetail string // substring of "detail"; "" means no detail key
	}{
		{name: "malformed JSON", body: strings.NewReader(`{"Data":`), fn: ok,
			wantStatus: 400, wantDetail: "malformed envelope"},
		{name: "empty body", body: strings.NewReader(``), fn: ok,
			wantStatus: 400, wantDetail: "malformed envelope"},
		{name: "Data not an object", body: strings.NewReader(`{"Data":"\"x\"","Metadata":{}}`), fn: ok,
			wantStatus: 400, wantDetail: "Data is a JSON string, want object"},
		{name: "missing trigger binding", body: bytes.NewReader(queueEnvelope),
			fn: func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
				_, err := inv.Timer("myTimer")
				return nil, fmt.Errorf("cleanup: %w", err)
			},
			wantStatus: 400, wantDetail: "Data.myTimer: missing binding"},
		{name: "wrong type", body: bytes.NewReader(queueEnvelope),
			fn: func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
				_, err := inv.Timer("msg")
				return nil, err
			},
			wantStatus: 400, wantDetail: "Data.msg: wrong type"},
		{name: "oversized body with Content-Length", body: bytes.NewReader(queueEnvelope), maxBody: 64, fn: ok,
			wantStatus: 413, wantDetail: "request body exceeds 64 bytes"},
		{name: "oversized chunked body", body: io.MultiReader(bytes.NewReader(queueEnvelope)), maxBody: 64, fn: ok,
			wantStatus: 413, wantDetail: "request body exceeds 64 bytes"},
		{name: "panicking function", body: bytes.NewReader(queueEnvelope),
			fn: func(context.Context, *funchost.Invocation) (*funchost.InvokeResponse, error) {
				panic("boom in the function body")
			},
			wantStatus: 500},
		{name: "panic in output MarshalJSON", body: bytes.NewReader(queueEnvelope),
			fn: func(context.Context, *funchost.Invocation) (*funchost.InvokeResponse, error) {
				return &funchost.InvokeResponse{ReturnValue: panickyMarshaler{}}, nil
			},
			wantStatus: 500},
		{name: "function error is not leaked", body: bytes.NewReader(queueEnvelope),
			fn: func(context.Context, *funchost.Invocation) (*funchost.InvokeResponse, error) {
				return nil, errors.New("cosmos: password=hunter2 rejected")
			},
			wantStatus: 500},
		{name: "unencodable output", body: bytes.NewReader(queueEnvelope),
			fn: func(context.Context, *funchost.Invocation) (*funchost.InvokeResponse, error) {
				return &funchost.InvokeResponse{Outputs: map[string]any{"out": func() {}}}, nil
			},
			wantStatus: 500},
		{name: "nil Func", body: bytes.NewReader(queueEnvelope), fn: nil,
			wantStatus: 500},
		{name: "GET", method: http.MethodGet, body: http.NoBody, fn: ok,
			wantStatus: 405, wantDetail: "method not allowed"},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := &funchost.Handler{
				Name:         "ProcessOrder",
				Func:         test.fn,
				Logger:       slog.New(slog.NewJSONHandler(&logs, nil)),
				MaxBodyBytes: test.maxBody,
			}
			r := hostRequest("ProcessOrder", nil)
			if test.method != "" {
				r.Method = test.method
			}
			r.Body = io.NopCloser(test.body)
			r.ContentLength = -1
			if br, ok := test.body.(*bytes.Reader); ok {
				r.ContentLength = int64(br.Len())
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)

			body := checkFailure(t, rec, test.wantStatus)
			if got := body["invocationId"]; got != testInvocationID {
				t.Errorf("body invocationId = %v, want %s", got, testInvocationID)
			}
			detail, hasDetail := body["detail"].(string)
			switch {
			case test.wantDetail == "" && hasDetail:
				t.Errorf("body detail = %q, want none", detail)
			case test.wantDetail != "" && !strings.Contains(detail, test.wantDetail):
				t.Errorf("body detail = %q, want it to contain %q", detail, test.wantDetail)
			}
			if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "boom") {
				t.Errorf("body leaks internal error: %s", rec.Body)
			}
			if test.wantStatus == 405 && rec.Header().Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", rec.Header().Get("Allow"))
			}

			// Exactly one Error record, carrying the invocation attributes.
			var rec1 map[string]any
			if err := json.Unmarshal(logs.Bytes(), &rec1); err != nil {
				t.Fatalf("log output %q: want one JSON record: %v", logs.String(), err)
			}
			for k, want := range map[string]any{
				"level": "ERROR", "msg": "invocation failed", "function": "ProcessOrder",
				"invocation_id": testInvocationID, "traceparent": testTraceParent,
				"status": float64(test.wantStatus),
			} {
				if rec1[k] != want {
					t.Errorf("log %s = %v, want %v", k, rec1[k], want)
				}
			}
		})
	}
}

func TestHandlerPanicLogsStack(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := funchost.Handle("Fn", func(context.Context, *funchost.Invocation) (*funchost.InvokeResponse, error) {
		panic("kaboom")
	}, slog.New(slog.NewJSONHandler(&logs, nil)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hostRequest("Fn", envelope(t, "timer-null.json")))
	checkFailure(t, rec, http.StatusInternalServerError)
	var rec1 struct {
		Err   string `json:"err"`
		Stack string `json:"stack"`
	}
	if err := json.Unmarshal(logs.Bytes(), &rec1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec1.Err, "kaboom") || !strings.Contains(rec1.Stack, "handler_test.go") {
		t.Errorf("log err = %q, stack = %.80q..., want the panic value and a stack through the test", rec1.Err, rec1.Stack)
	}
}

// TestHandlerServerSurvivesPanic checks over a real connection that a
// panicking function yields a JSON 500 and the server keeps serving.
func TestHandlerServerSurvivesPanic(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("POST /Boom", funchost.Handle("Boom", func(context.Context, *funchost.Invocation) (*funchost.InvokeResponse, error) {
		panic("boom")
	}, testLogger(t)))
	mux.Handle("POST /Fine", funchost.Handle("Fine", func(context.Context, *funchost.Invocation) (*funchost.InvokeResponse, error) {
		return &funchost.InvokeResponse{ReturnValue: "ok"}, nil
	}, testLogger(t)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, test := range []struct {
		path       string
		wantStatus int
	}{
		{"/Boom", 500}, {"/Fine", 200}, {"/Boom", 500}, {"/Fine", 200},
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+test.path, bytes.NewReader(envelope(t, "timer-null.json")))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", test.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != test.wantStatus || !json.Valid(body) || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("POST %s = %d %q %s, want %d with a JSON body", test.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, test.wantStatus)
		}
	}
}

func TestHandlerContext(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var got struct{ ctxID, ctxTP, invID, invTP, fn string }
	h := funchost.Handle("Cleanup", func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
		got.ctxID, got.ctxTP = funchost.InvocationID(ctx), funchost.TraceParent(ctx)
		got.invID, got.invTP, got.fn = inv.ID, inv.TraceParent, inv.Function
		inv.Logger.InfoContext(ctx, "purged", "count", 3)
		return nil, nil
	}, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hostRequest("Cleanup", envelope(t, "timer-populated.json")))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	want := struct{ ctxID, ctxTP, invID, invTP, fn string }{testInvocationID, testTraceParent, testInvocationID, testTraceParent, "Cleanup"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// Two records: the function's own and the Debug "invocation succeeded".
	dec := json.NewDecoder(&logs)
	for _, wantMsg := range []string{"purged", "invocation succeeded"} {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("decoding log record %q: %v", wantMsg, err)
		}
		if r["msg"] != wantMsg || r["invocation_id"] != testInvocationID || r["traceparent"] != testTraceParent || r["function"] != "Cleanup" {
			t.Errorf("log record = %v, want msg %q with function, invocation_id and traceparent", r, wantMsg)
		}
	}

	// Outside an invocation the accessors return "".
	if id, tp := funchost.InvocationID(t.Context()), funchost.TraceParent(t.Context()); id != "" || tp != "" {
		t.Errorf("InvocationID, TraceParent on a bare context = %q, %q, want empty", id, tp)
	}
}

func TestHandlerWithoutTraceHeaders(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := funchost.Handle("Fn", func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
		return nil, errors.New("fail")
	}, slog.New(slog.NewJSONHandler(&logs, nil)))
	r := httptest.NewRequest(http.MethodPost, "/Fn", bytes.NewReader(envelope(t, "timer-null.json")))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	body := checkFailure(t, rec, http.StatusInternalServerError)
	if _, ok := body["invocationId"]; ok {
		t.Errorf("body has invocationId without the header: %s", rec.Body)
	}
	if strings.Contains(logs.String(), `"traceparent"`) {
		t.Errorf("log has a traceparent attribute without the header: %s", logs.String())
	}
}

func TestHandlerNilLogger(t *testing.T) {
	t.Parallel()
	h := funchost.Handle("Fn", func(context.Context, *funchost.Invocation) (*funchost.InvokeResponse, error) {
		return nil, errors.New("fail")
	}, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hostRequest("Fn", envelope(t, "timer-null.json")))
	checkFailure(t, rec, http.StatusInternalServerError)
}
