package funchost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

// FuzzDecodeEnvelope feeds arbitrary bodies to ParseRequest, every
// accessor on every key, and the Handler. Properties: nothing panics;
// ParseRequest errors wrap ErrMalformed; accessor errors wrap
// ErrMissingBinding or ErrWrongType; the Handler always answers 200 or
// 400 (the function only decodes) with a JSON body.
//
// Seeds: testdata/envelopes/*.json plus testdata/fuzz/FuzzDecodeEnvelope.
func FuzzDecodeEnvelope(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "envelopes", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	h := funchost.Handle("Fuzz", func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
		// Binding errors only, so the Handler must answer 400 or 200.
		return nil, errors.Join(accessorErrors(&inv.InvokeRequest)...)
	}, nil)

	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := funchost.ParseRequest(body)
		if err != nil {
			if !errors.Is(err, funchost.ErrMalformed) {
				t.Fatalf("ParseRequest error %v does not wrap ErrMalformed", err)
			}
		} else {
			for _, err := range accessorErrors(req) {
				if err != nil && !errors.Is(err, funchost.ErrMissingBinding) && !errors.Is(err, funchost.ErrWrongType) {
					t.Fatalf("accessor error %v wraps neither ErrMissingBinding nor ErrWrongType", err)
				}
			}
		}

		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/Fuzz", bytes.NewReader(body)))
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("Handler status = %d (%s), want 200 or 400", rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("Handler body %q is not JSON", rec.Body)
		}
	})
}

// accessorCalls lists every decoding entry point, applied to one key.
var accessorCalls = []func(r *funchost.InvokeRequest, key string) error{
	func(r *funchost.InvokeRequest, k string) error { _, err := r.Text(k); return err },
	func(r *funchost.InvokeRequest, k string) error { _, err := r.Bytes(k); return err },
	func(r *funchost.InvokeRequest, k string) error { return r.QueueMessage(k, new(any)) },
	func(r *funchost.InvokeRequest, k string) error { return r.QueueMessage(k, new(order)) },
	func(r *funchost.InvokeRequest, k string) error { _, err := r.Timer(k); return err },
	func(r *funchost.InvokeRequest, k string) error {
		h, err := r.HTTPRequest(k)
		if err != nil {
			return err
		}
		_, err = h.BodyBytes()
		return err
	},
	func(r *funchost.InvokeRequest, k string) error { return r.DecodeData(k, new(any)) },
	func(r *funchost.InvokeRequest, k string) error { return r.DecodeData(k, new(string)) },
	func(r *funchost.InvokeRequest, k string) error { return r.DecodeMetadata(k, new(any)) },
	func(r *funchost.InvokeRequest, k string) error { return r.DecodeMetadata(k, new(string)) },
}

// accessorErrors calls every accessor on every key of r (and a few
// common binding names) and returns the errors.
func accessorErrors(r *funchost.InvokeRequest) []error {
	var errs []error
	keys := []string{"msg", "myTimer", "req"}
	for k := range r.Data {
		keys = append(keys, k)
	}
	for k := range r.Metadata {
		keys = append(keys, k)
	}
	for _, k := range keys {
		for _, call := range accessorCalls {
			errs = append(errs, call(r, k))
		}
	}
	_, err := r.QueueMeta()
	errs = append(errs, err)
	_, err = r.Sys()
	errs = append(errs, err)
	_, err = r.RetryContext()
	errs = append(errs, err)
	return errs
}

// FuzzUnwrap checks the double-encoding helpers against the host's
// encoding. For any text s, the host sends a string binding as
// JSON(JSON(s)); Text and DecodeValue into a string must give back s.
// For any valid JSON raw, Unwrap(raw) must be valid JSON, and decoding a
// JSON string raw into a string must match a plain json.Unmarshal
// reference (this pins decodeString's allocation-free fast path).
//
// Seeds: testdata/fuzz/FuzzUnwrap.
func FuzzUnwrap(f *testing.F) {
	f.Add([]byte(`"\"aaaaa\""`), "aaaaa")
	f.Add([]byte(`"1"`), "1234")
	f.Fuzz(func(t *testing.T, raw []byte, s string) {
		if json.Valid(raw) && !json.Valid(funchost.Unwrap(raw)) {
			t.Fatalf("Unwrap(%q) = %q, not valid JSON", raw, funchost.Unwrap(raw))
		}
		var v any
		_ = funchost.DecodeValue(raw, &v) // must not panic

		// String semantics, reference implementation: unquote once; if
		// the result is itself a JSON string literal, unquote again.
		var s1 string
		if json.Unmarshal(raw, &s1) == nil {
			want := s1
			var s2 string
			if len(s1) >= 2 && s1[0] == '"' && s1[len(s1)-1] == '"' && json.Unmarshal([]byte(s1), &s2) == nil {
				want = s2
			}
			var got string
			if err := funchost.DecodeValue(raw, &got); err != nil || got != want {
				t.Fatalf("DecodeValue(%q, *string) = %q, %v, want %q", raw, got, err, want)
			}
		}

		if !utf8.ValidString(s) {
			return
		}
		inner, err := json.Marshal(s) // JsonConvert.SerializeObject(s)
		if err != nil {
			t.Fatal(err)
		}
		wire, err := json.Marshal(string(inner)) // placed in the JObject
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := funchost.DecodeValue(wire, &got); err != nil {
			t.Fatalf("DecodeValue(%s): %v", wire, err)
		}
		if got != s {
			t.Fatalf("DecodeValue(%s) = %q, want %q", wire, got, s)
		}
		req := &funchost.InvokeRequest{Data: map[string]json.RawMessage{"msg": wire}}
		if got, err := req.Text("msg"); err != nil || got != s {
			t.Fatalf("Text(%s) = %q, %v, want %q", wire, got, err, s)
		}
		// If s is JSON, QueueMessage decodes it as the host's message body.
		if json.Valid([]byte(s)) {
			var want, got any
			if err := json.Unmarshal([]byte(s), &want); err != nil {
				return
			}
			if err := req.QueueMessage("msg", &got); err != nil {
				t.Fatalf("QueueMessage(%s): %v", wire, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("QueueMessage(%s) = %#v, want %#v", wire, got, want)
			}
		}
	})
}
