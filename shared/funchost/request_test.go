package funchost_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

func TestParseRequest(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		name    string
		body    string
		wantErr bool
	}{
		{"empty envelope", `{"Data":{},"Metadata":{}}`, false},
		{"lower-case keys", `{"data":{},"metadata":{}}`, false},
		{"empty body", ``, true},
		{"not JSON", `Data=1`, true},
		{"truncated", `{"Data":{"msg":"\"a\""},"Metadata":`, true},
		{"trailing garbage", `{"Data":{},"Metadata":{}} {}`, true},
		{"top-level array", `[{"Data":{},"Metadata":{}}]`, true},
		{"top-level string", `"{\"Data\":{},\"Metadata\":{}}"`, true},
		{"Data is a string", `{"Data":"{}","Metadata":{}}`, true},
		{"Data is an array", `{"Data":[],"Metadata":{}}`, true},
		{"Data is null", `{"Data":null,"Metadata":{}}`, true},
		{"Data missing", `{"Metadata":{}}`, true},
		{"Metadata is a string", `{"Data":{},"Metadata":"{}"}`, true},
		{"Metadata missing", `{"Data":{}}`, true},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			req, err := funchost.ParseRequest([]byte(test.body))
			if test.wantErr {
				if !errors.Is(err, funchost.ErrMalformed) {
					t.Errorf("ParseRequest(%q) error = %v, want ErrMalformed", test.body, err)
				}
				if req != nil {
					t.Errorf("ParseRequest(%q) = %+v, want nil on error", test.body, req)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRequest(%q): %v", test.body, err)
			}
			if req.Data == nil || req.Metadata == nil {
				t.Errorf("ParseRequest(%q) = %+v, want non-nil maps", test.body, req)
			}
		})
	}
}

func TestParseRequestFixtures(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		file         string
		wantData     []string
		wantMetadata []string
	}{
		{"queue-string.json", []string{"inMsg"}, []string{"DequeueCount", "ExpirationTime", "Id", "InsertionTime", "NextVisibleTime", "PopReceipt", "sys"}},
		{"timer-null.json", []string{"inMsg"}, []string{"sys"}},
		{"blob-trigger.json", []string{"blobIn"}, []string{"Metadata", "Properties", "Uri", "name", "sys"}},
		{"http-blob-input.json", []string{"blobIn", "httpPayload"}, []string{"Headers", "Query", "name", "sys"}},
	} {
		t.Run(test.file, func(t *testing.T) {
			t.Parallel()
			req := parse(t, test.file)
			if got := sortedKeys(req.Data); !reflect.DeepEqual(got, test.wantData) {
				t.Errorf("Data keys = %v, want %v", got, test.wantData)
			}
			if got := sortedKeys(req.Metadata); !reflect.DeepEqual(got, test.wantMetadata) {
				t.Errorf("Metadata keys = %v, want %v", got, test.wantMetadata)
			}
		})
	}
}

func TestUnwrap(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		name string
		raw  string
		want string
	}{
		{"double-encoded string", `"\"aaaaa\""`, `"aaaaa"`},
		{"double-encoded int", `"1"`, `1`},
		{"double-encoded array", `"[{\"id\":\"a\"}]"`, `[{"id":"a"}]`},
		{"double-encoded object", `"{\"a\":1}"`, `{"a":1}`},
		{"double-encoded bool", `"true"`, `true`},
		{"plain date string", `"2022-06-20T06:00:06+00:00"`, `"2022-06-20T06:00:06+00:00"`},
		{"plain text", `"hello world"`, `"hello world"`},
		{"empty string", `""`, `""`},
		{"escaped slashes", `"\"https:\/\/a.example\/b\""`, `"https://a.example/b"`},
		{"object unchanged", `{"Schedule":{}}`, `{"Schedule":{}}`},
		{"array unchanged", `[1,2]`, `[1,2]`},
		{"number unchanged", `42`, `42`},
		{"invalid unchanged", `{"a":`, `{"a":`},
		// The §8 caveat: base64 of digits is valid JSON and is misread.
		// This is why Bytes never calls Unwrap.
		{"digits misread as number", `"1234"`, `1234`},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			if got := string(funchost.Unwrap(json.RawMessage(test.raw))); got != test.want {
				t.Errorf("Unwrap(%s) = %s, want %s", test.raw, got, test.want)
			}
		})
	}
}

func TestDecodeValue(t *testing.T) {
	t.Parallel()
	type doc struct {
		ID string `json:"id"`
	}
	for _, test := range []struct {
		name string
		raw  string
		into func() any // returns a pointer to decode into
		want any        // the pointed-to value expected
	}{
		{"string double-encoded", `"\"hello.txt\""`, func() any { return new(string) }, "hello.txt"},
		{"string single-encoded", `"hello.txt"`, func() any { return new(string) }, "hello.txt"},
		{"string of digits stays string", `"\"1234\""`, func() any { return new(string) }, "1234"},
		{"single-encoded digits stay string", `"1234"`, func() any { return new(string) }, "1234"},
		{"string with quotes inside", `"\"say \\\"hi\\\"\""`, func() any { return new(string) }, `say "hi"`},
		{"int from string", `"1"`, func() any { return new(int) }, 1},
		{"int from number", `1`, func() any { return new(int) }, 1},
		{"array from string", `"[{\"id\":\"a\"},{\"id\":\"b\"}]"`, func() any { return new([]doc) }, []doc{{"a"}, {"b"}}},
		{"object as is", `{"id":"x"}`, func() any { return new(doc) }, doc{"x"}},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			v := test.into()
			if err := funchost.DecodeValue(json.RawMessage(test.raw), v); err != nil {
				t.Fatalf("DecodeValue(%s): %v", test.raw, err)
			}
			if got := reflect.ValueOf(v).Elem().Interface(); !reflect.DeepEqual(got, test.want) {
				t.Errorf("DecodeValue(%s) = %#v, want %#v", test.raw, got, test.want)
			}
		})
	}
}

// TestAccessorErrors checks that each accessor reports missing and
// mistyped bindings with the right sentinel.
func TestAccessorErrors(t *testing.T) {
	t.Parallel()
	const sys = `"sys":{"MethodName":"f","UtcNow":"2022-06-13T06:00:18.1974545Z","RandGuid":"g"}`
	for _, test := range []struct {
		name     string
		envelope string
		call     func(*funchost.InvokeRequest) error
		want     error
	}{
		{"Timer missing", `{"Data":{},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.Timer("myTimer"); return err }, funchost.ErrMissingBinding},
		{"Timer null", `{"Data":{"myTimer":null},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.Timer("myTimer"); return err }, funchost.ErrMissingBinding},
		{"Timer is a string", `{"Data":{"myTimer":"\"x\""},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.Timer("myTimer"); return err }, funchost.ErrWrongType},
		{"Timer IsPastDue not bool", `{"Data":{"myTimer":{"IsPastDue":"yes"}},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.Timer("myTimer"); return err }, funchost.ErrWrongType},
		{"Timer bad Next", `{"Data":{"myTimer":{"ScheduleStatus":{"Next":"tomorrow"}}},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.Timer("myTimer"); return err }, funchost.ErrWrongType},
		{"QueueMeta on timer envelope", `{"Data":{},"Metadata":{` + sys + `}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.QueueMeta(); return err }, funchost.ErrMissingBinding},
		{"QueueMeta DequeueCount not a number", `{"Data":{},"Metadata":{"Id":"\"a\"","DequeueCount":"\"one\""}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.QueueMeta(); return err }, funchost.ErrWrongType},
		{"QueueMeta Id is an object", `{"Data":{},"Metadata":{"Id":{},"DequeueCount":"1"}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.QueueMeta(); return err }, funchost.ErrWrongType},
		{"QueueMeta bad InsertionTime", `{"Data":{},"Metadata":{"Id":"\"a\"","DequeueCount":"1","InsertionTime":"13/06/2022"}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.QueueMeta(); return err }, funchost.ErrWrongType},
		{"QueueMessage missing", `{"Data":{},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { return r.QueueMessage("msg", new(any)) }, funchost.ErrMissingBinding},
		{"QueueMessage not JSON", `{"Data":{"msg":"\"aaaaa\""},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { return r.QueueMessage("msg", new(any)) }, funchost.ErrWrongType},
		{"QueueMessage is a number", `{"Data":{"msg":42},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { return r.QueueMessage("msg", new(any)) }, funchost.ErrWrongType},
		{"QueueMessage wrong field type", `{"Data":{"msg":"\"{\\\"orderId\\\":\\\"x\\\"}\""},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error {
				var v struct {
					OrderID int `json:"orderId"`
				}
				return r.QueueMessage("msg", &v)
			}, funchost.ErrWrongType},
		{"Text is an object", `{"Data":{"msg":{"a":1}},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.Text("msg"); return err }, funchost.ErrWrongType},
		{"Bytes is an object", `{"Data":{"blob":{}},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.Bytes("blob"); return err }, funchost.ErrWrongType},
		{"Bytes of a double-encoded string", `{"Data":{"blob":"\"aaaaa\""},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.Bytes("blob"); return err }, funchost.ErrWrongType},
		{"HTTPRequest is a string", `{"Data":{"req":"\"GET /\""},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.HTTPRequest("req"); return err }, funchost.ErrWrongType},
		{"HTTPRequest headers not arrays", `{"Data":{"req":{"Headers":{"Host":"a"}}},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.HTTPRequest("req"); return err }, funchost.ErrWrongType},
		{"HTTPRequest object route value", `{"Data":{"req":{"Params":{"id":{}}}},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.HTTPRequest("req"); return err }, funchost.ErrWrongType},
		{"BodyBytes bad base64", `{"Data":{"req":{"Headers":{"Content-Type":["application/octet-stream"]},"Body":"not base64!"}},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error {
				h, err := r.HTTPRequest("req")
				if err != nil {
					return err
				}
				_, err = h.BodyBytes()
				return err
			}, funchost.ErrWrongType},
		{"Sys missing", `{"Data":{},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.Sys(); return err }, funchost.ErrMissingBinding},
		{"Sys is a string", `{"Data":{},"Metadata":{"sys":"\"x\""}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.Sys(); return err }, funchost.ErrWrongType},
		{"RetryContext is a string", `{"Data":{},"Metadata":{"RetryContext":"\"x\""}}`,
			func(r *funchost.InvokeRequest) error { _, err := r.RetryContext(); return err }, funchost.ErrWrongType},
		{"DecodeData missing", `{"Data":{},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { return r.DecodeData("in", new(any)) }, funchost.ErrMissingBinding},
		{"DecodeData wrong type", `{"Data":{"in":"[1,2]"},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { return r.DecodeData("in", new(map[string]int)) }, funchost.ErrWrongType},
		{"DecodeMetadata missing", `{"Data":{},"Metadata":{}}`,
			func(r *funchost.InvokeRequest) error { return r.DecodeMetadata("name", new(string)) }, funchost.ErrMissingBinding},
		{"DecodeMetadata wrong type", `{"Data":{},"Metadata":{"name":{}}}`,
			func(r *funchost.InvokeRequest) error { return r.DecodeMetadata("name", new(string)) }, funchost.ErrWrongType},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			err := test.call(parseString(t, test.envelope))
			if !errors.Is(err, test.want) {
				t.Errorf("got error %v, want %v", err, test.want)
			}
		})
	}
}
