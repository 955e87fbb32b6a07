package funchost_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

// responseCases are the responses pinned by golden files. They double as
// the "typical" responses of the benchmarks.
var responseCases = []struct {
	name string
	resp *funchost.InvokeResponse
}{
	{"zero", &funchost.InvokeResponse{}},
	{"queue-fanout", &funchost.InvokeResponse{
		Outputs: map[string]any{"outMsg": []order{{OrderID: 42, SKU: "A-1"}, {OrderID: 43, SKU: "B-2"}}},
		Logs:    []string{"processed order 42", "split into 2 messages"},
	}},
	{"queue-single-object", &funchost.InvokeResponse{
		Outputs: map[string]any{"outMsg": map[string]any{"titleId": "t-1", "action": "reindex"}},
	}},
	{"http-output", &funchost.InvokeResponse{
		Outputs: map[string]any{
			"res": funchost.HTTPResponse{
				StatusCode: http.StatusCreated,
				Headers:    map[string]string{"Content-Type": "application/json"},
				Body:       map[string]any{"id": "42", "status": "queued"},
			},
			"outMsg": order{OrderID: 42, SKU: "A-1"},
		},
		Logs: []string{"accepted order 42"},
	}},
	{"http-return-text", &funchost.InvokeResponse{
		ReturnValue: funchost.HTTPResponse{
			StatusCode: http.StatusNotFound,
			Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8"},
			Body:       "no such title",
		},
	}},
	{"http-default-status", &funchost.InvokeResponse{
		Outputs: map[string]any{"res": funchost.HTTPResponse{Body: json.RawMessage(`{"ok":true}`)}},
	}},
	{"html-escaping", &funchost.InvokeResponse{
		// encoding/json escapes <, > and &; the host's reader undoes it.
		Logs: []string{"title <Amélie> & co"},
	}},
}

func TestResponseGolden(t *testing.T) {
	for _, test := range responseCases {
		t.Run(test.name, func(t *testing.T) {
			got, err := json.Marshal(test.resp)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "response-"+test.name, got)

			// WriteResponse writes the same bytes, as JSON, with status 200.
			rec := httptest.NewRecorder()
			if err := funchost.WriteResponse(rec, test.resp); err != nil {
				t.Fatal(err)
			}
			if rec.Code != http.StatusOK {
				t.Errorf("WriteResponse status = %d, want 200", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if rec.Body.String() != string(got) {
				t.Errorf("WriteResponse body = %s, want %s", rec.Body, got)
			}
		})
	}
}

func TestResponseShape(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		name string
		resp any
	}{
		{"pointer", &funchost.InvokeResponse{}},
		{"value", funchost.InvokeResponse{}},
		{"nil logs, nil outputs", funchost.InvokeResponse{Logs: nil, Outputs: nil}},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(test.resp)
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"Outputs":{},"Logs":[],"ReturnValue":null}`; string(b) != want {
				t.Errorf("json.Marshal = %s, want %s", b, want)
			}
		})
	}
}

func TestSetOutput(t *testing.T) {
	t.Parallel()
	var r funchost.InvokeResponse
	r.SetOutput("outMsg", []string{"a", "b"})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Outputs":{"outMsg":["a","b"]},"Logs":[],"ReturnValue":null}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestWriteResponseNil(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	if err := funchost.WriteResponse(rec, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.Body.String(), `{"Outputs":{},"Logs":[],"ReturnValue":null}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestWriteResponseUnencodable(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	err := funchost.WriteResponse(rec, &funchost.InvokeResponse{Outputs: map[string]any{"out": make(chan int)}})
	if err == nil {
		t.Fatal("WriteResponse with a channel output: got nil error")
	}
	checkFailure(t, rec, http.StatusInternalServerError)
}

func TestWriteFailure(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		status, wantStatus int
		detail             string
		want               string
	}{
		{http.StatusInternalServerError, 500, "", `{"status":500,"error":"internal server error"}`},
		{http.StatusBadRequest, 400, "Data.msg: wrong type", `{"status":400,"error":"bad request","detail":"Data.msg: wrong type"}`},
		{http.StatusServiceUnavailable, 503, "", `{"status":503,"error":"service unavailable"}`},
		{http.StatusOK, 500, "", `{"status":500,"error":"internal server error"}`},
		{0, 500, "", `{"status":500,"error":"internal server error"}`},
	} {
		rec := httptest.NewRecorder()
		funchost.WriteFailure(rec, test.status, test.detail)
		if rec.Code != test.wantStatus {
			t.Errorf("WriteFailure(%d) status = %d, want %d", test.status, rec.Code, test.wantStatus)
		}
		if got := rec.Body.String(); got != test.want {
			t.Errorf("WriteFailure(%d) body = %s, want %s", test.status, got, test.want)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("WriteFailure(%d) Content-Type = %q, want application/json", test.status, ct)
		}
	}
}

// checkFailure asserts a JSON failure body with the given status.
func checkFailure(t *testing.T, rec *httptest.ResponseRecorder, status int) map[string]any {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body, err)
	}
	if got, ok := body["status"].(float64); !ok || int(got) != status {
		t.Errorf("body status = %v, want %d", body["status"], status)
	}
	return body
}
