package funchost_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

// mustTime parses an RFC 3339 timestamp for test wants.
func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestQueueMeta(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		file string
		want funchost.QueueMeta
	}{
		{"queue-string.json", funchost.QueueMeta{
			ID:              "a0004923-f050-417a-9742-6d7c7b984134",
			DequeueCount:    1,
			InsertionTime:   mustTime(t, "2022-06-13T06:00:06Z"),
			ExpirationTime:  mustTime(t, "2022-06-20T06:00:06Z"),
			NextVisibleTime: mustTime(t, "2022-06-13T06:10:18Z"),
			PopReceipt:      "AgAAAAMAAAAAAAAA8d5gQex+2AE=",
		}},
		{"queue-eventgrid.json", funchost.QueueMeta{
			ID:              "5b0e2a4c-7d51-4a8e-9c1f-3f8e2d6b9a10",
			DequeueCount:    2,
			InsertionTime:   mustTime(t, "2026-01-15T09:15:02Z"),
			ExpirationTime:  mustTime(t, "2026-01-22T09:15:02Z"),
			NextVisibleTime: mustTime(t, "2026-01-15T09:25:31Z"),
			PopReceipt:      "AgAAAAMAAAAAAAAAr1X7q9Jl3AE=",
		}},
	} {
		t.Run(test.file, func(t *testing.T) {
			t.Parallel()
			got, err := parse(t, test.file).QueueMeta()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, test.want) {
				t.Errorf("QueueMeta() =\n%+v\nwant\n%+v", got, test.want)
			}
		})
	}
}

func TestQueueMetaOptionalKeys(t *testing.T) {
	t.Parallel()
	// Only Id and DequeueCount are required; a numeric DequeueCount (the
	// docs' simplified form) is accepted too.
	req := parseString(t, `{"Data":{},"Metadata":{"Id":"\"m1\"","DequeueCount":3}}`)
	got, err := req.QueueMeta()
	if err != nil {
		t.Fatal(err)
	}
	if want := (funchost.QueueMeta{ID: "m1", DequeueCount: 3}); !reflect.DeepEqual(got, want) {
		t.Errorf("QueueMeta() = %+v, want %+v", got, want)
	}
}

// blobCreated is the part of an Event Grid BlobCreated event this test
// reads; the real schema belongs to the ingest package.
type blobCreated struct {
	Subject   string `json:"subject"`
	EventType string `json:"eventType"`
	Data      struct {
		URL           string `json:"url"`
		ContentLength int64  `json:"contentLength"`
	} `json:"data"`
}

type order struct {
	OrderID int    `json:"orderId"`
	SKU     string `json:"sku"`
}

func TestQueueMessage(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		name    string
		req     func(t *testing.T) *funchost.InvokeRequest
		binding string
		into    func() any
		want    any
	}{
		{"order double-encoded", func(t *testing.T) *funchost.InvokeRequest { return parse(t, "queue-json.json") },
			"msg", func() any { return new(order) }, order{OrderID: 42, SKU: "A-1"}},
		{"event grid event", func(t *testing.T) *funchost.InvokeRequest { return parse(t, "queue-eventgrid.json") },
			"msg", func() any { return new(blobCreated) }, func() blobCreated {
				var e blobCreated
				e.Subject = "/blobServices/default/containers/uploads/blobs/supplier-a/2026-01-15 titles.csv"
				e.EventType = "Microsoft.Storage.BlobCreated"
				e.Data.URL = "https://stmediaspecs.blob.core.windows.net/uploads/supplier-a/2026-01-15%20titles.csv"
				e.Data.ContentLength = 524288
				return e
			}()},
		{"generic map", func(t *testing.T) *funchost.InvokeRequest { return parse(t, "queue-json.json") },
			"msg", func() any { return new(map[string]any) }, map[string]any{"orderId": 42.0, "sku": "A-1"}},
		{"real object body", func(t *testing.T) *funchost.InvokeRequest {
			return parseString(t, `{"Data":{"msg":{"orderId":7,"sku":"B"}},"Metadata":{}}`)
		}, "msg", func() any { return new(order) }, order{OrderID: 7, SKU: "B"}},
		{"array body", func(t *testing.T) *funchost.InvokeRequest {
			return parseString(t, `{"Data":{"msg":"\"[{\\\"orderId\\\":1},{\\\"orderId\\\":2}]\""},"Metadata":{}}`)
		}, "msg", func() any { return new([]order) }, []order{{OrderID: 1}, {OrderID: 2}}},
		{"JSON string body", func(t *testing.T) *funchost.InvokeRequest {
			// Message text "hi" (with quotes): three layers of encoding.
			return parseString(t, `{"Data":{"msg":"\"\\\"hi\\\"\""},"Metadata":{}}`)
		}, "msg", func() any { return new(string) }, "hi"},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			v := test.into()
			if err := test.req(t).QueueMessage(test.binding, v); err != nil {
				t.Fatal(err)
			}
			if got := reflect.ValueOf(v).Elem().Interface(); !reflect.DeepEqual(got, test.want) {
				t.Errorf("QueueMessage(%q) = %#v, want %#v", test.binding, got, test.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		name    string
		req     func(t *testing.T) *funchost.InvokeRequest
		binding string
		want    string
	}{
		{"queue plain text", func(t *testing.T) *funchost.InvokeRequest { return parse(t, "queue-string.json") }, "inMsg", "aaaaa"},
		{"queue JSON text", func(t *testing.T) *funchost.InvokeRequest { return parse(t, "queue-json.json") }, "msg", `{"orderId":42,"sku":"A-1"}`},
		{"blob input dataType string", func(t *testing.T) *funchost.InvokeRequest { return parse(t, "http-blob-input.json") }, "blobIn", "hello from byte\n"},
		{"single-encoded accepted", func(t *testing.T) *funchost.InvokeRequest {
			return parseString(t, `{"Data":{"msg":"aaaaa"},"Metadata":{}}`)
		}, "msg", "aaaaa"},
		{"quoted message text", func(t *testing.T) *funchost.InvokeRequest {
			return parseString(t, `{"Data":{"msg":"\"\\\"hi\\\"\""},"Metadata":{}}`)
		}, "msg", `"hi"`},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			got, err := test.req(t).Text(test.binding)
			if err != nil {
				t.Fatal(err)
			}
			if got != test.want {
				t.Errorf("Text(%q) = %q, want %q", test.binding, got, test.want)
			}
		})
	}
}

func TestBytes(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		name    string
		req     func(t *testing.T) *funchost.InvokeRequest
		binding string
		want    []byte
	}{
		{"blob trigger", func(t *testing.T) *funchost.InvokeRequest { return parse(t, "blob-trigger.json") }, "blobIn", []byte("hello from byte\n")},
		{"binary queue message", func(t *testing.T) *funchost.InvokeRequest { return parse(t, "queue-binary.json") }, "msg", []byte("\x00\x01\x02\xffhello")},
		// §8 caveat: "1234" is valid base64 and valid JSON; it must be
		// base64-decoded, never unwrapped into the number 1234.
		{"digits-only base64", func(t *testing.T) *funchost.InvokeRequest {
			return parseString(t, `{"Data":{"blob":"1234"},"Metadata":{}}`)
		}, "blob", []byte{0xd7, 0x6d, 0xf8}},
		{"empty blob", func(t *testing.T) *funchost.InvokeRequest {
			return parseString(t, `{"Data":{"blob":""},"Metadata":{}}`)
		}, "blob", []byte{}},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			got, err := test.req(t).Bytes(test.binding)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(test.want) {
				t.Errorf("Bytes(%q) = %q, want %q", test.binding, got, test.want)
			}
		})
	}
}

func TestBlobMetadata(t *testing.T) {
	t.Parallel()
	req := parse(t, "blob-trigger.json")
	for _, test := range []struct {
		key  string
		into func() any
		want any
	}{
		{"name", func() any { return new(string) }, "hello.txt"},
		{"Uri", func() any { return new(string) }, "https://baldevgroup84df.blob.core.windows.net/bpath1/hello.txt"},
		{"Metadata", func() any { return new(map[string]string) }, map[string]string{}},
		{"Properties", func() any {
			return new(struct {
				Length      int64
				ContentType string
				ETag        string
			})
		}, struct {
			Length      int64
			ContentType string
			ETag        string
		}{16, "text/plain", `"0x8DA6E28262505DD"`}},
	} {
		t.Run(test.key, func(t *testing.T) {
			t.Parallel()
			v := test.into()
			if err := req.DecodeMetadata(test.key, v); err != nil {
				t.Fatal(err)
			}
			if got := reflect.ValueOf(v).Elem().Interface(); !reflect.DeepEqual(got, test.want) {
				t.Errorf("DecodeMetadata(%q) = %#v, want %#v", test.key, got, test.want)
			}
		})
	}
}

func TestTimer(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		file    string
		binding string
		want    funchost.TimerInfo
	}{
		{"timer-null.json", "inMsg", funchost.TimerInfo{
			Schedule: funchost.TimerSchedule{AdjustForDST: true},
		}},
		{"timer-populated.json", "myTimer", funchost.TimerInfo{
			Schedule: funchost.TimerSchedule{AdjustForDST: true},
			ScheduleStatus: &funchost.ScheduleStatus{
				Last:        mustTime(t, "2022-10-11T10:52:00.003967+02:00"),
				Next:        mustTime(t, "2022-10-11T10:53:00+02:00"),
				LastUpdated: mustTime(t, "2022-10-11T10:52:00.003967+02:00"),
			},
		}},
		{"timer-pastdue.json", "nightly", funchost.TimerInfo{
			Schedule: funchost.TimerSchedule{AdjustForDST: true},
			ScheduleStatus: &funchost.ScheduleStatus{
				Last:        mustTime(t, "0001-01-01T00:00:00Z"),
				Next:        mustTime(t, "2026-01-16T02:00:00Z"),
				LastUpdated: mustTime(t, "2026-01-15T02:00:03.1234567Z"),
			},
			IsPastDue: true,
		}},
	} {
		t.Run(test.file, func(t *testing.T) {
			t.Parallel()
			got, err := parse(t, test.file).Timer(test.binding)
			if err != nil {
				t.Fatal(err)
			}
			if !timerEqual(got, test.want) {
				t.Errorf("Timer(%q) =\n%s\nwant\n%s", test.binding, dump(got), dump(test.want))
			}
			if test.want.ScheduleStatus != nil && got.ScheduleStatus.Last.IsZero() != test.want.ScheduleStatus.Last.IsZero() {
				t.Errorf("Last.IsZero() = %v, want %v", got.ScheduleStatus.Last.IsZero(), test.want.ScheduleStatus.Last.IsZero())
			}
		})
	}
}

// timerEqual compares instants with time.Time.Equal, ignoring location.
func timerEqual(a, b funchost.TimerInfo) bool {
	if a.Schedule != b.Schedule || a.IsPastDue != b.IsPastDue || (a.ScheduleStatus == nil) != (b.ScheduleStatus == nil) {
		return false
	}
	if a.ScheduleStatus == nil {
		return true
	}
	x, y := a.ScheduleStatus, b.ScheduleStatus
	return x.Last.Equal(y.Last) && x.Next.Equal(y.Next) && x.LastUpdated.Equal(y.LastUpdated)
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestHTTPRequest(t *testing.T) {
	t.Parallel()
	anonymous := []funchost.Identity{{
		NameClaimType: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
		RoleClaimType: "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
		Claims:        []json.RawMessage{},
	}}
	for _, test := range []struct {
		file        string
		binding     string
		wantURL     string
		wantQuery   map[string]string
		wantParams  map[string]string
		wantHeaders map[string]string // subset, checked with Headers.Get
		wantBody    string            // wire Body
		wantBytes   []byte            // BodyBytes()
	}{
		{
			file: "http-text.json", binding: "req",
			wantURL:     "https://myapp.azurewebsites.net/api/orders/42?verbose=true",
			wantQuery:   map[string]string{"verbose": "true"},
			wantParams:  map[string]string{"id": "42"},
			wantHeaders: map[string]string{"Content-Type": "application/json", "content-length": "13", "USER-AGENT": "curl/7.78.0"},
			wantBody:    `{"qty": 2}`,
			wantBytes:   []byte(`{"qty": 2}`),
		},
		{
			file: "http-octet.json", binding: "httpPayload",
			wantURL:     "https://bal-dev.azurewebsites.net/api/hello/payload/octaToByte",
			wantQuery:   map[string]string{},
			wantHeaders: map[string]string{"Content-Type": "application/octet-stream", "X-Arr-Log-Id": "03f45b02-ca0c-44a4-8fbd-1a916dc44743", "Client-Ip": "10.0.32.9:31863"},
			wantBody:    "aGVsbG8gZnJvbSBieXRlIGFycgo=",
			wantBytes:   []byte("hello from byte arr\n"),
		},
		{
			file: "http-blob-input.json", binding: "httpPayload",
			wantURL:     "https://bal-dev.azurewebsites.net/hello/blobInput?name=hello.txt",
			wantQuery:   map[string]string{"name": "hello.txt"},
			wantHeaders: map[string]string{"Content-Type": "text/plain"},
			wantBody:    "Jack",
			wantBytes:   []byte("Jack"),
		},
	} {
		t.Run(test.file, func(t *testing.T) {
			t.Parallel()
			got, err := parse(t, test.file).HTTPRequest(test.binding)
			if err != nil {
				t.Fatal(err)
			}
			if got.Method != "POST" {
				t.Errorf("Method = %q, want POST", got.Method)
			}
			if got.URL != test.wantURL {
				t.Errorf("URL = %q, want %q", got.URL, test.wantURL)
			}
			if !reflect.DeepEqual(got.Query, test.wantQuery) {
				t.Errorf("Query = %v, want %v", got.Query, test.wantQuery)
			}
			if !reflect.DeepEqual(got.Params, test.wantParams) {
				t.Errorf("Params = %v, want %v", got.Params, test.wantParams)
			}
			for k, want := range test.wantHeaders {
				if v := got.Headers.Get(k); v != want {
					t.Errorf("Headers.Get(%q) = %q, want %q", k, v, want)
				}
			}
			if !reflect.DeepEqual(got.Identities, anonymous) {
				t.Errorf("Identities = %+v, want %+v", got.Identities, anonymous)
			}
			if !got.HasBody || got.Body != test.wantBody {
				t.Errorf("Body, HasBody = %q, %v, want %q, true", got.Body, got.HasBody, test.wantBody)
			}
			b, err := got.BodyBytes()
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != string(test.wantBytes) {
				t.Errorf("BodyBytes() = %q, want %q", b, test.wantBytes)
			}
		})
	}
}

func TestHTTPRequestEdgeCases(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		name    string
		req     string
		check   func(*funchost.HTTPRequest) bool
		explain string
	}{
		{"no body key", `{"Method":"GET","Headers":{}}`,
			func(h *funchost.HTTPRequest) bool {
				b, err := h.BodyBytes()
				return !h.HasBody && b == nil && err == nil
			},
			"HasBody false, BodyBytes nil"},
		{"multipart is base64", `{"Headers":{"content-type":["multipart/form-data; boundary=x"]},"Body":"aGk="}`,
			func(h *funchost.HTTPRequest) bool { b, _ := h.BodyBytes(); return string(b) == "hi" },
			`BodyBytes "hi"`},
		{"duplicate header keys merge", `{"Headers":{"x-a":["1"],"X-A":["2"]}}`,
			func(h *funchost.HTTPRequest) bool { return len(h.Headers.Values("X-A")) == 2 },
			"two values"},
		{"numeric route value", `{"Params":{"id":42,"page":null}}`,
			func(h *funchost.HTTPRequest) bool { return h.Params["id"] == "42" && h.Params["page"] == "" },
			`id "42", page ""`},
		{"object body kept as text", `{"Body":{"a":1}}`,
			func(h *funchost.HTTPRequest) bool { return h.HasBody && h.Body == `{"a":1}` },
			`Body {"a":1}`},
		{"authenticated identity", `{"Identities":[{"AuthenticationType":"aad","IsAuthenticated":true,"Name":"ana","Claims":[{"Type":"roles","Value":"admin"}]}]}`,
			func(h *funchost.HTTPRequest) bool {
				return len(h.Identities) == 1 && h.Identities[0].IsAuthenticated && h.Identities[0].Name == "ana" && len(h.Identities[0].Claims) == 1
			}, "one authenticated identity with one raw claim"},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseString(t, `{"Data":{"req":`+test.req+`},"Metadata":{}}`).HTTPRequest("req")
			if err != nil {
				t.Fatal(err)
			}
			if !test.check(got) {
				t.Errorf("HTTPRequest = %+v, want %s", got, test.explain)
			}
		})
	}
}

func TestHTTPMetadata(t *testing.T) {
	t.Parallel()
	req := parse(t, "http-text.json")
	var id, verbose string
	var headers map[string]string
	for key, dst := range map[string]any{"id": &id, "verbose": &verbose, "Headers": &headers} {
		if err := req.DecodeMetadata(key, dst); err != nil {
			t.Fatal(err)
		}
	}
	if id != "42" || verbose != "true" {
		t.Errorf("route/query metadata = %q, %q, want 42, true", id, verbose)
	}
	if got := headers["Host"]; got != "myapp.azurewebsites.net" {
		t.Errorf("Metadata.Headers[Host] = %q, want myapp.azurewebsites.net", got)
	}
}

func TestSys(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		file string
		want funchost.Sys
	}{
		{"queue-string.json", funchost.Sys{MethodName: "queue", UTCNow: mustTime(t, "2022-06-13T06:00:18.1974545Z"), RandGUID: "d9ba2785-ee1a-4260-a83b-f57cb54b969e"}},
		{"timer-null.json", funchost.Sys{MethodName: "timer", UTCNow: mustTime(t, "2022-07-05T11:40:07.4850616Z"), RandGUID: "9cd4c06c-fc8f-4b63-af94-56bc75c3f0cb"}},
		{"blob-trigger.json", funchost.Sys{MethodName: "blob", UTCNow: mustTime(t, "2022-07-25T10:26:43.0352723Z"), RandGUID: "30d01e72-94e7-4d4f-906a-2ce51939bfcc"}},
		{"http-text.json", funchost.Sys{MethodName: "Orders", UTCNow: mustTime(t, "2022-06-10T07:10:30.1722785Z"), RandGUID: "19f5a752-e046-4f7f-964f-e53207baed7b"}},
	} {
		t.Run(test.file, func(t *testing.T) {
			t.Parallel()
			got, err := parse(t, test.file).Sys()
			if err != nil {
				t.Fatal(err)
			}
			if got.MethodName != test.want.MethodName || !got.UTCNow.Equal(test.want.UTCNow) || got.RandGUID != test.want.RandGUID {
				t.Errorf("Sys() = %+v, want %+v", got, test.want)
			}
			// All 7 fractional digits survive: 100 ns precision.
			if got.UTCNow.Nanosecond()%100 != 0 || got.UTCNow.Nanosecond() != test.want.UTCNow.Nanosecond() {
				t.Errorf("UTCNow nanoseconds = %d, want %d", got.UTCNow.Nanosecond(), test.want.UTCNow.Nanosecond())
			}
		})
	}
}

func TestRetryContext(t *testing.T) {
	t.Parallel()
	got, err := parse(t, "timer-pastdue.json").RetryContext()
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.RetryCount != 1 || got.MaxRetryCount != 3 || len(got.Exception) == 0 {
		t.Errorf("RetryContext() = %+v, want RetryCount 1, MaxRetryCount 3, an Exception", got)
	}

	got, err = parse(t, "timer-null.json").RetryContext()
	if got != nil || err != nil {
		t.Errorf("RetryContext() without retry policy = %+v, %v, want nil, nil", got, err)
	}
}

// TestHeadersCanonical pins that Headers is an http.Header with
// canonical keys even for the capture's upper-case names.
func TestHeadersCanonical(t *testing.T) {
	t.Parallel()
	h, err := parse(t, "http-octet.json").HTTPRequest("httpPayload")
	if err != nil {
		t.Fatal(err)
	}
	for k := range h.Headers {
		if k != http.CanonicalHeaderKey(k) {
			t.Errorf("header key %q not canonical", k)
		}
	}
}
