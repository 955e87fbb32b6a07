package funchost_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

// BenchmarkDecodeQueueEnvelope measures the per-invocation decode work of
// a queue-triggered function: parse the envelope, decode the message body,
// the queue metadata and sys.
func BenchmarkDecodeQueueEnvelope(b *testing.B) {
	for _, bench := range []struct {
		name string
		file string
		into func() any
	}{
		{"order", "queue-json.json", func() any { return new(order) }},
		{"eventgrid", "queue-eventgrid.json", func() any { return new(blobCreated) }},
	} {
		b.Run(bench.name, func(b *testing.B) {
			body := envelope(b, bench.file)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				req, err := funchost.ParseRequest(body)
				if err != nil {
					b.Fatal(err)
				}
				if err := req.QueueMessage("msg", bench.into()); err != nil {
					b.Fatal(err)
				}
				if _, err := req.QueueMeta(); err != nil {
					b.Fatal(err)
				}
				if _, err := req.Sys(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeResponse measures encoding and writing a typical
// response: headers and buffered body on a ResponseWriter.
func BenchmarkEncodeResponse(b *testing.B) {
	for _, name := range []string{"queue-fanout", "http-output", "zero"} {
		var resp *funchost.InvokeResponse
		for _, c := range responseCases {
			if c.name == name {
				resp = c.resp
			}
		}
		b.Run(name, func(b *testing.B) {
			w := &discardWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				if err := funchost.WriteResponse(w, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandleQueueInvocation measures a whole invocation through
// Handler (body read, decode, function, encode, write) minus the network.
func BenchmarkHandleQueueInvocation(b *testing.B) {
	body := envelope(b, "queue-json.json")
	h := funchost.Handle("ProcessOrder", func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
		var o order
		if err := inv.QueueMessage("msg", &o); err != nil {
			return nil, err
		}
		if _, err := inv.QueueMeta(); err != nil {
			return nil, err
		}
		var resp funchost.InvokeResponse
		resp.SetOutput("outMsg", o)
		return &resp, nil
	}, nil)
	w := &discardWriter{h: make(http.Header)}
	r := httptest.NewRequest(http.MethodPost, "/ProcessOrder", nil)
	r.Header.Set(funchost.HeaderInvocationID, testInvocationID)
	rd := bytes.NewReader(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		r.Body = readCloser{rd}
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status = %d", w.status)
		}
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// discardWriter is a minimal ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
