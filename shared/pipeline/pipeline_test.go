package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/funchost"
	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
	"github.com/mediaspecs/catalogue/shared/pipeline"
)

// The adapters implement the pipeline's interfaces.
var (
	_ pipeline.Titles  = (*cosmos.Store)(nil)
	_ pipeline.Changes = (*cosmos.Changes)(nil)
	_ pipeline.Files   = (*blob.Files)(nil)
)

const (
	drop    = "supplier-drop"
	reports = "ingest-reports"
)

type rig struct {
	titles    *memTitles
	changes   *memChanges
	files     *memFiles
	queue     *memQueue
	manifests *memManifests
	p         *pipeline.Pipeline
}

func newRig(t *testing.T, writers int) *rig {
	t.Helper()
	r := &rig{titles: newMemTitles(), changes: &memChanges{}, files: newMemFiles(), queue: &memQueue{}, manifests: newMemManifests()}
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: writers, Reindex: r.queue, Manifests: r.manifests},
		r.titles, r.changes, r.files, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	r.p = p
	return r
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func csvFile(t *testing.T, titles int, badEvery int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := gen.WriteCSV(&buf, gen.Options{Seed: 7, Titles: titles, BadEvery: badEvery}, ';', "windows-1252"); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// reindexed returns the ids sent to reindexing since the last call.
func (r *rig) reindexed(t *testing.T) []string {
	t.Helper()
	ids, _, err := r.queue.take()
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func (r *rig) run(t *testing.T, name, etag string, retried bool) *pipeline.Result {
	t.Helper()
	res, err := r.p.Run(t.Context(), pipeline.File{Name: name, ETag: etag}, retried, nil)
	if err != nil {
		t.Fatalf("Run(%s): %v", name, err)
	}
	return res
}

func TestIngestWritesTitlesReportAndMovesFile(t *testing.T) {
	r := newRig(t, 8)
	etag := r.files.put(drop, "acme/catalogue.csv", csvFile(t, 120, 0))
	res := r.run(t, "acme/catalogue.csv", etag, false)

	if res.Report == nil || res.Report.Verdict != ingest.Accepted {
		t.Fatalf("report = %+v, want accepted", res.Report)
	}
	if got := r.titles.len(); got != 120 {
		t.Errorf("stored titles = %d, want 120", got)
	}
	if got := len(r.changes.byID); got != 120 {
		t.Errorf("change records = %d, want 120", got)
	}
	if got := r.reindexed(t); len(got) != 120 || res.Reindexed != 120 {
		t.Errorf("reindex ids sent = %d (result says %d), want 120", len(got), res.Reindexed)
	}
	if res.Report.Writes.Created != 120 {
		t.Errorf("writes = %+v, want 120 created", res.Report.Writes)
	}
	if r.titles.overlap.Load() {
		t.Error("one title id was written concurrently")
	}
	if _, ok := r.files.get(drop, "acme/catalogue.csv"); ok {
		t.Error("the source blob is still in the drop folder")
	}
	if _, ok := r.files.get(drop, "processed/acme/catalogue.csv"); !ok {
		t.Errorf("no processed copy; drop container has %v", r.files.names(drop))
	}
	b, ok := r.files.get(reports, pipeline.ReportName("acme/catalogue.csv", etag))
	if !ok {
		t.Fatalf("no report; reports container has %v", r.files.names(reports))
	}
	var rep map[string]any
	if err := json.Unmarshal(b.body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep["verdict"] != "accepted" || rep["archivedTo"] != "processed/acme/catalogue.csv" || rep["encoding"] != "windows-1252" {
		t.Errorf("report = verdict %v archivedTo %v encoding %v", rep["verdict"], rep["archivedTo"], rep["encoding"])
	}
}

func TestRedeliveredEventIsNoop(t *testing.T) {
	r := newRig(t, 4)
	etag := r.files.put(drop, "acme/a.csv", csvFile(t, 20, 0))
	r.run(t, "acme/a.csv", etag, false)
	writes, puts := r.titles.writes.Load(), r.changes.puts
	r.reindexed(t)

	res := r.run(t, "acme/a.csv", etag, true)
	if res.Skipped != "already ingested" || len(r.reindexed(t)) != 0 {
		t.Errorf("re-delivery = %+v, want skipped with nothing to reindex", res)
	}
	if r.titles.writes.Load() != writes || r.changes.puts != puts {
		t.Errorf("re-delivery wrote: titles %d→%d, changes %d→%d", writes, r.titles.writes.Load(), puts, r.changes.puts)
	}
}

func TestRedroppedUnchangedFileWritesNothing(t *testing.T) {
	r := newRig(t, 4)
	body := csvFile(t, 30, 0)
	r.run(t, "acme/a.csv", r.files.put(drop, "acme/a.csv", body), false)
	writes := r.titles.writes.Load()
	r.reindexed(t)

	res := r.run(t, "acme/a.csv", r.files.put(drop, "acme/a.csv", body), false)
	if got := r.titles.writes.Load() - writes; got != 0 {
		t.Errorf("re-drop wrote %d titles, want 0", got)
	}
	if got := r.reindexed(t); res.Report.Writes.Unchanged != 30 || len(got) != 0 {
		t.Errorf("re-drop: writes %+v, reindex %d; want 30 unchanged, nothing to reindex", res.Report.Writes, len(got))
	}
}

// TestCrashMidFileThenRetry fails Cosmos part-way through a file, then
// re-delivers the event: every title ends up stored exactly once, with one
// change record per version, and every title id goes to reindexing (the
// crashed try never sent its output).
func TestCrashMidFileThenRetry(t *testing.T) {
	r := newRig(t, 8)
	const n = 200
	etag := r.files.put(drop, "acme/big.csv", csvFile(t, n, 0))
	r.titles.failAfter = 70
	if _, err := r.p.Run(t.Context(), pipeline.File{Name: "acme/big.csv", ETag: etag}, false, nil); err == nil {
		t.Fatal("Run with Cosmos failing: got nil error, want a failure")
	} else if !strings.Contains(err.Error(), "injected") {
		t.Fatalf("Run error = %v, want the injected outage", err)
	}
	if _, ok := r.files.get(drop, "acme/big.csv"); !ok {
		t.Fatal("the source was moved although the invocation failed")
	}
	if ok, _ := r.files.Exists(t.Context(), reports, pipeline.ReportName("acme/big.csv", etag)); ok {
		t.Fatal("a report (the completion marker) was written for a failed invocation")
	}
	partial := r.titles.len()
	if partial == 0 || partial >= n {
		t.Fatalf("after the crash %d titles are stored, want some but not all of %d", partial, n)
	}

	r.titles.failAfter = 0
	r.reindexed(t) // what the crashed try sent
	res := r.run(t, "acme/big.csv", etag, true)
	if got := r.titles.len(); got != n {
		t.Errorf("stored titles = %d, want %d", got, n)
	}
	if got := r.titles.writes.Load(); got != n {
		t.Errorf("title writes in total = %d, want %d (each title written once)", got, n)
	}
	for id, ch := range r.changes.byID {
		if ch.Version != 1 {
			t.Errorf("change %s has version %d, want 1", id, ch.Version)
		}
	}
	if got := len(r.changes.byID); got != n {
		t.Errorf("change records = %d, want %d", got, n)
	}
	if w := res.Report.Writes; w.Created != n-partial || w.Unchanged != partial {
		t.Errorf("retry writes = %+v, want %d created and %d unchanged", w, n-partial, partial)
	}
	if got := r.reindexed(t); len(got) != n {
		t.Errorf("retry reindexes %d ids, want all %d", len(got), n)
	}
}

func TestBadFilesAreReportedAndRejected(t *testing.T) {
	for _, tc := range []struct {
		name, blob string
		body       []byte
		reason     string
	}{
		{"not a table", "acme/x.csv", []byte("\x00\x01\x02garbage\n\xff\xfe"), ""},
		{"broken json", "sample-feed/x.json", []byte(`[{"id": "1", "name": `), ""},
		{"empty", "acme/empty.csv", nil, "empty"},
		{"no supplier folder", "loose.csv", []byte("key;name\n1;A\n"), "supplier folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 2)
			etag := r.files.put(drop, tc.blob, tc.body)
			res := r.run(t, tc.blob, etag, false)
			if res.Report.Verdict != ingest.Rejected || res.Report.FileError == "" {
				t.Fatalf("verdict %q, file error %q; want rejected with a reason", res.Report.Verdict, res.Report.FileError)
			}
			if !strings.Contains(res.Report.FileError, tc.reason) {
				t.Errorf("file error %q lacks %q", res.Report.FileError, tc.reason)
			}
			if _, ok := r.files.get(drop, "rejected/"+tc.blob); !ok {
				t.Errorf("not moved to rejected/; drop has %v", r.files.names(drop))
			}
			if ok, _ := r.files.Exists(t.Context(), reports, pipeline.ReportName(tc.blob, etag)); !ok {
				t.Errorf("no report; reports has %v", r.files.names(reports))
			}
			if !slices.ContainsFunc(r.files.names(reports), func(n string) bool { return strings.HasSuffix(n, ".rejected.csv") }) {
				t.Errorf("no rejected-rows CSV; reports has %v", r.files.names(reports))
			}
		})
	}
}

func TestBadRowsAreReported(t *testing.T) {
	r := newRig(t, 4)
	etag := r.files.put(drop, "acme/some-bad.csv", csvFile(t, 50, 5))
	res := r.run(t, "acme/some-bad.csv", etag, false)
	if res.Report.Verdict != ingest.AcceptedWithRejections || res.Report.ErrorCount == 0 {
		t.Fatalf("verdict %q with %d errors, want accepted_with_rejections", res.Report.Verdict, res.Report.ErrorCount)
	}
	for _, e := range res.Report.Errors {
		if e.Row == 0 || e.Reason == "" {
			t.Errorf("row error without row or reason: %+v", e)
		}
	}
	if got := r.titles.len(); got != res.Report.Titles {
		t.Errorf("stored %d titles, report says %d valid", got, res.Report.Titles)
	}
}

func TestStorageDownFailsTheInvocation(t *testing.T) {
	r := newRig(t, 2)
	etag := r.files.put(drop, "acme/a.csv", csvFile(t, 3, 0))
	r.files.openErr = fmt.Errorf("%w: storage 503", apperr.Unavailable)
	if _, err := r.p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: etag}, false, nil); err == nil {
		t.Fatal("got nil error with Storage down, want a failure")
	}
}

func TestGoneVersionIsSkipped(t *testing.T) {
	r := newRig(t, 2)
	old := r.files.put(drop, "acme/a.csv", csvFile(t, 3, 0))
	r.files.put(drop, "acme/a.csv", csvFile(t, 4, 0)) // a newer upload replaced it
	res := r.run(t, "acme/a.csv", old, false)
	if res.Skipped == "" || r.titles.len() != 0 {
		t.Errorf("result %+v with %d titles, want skipped and nothing written", res, r.titles.len())
	}
	if _, ok := r.files.get(drop, "acme/a.csv"); !ok {
		t.Error("the newer version was deleted")
	}
}

// TestIngestThroughTheEnvelope sends a queue invocation as the host does and
// checks the reindex ids went to the queue as a JSON object carrying the
// invocation's trace.
func TestIngestThroughTheEnvelope(t *testing.T) {
	r := newRig(t, 4)
	etag := r.files.put(drop, "acme/a b.csv", csvFile(t, 5, 0))
	ev := map[string]any{
		"id": "e1", "eventType": pipeline.BlobCreated, "subject": "/blobServices/default/containers/supplier-drop/blobs/acme/a b.csv",
		"eventTime": time.Now().UTC().Format(time.RFC3339Nano),
		"data":      map[string]any{"url": "http://127.0.0.1:10000/devstoreaccount1/supplier-drop/acme/a%20b.csv", "eTag": etag},
	}
	evJSON, _ := json.Marshal(ev)
	msg, _ := json.Marshal(string(evJSON))
	msgQuoted, _ := json.Marshal(string(msg))
	body := fmt.Sprintf(`{"Data":{"event":%s},"Metadata":{"Id":"\"m1\"","DequeueCount":"1"}}`, msgQuoted)

	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	h := funchost.Handle("IngestSupplierFile", r.p.Ingest, slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/IngestSupplierFile", strings.NewReader(body))
	req.Header.Set(funchost.HeaderTraceParent, tp)
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var resp struct {
		Outputs map[string]json.RawMessage
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	if _, ok := resp.Outputs["reindex"]; ok {
		t.Errorf("the ids came back as an output binding too: %s", rec.Body)
	}
	_, msgs, err := r.queue.take()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || len(msgs[0].IDs) != 5 || msgs[0].TraceParent != tp {
		t.Errorf("reindex messages = %+v, want one message with 5 ids and the invocation's traceparent", msgs)
	}
	if _, ok := r.files.get(drop, "processed/acme/a b.csv"); !ok {
		t.Errorf("not archived; drop has %v", r.files.names(drop))
	}
}

// countingTitles counts the lookups (prefetch point reads) and the writers'
// own reads.
type countingTitles struct {
	*memTitles
	gets, lookups atomic.Int64
}

func (c *countingTitles) Get(ctx context.Context, id string) (*catalog.Title, string, error) {
	c.gets.Add(1)
	return c.memTitles.Get(ctx, id)
}

func (c *countingTitles) GetDelivered(ctx context.Context, id string) (*catalog.Title, string, map[string]string, error) {
	c.lookups.Add(1)
	return c.memTitles.GetDelivered(ctx, id)
}

// TestUnchangedRedeliveryWritesNothing (no manifest): an unchanged
// re-delivery costs one point read a title and no write — the delivery
// fingerprints skip even the merge — and a title changed by someone else
// since is merged again and restored.
func TestUnchangedRedeliveryWritesNothing(t *testing.T) {
	mem := newMemTitles()
	titles := &countingTitles{memTitles: mem}
	files := newMemFiles()
	queue := &memQueue{}
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: 1, Reindex: queue}, titles, &memChanges{}, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := csvFile(t, 40, 0)
	run := func() *pipeline.Result {
		res, err := p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: files.put(drop, "acme/a.csv", body)}, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	run()
	if titles.lookups.Load() != 40 || titles.gets.Load() != 0 || mem.writes.Load() != 40 {
		t.Errorf("first ingest: %d lookups, %d writer reads, %d writes; want 40, 0, 40", titles.lookups.Load(), titles.gets.Load(), mem.writes.Load())
	}
	res := run()
	if res.Report.Writes.Unchanged != 40 || titles.lookups.Load() != 80 || titles.gets.Load() != 0 || mem.writes.Load() != 40 {
		t.Errorf("re-delivery: %+v, %d lookups in all, %d writer reads, %d writes in all; want 40 unchanged, 80, 0, still 40",
			res.Report.Writes, titles.lookups.Load(), titles.gets.Load(), mem.writes.Load())
	}
	if res.Reindexed != 0 {
		t.Fatalf("reindexed %d ids, want none", res.Reindexed)
	}
	// Another writer (that keeps no deliveries) changes one title: the
	// fingerprint no longer matches, so the delivery is merged again.
	var someID string
	for k := range mem.docs {
		someID = k
		break
	}
	old, etag, _ := mem.Get(t.Context(), someID)
	old.Status = catalog.StatusClosed
	old.ContentHash = old.Hash()
	if _, err := mem.ReplaceDelivered(t.Context(), old, nil, etag); err != nil {
		t.Fatal(err)
	}
	res = run()
	if w := res.Report.Writes; w.Updated != 1 || w.Unchanged != 39 || mem.writes.Load() != 42 {
		t.Errorf("writes %+v (%d in all), want the changed title restored from the delivery (1 updated, 39 unchanged; 42 writes with the outside one)", w, mem.writes.Load())
	}
	if got, _, _ := mem.Get(t.Context(), someID); got.Status == catalog.StatusClosed {
		t.Error("the delivery did not restore the title's status")
	}
}

// TestRepeatedKeyLaterRowWins: rows of one key split across the file (far
// enough apart to land in different prefetch batches) are merged in file
// order, the later delivery winning, on a first ingest and on a re-run.
func TestRepeatedKeyLaterRowWins(t *testing.T) {
	r := newRig(t, 4)
	var b strings.Builder
	b.WriteString("key;name;media_type;subtype\n")
	b.WriteString("k-1;First Name;print;daily\n")
	for i := range 1200 {
		fmt.Fprintf(&b, "f-%d;Filler %d;print;daily\n", i, i)
	}
	b.WriteString("k-1;Second Name;print;daily\n")
	for range 2 {
		etag := r.files.put(drop, "acme/dup.csv", []byte(b.String()))
		res := r.run(t, "acme/dup.csv", etag, false)
		if res.Report.Verdict == ingest.Rejected {
			t.Fatalf("rejected: %s %+v", res.Report.FileError, res.Report.Errors[:min(3, len(res.Report.Errors))])
		}
		got, _, err := r.titles.Get(t.Context(), catalog.StableID("acme", "k-1"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Second Name" {
			t.Errorf("name = %q, want the later row's %q", got.Name, "Second Name")
		}
	}
}
