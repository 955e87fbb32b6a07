package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/funchost"
	"github.com/mediaspecs/catalogue/shared/pipeline"
	"github.com/mediaspecs/catalogue/shared/reindex"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/stacktest"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// TestDropToReindexIsOneTrace: an ingestion invocation and the ReindexMedia
// invocation of the message it sent make one trace, though the host gives
// each invocation its own traceparent, as it does for queue triggers; the
// Elasticsearch call of the reindexing is in it too. A message without a
// trace context is reindexed in its invocation's trace. Every log line of
// both queue invocations carries the function, the invocation id and the
// trace and span ids; the ingestion summary carries file, profile and rows.
func TestDropToReindexIsOneTrace(t *testing.T) {
	es := stacktest.ElasticsearchClient(t) // requires the stack's Elasticsearch
	spans := tracetest.NewInMemoryExporter()
	// Ratio 1: every trace is recorded (the ratio applies to remote parents
	// too, see telemetry.sampler); that the spans below are one flow is
	// proven by their shared trace id and parent links.
	tel, err := telemetry.New(t.Context(), telemetry.Config{SampleRatio: 1,
		SpanProcessors: []sdktrace.SpanProcessor{sdktrace.NewSimpleSpanProcessor(spans)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	var logs lockedBuffer
	logger := telemetry.NewLogger(&logs, slog.LevelDebug)

	prefix := stacktest.IndexName(t, es)
	admin := &search.Admin{ES: es, Prefix: prefix, ReadAlias: prefix + "-read", WriteAlias: prefix + "-write"}
	t.Cleanup(func() {
		if res, err := es.Indices.DeleteIndexTemplate(search.TemplateName + "-" + prefix); err == nil {
			res.Body.Close()
		}
	})
	if _, err := admin.Bootstrap(t.Context(), time.Now()); err != nil {
		t.Fatal(err)
	}
	tracedES, err := search.NewClient(config.Elasticsearch{URL: stacktest.ElasticsearchURL},
		search.WithTracing(tel.TracerProvider()),
		search.WithTransport(func(rt http.RoundTripper) http.RoundTripper { return tel.HTTPDependency("elasticsearch", rt) }))
	if err != nil {
		t.Fatal(err)
	}

	r := newRig(t, 4)
	x := &reindex.Indexer{ES: tracedES, Alias: admin.WriteAlias, Titles: r.titles, Logger: logger}
	ingestFn := tel.Middleware("IngestSupplierFile", funchost.Handle("IngestSupplierFile", r.p.Ingest, logger))
	reindexFn := tel.Middleware("ReindexMedia", funchost.Handle("ReindexMedia", x.Func, logger))

	etag := r.files.put(drop, "acme/cat.csv", csvFile(t, 5, 0))
	ev, _ := json.Marshal(map[string]any{
		"id": "e1", "eventType": pipeline.BlobCreated, "subject": "/blobServices/default/containers/supplier-drop/blobs/acme/cat.csv",
		"eventTime": time.Now().UTC().Format(time.RFC3339Nano),
		"data":      map[string]any{"url": "http://127.0.0.1:10000/devstoreaccount1/supplier-drop/acme/cat.csv", "eTag": etag},
	})
	const (
		ingestTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
		reindexTrace = "0af7651916cd43dd8448eb211c80319c"
		plainTrace   = "11111111111111111111111111111111"
	)
	invoke(t, ingestFn, "/IngestSupplierFile", "event", ev, "00-"+ingestTrace+"-00f067aa0ba902b7-01")
	_, msgs, err := r.queue.take()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || len(msgs[0].IDs) != 5 {
		t.Fatalf("reindex messages = %+v, want one with 5 ids", msgs)
	}
	if !strings.Contains(msgs[0].TraceParent, ingestTrace) {
		t.Errorf("the reindex message carries %q, not the ingestion's trace", msgs[0].TraceParent)
	}
	body, _ := json.Marshal(pipeline.ReindexMessage{IDs: msgs[0].IDs, TraceParent: msgs[0].TraceParent})
	// The host starts a new trace for the queue invocation.
	invoke(t, reindexFn, "/ReindexMedia", "batch", body, "00-"+reindexTrace+"-b7ad6b7169203331-01")
	// An old message, without a trace context.
	old, _ := json.Marshal(map[string]any{"ids": msgs[0].IDs[:2]})
	invoke(t, reindexFn, "/ReindexMedia", "batch", old, "00-"+plainTrace+"-c7ad6b7169203332-01")

	byName := map[string][]tracetest.SpanStub{}
	for _, s := range spans.GetSpans() {
		byName[s.Name] = append(byName[s.Name], s)
	}
	one := func(name string, traceID string) tracetest.SpanStub {
		t.Helper()
		for _, s := range byName[name] {
			if s.SpanContext.TraceID().String() == traceID {
				return s
			}
		}
		t.Fatalf("no span %q in trace %s; spans: %v", name, traceID, spanNames(spans.GetSpans()))
		return tracetest.SpanStub{}
	}
	ingestInv := one("IngestSupplierFile", ingestTrace)
	ingestSpan := one("ingest supplier file", ingestTrace)
	if ingestSpan.Parent.SpanID() != ingestInv.SpanContext.SpanID() {
		t.Errorf("the ingestion span's parent is %v, want the invocation span %v", ingestSpan.Parent.SpanID(), ingestInv.SpanContext.SpanID())
	}
	reindexInv := one("ReindexMedia", reindexTrace)
	reindexSpan := one("reindex media", ingestTrace)
	if reindexSpan.Parent.SpanID() != ingestSpan.SpanContext.SpanID() || !reindexSpan.Parent.IsRemote() {
		t.Errorf("the reindexing span's parent is %v, want the ingestion span %v (remote)", reindexSpan.Parent.SpanID(), ingestSpan.SpanContext.SpanID())
	}
	if len(reindexSpan.Links) != 1 || reindexSpan.Links[0].SpanContext.SpanID() != reindexInv.SpanContext.SpanID() {
		t.Errorf("the reindexing span's links = %+v, want its invocation span %v", reindexSpan.Links, reindexInv.SpanContext.SpanID())
	}
	bulk := one("bulk", ingestTrace)
	if bulk.SpanKind != trace.SpanKindClient || bulk.Parent.SpanID() != reindexSpan.SpanContext.SpanID() {
		t.Errorf("the Elasticsearch bulk span is %v with parent %v, want a client span under the reindexing", bulk.SpanKind, bulk.Parent.SpanID())
	}
	if !hasAttr(bulk, "http.response.status_code", "200") || !hasAttr(bulk, "db.system", "elasticsearch") {
		t.Errorf("the bulk span lacks its status or db.system: %v", bulk.Attributes)
	}
	// The old message: reindexed, in its own invocation's trace.
	plainInv := one("ReindexMedia", plainTrace)
	plainSpan := one("reindex media", plainTrace)
	if plainSpan.Parent.SpanID() != plainInv.SpanContext.SpanID() || len(plainSpan.Links) != 0 {
		t.Errorf("a message without context: parent %v links %v, want the invocation span and no link", plainSpan.Parent.SpanID(), plainSpan.Links)
	}

	// Log lines.
	var reindexed []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(logs.Bytes()))
	lines := 0
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %s", sc.Text())
		}
		lines++
		for _, k := range []string{"function", "invocation_id", "trace_id", "span_id"} {
			if s, _ := line[k].(string); s == "" {
				t.Errorf("log line without %s: %s", k, sc.Text())
			}
		}
		switch line["msg"] {
		case "file ingested":
			if line["file"] != "acme/cat.csv" || line["profile"] != "generic" || line["rows"] == 0.0 || line["accepted_rows"] != line["rows"] || line["titles"] != 5.0 || line["trace_id"] != ingestTrace {
				t.Errorf("ingestion summary lacks file, profile, rows or the trace: %s", sc.Text())
			}
		case "reindexed":
			reindexed = append(reindexed, line)
		}
	}
	if lines < 5 {
		t.Errorf("only %d log lines:\n%s", lines, logs.Bytes())
	}
	if len(reindexed) != 2 || reindexed[0]["trace_id"] != ingestTrace || reindexed[1]["trace_id"] != plainTrace {
		t.Errorf("reindex lines %v, want one in the ingestion's trace, one in its own", reindexed)
	}
}

// invoke sends a queue invocation (binding name, message body) as the host
// does, with the host's traceparent tp, and fails unless it succeeds.
func invoke(t *testing.T, h http.Handler, path, binding string, msg []byte, tp string) {
	t.Helper()
	text, _ := json.Marshal(string(msg))
	quoted, _ := json.Marshal(string(text))
	body := fmt.Sprintf(`{"Data":{%q:%s},"Metadata":{"Id":"\"m1\"","DequeueCount":"1"}}`, binding, quoted)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, path, strings.NewReader(body))
	req.Header.Set(funchost.HeaderTraceParent, tp)
	req.Header.Set(funchost.HeaderInvocationID, fmt.Sprintf("%08x-0000-4000-8000-000000000000", time.Now().UnixNano()&0xffffffff))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
	}
}

func spanNames(ss tracetest.SpanStubs) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name+"@"+s.SpanContext.TraceID().String()[:8])
	}
	return out
}

func hasAttr(s tracetest.SpanStub, key, value string) bool {
	for _, a := range s.Attributes {
		if string(a.Key) == key && a.Value.String() == value {
			return true
		}
	}
	return false
}

// lockedBuffer is a bytes.Buffer safe for the writers' goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// TestIngestContinuesTheEventsTrace: an event that carries a traceparent
// (the CloudEvents distributed-tracing extension) is ingested in that trace,
// linked to the invocation, and the reindex message carries it on.
func TestIngestContinuesTheEventsTrace(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(t.Context(), telemetry.Config{SampleRatio: 1,
		SpanProcessors: []sdktrace.SpanProcessor{sdktrace.NewSimpleSpanProcessor(spans)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	r := newRig(t, 2)
	ingestFn := tel.Middleware("IngestSupplierFile", funchost.Handle("IngestSupplierFile", r.p.Ingest, slog.New(slog.DiscardHandler)))
	etag := r.files.put(drop, "acme/ev.csv", csvFile(t, 3, 0))
	const producerTrace = "5bf92f3577b34da6a3ce929d0e0e4737"
	ev, _ := json.Marshal(map[string]any{
		"id": "e2", "eventType": pipeline.BlobCreated, "subject": "/blobServices/default/containers/supplier-drop/blobs/acme/ev.csv",
		"eventTime":   time.Now().UTC().Format(time.RFC3339Nano),
		"traceparent": "00-" + producerTrace + "-10f067aa0ba902b8-01",
		"data":        map[string]any{"url": "http://127.0.0.1:10000/devstoreaccount1/supplier-drop/acme/ev.csv", "eTag": etag},
	})
	invoke(t, ingestFn, "/IngestSupplierFile", "event", ev, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	var ingest, inv *tracetest.SpanStub
	got := spans.GetSpans()
	for i, s := range got {
		switch s.Name {
		case "ingest supplier file":
			ingest = &got[i]
		case "IngestSupplierFile":
			inv = &got[i]
		}
	}
	if ingest == nil || inv == nil {
		t.Fatalf("spans %v", spanNames(got))
	}
	if ingest.SpanContext.TraceID().String() != producerTrace || ingest.Parent.SpanID().String() != "10f067aa0ba902b8" ||
		len(ingest.Links) != 1 || ingest.Links[0].SpanContext.SpanID() != inv.SpanContext.SpanID() {
		t.Errorf("ingestion span: trace %v parent %v links %v, want the event's trace, linked to the invocation",
			ingest.SpanContext.TraceID(), ingest.Parent.SpanID(), ingest.Links)
	}
	_, msgs, err := r.queue.take()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0].TraceParent, producerTrace+"-"+ingest.SpanContext.SpanID().String()) {
		t.Errorf("reindex messages %+v, want the ingestion span's context", msgs)
	}
}
