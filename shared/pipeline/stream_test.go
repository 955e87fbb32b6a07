package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
	"github.com/mediaspecs/catalogue/shared/pipeline"
)

// TestReindexIDsAreSentWhileIngesting: a file whose ids do not fit one
// message is sent in several, each a JSON object within the bound, every id
// exactly once.
func TestReindexIDsAreSentWhileIngesting(t *testing.T) {
	const n, limit = 200, 2048 // ~30 ids a message
	files, queue := newMemFiles(), &memQueue{}
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: 8, Reindex: queue, MessageBytes: limit},
		newMemTitles(), &memChanges{}, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{files: files, queue: queue, p: p}
	etag := r.files.put(drop, "acme/big.csv", csvFile(t, n, 0))
	res := r.run(t, "acme/big.csv", etag, false)
	ids, msgs, err := r.queue.take()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 3 || res.ReindexMessages != len(msgs) || res.Reindexed != n {
		t.Errorf("%d messages (result: %d messages, %d ids), want the %d ids split over several", len(msgs), res.ReindexMessages, res.Reindexed, n)
	}
	for _, m := range msgs {
		if m.size > limit {
			t.Errorf("a message of %d ids is %d bytes, over %d", len(m.IDs), m.size, limit)
		}
	}
	want := map[string]bool{}
	gen.Each(gen.Options{Seed: 7, Titles: n}, func(g gen.Title) { want[catalog.StableID("acme", g.Key)] = true })
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || !want[id] {
			t.Fatalf("id %s sent twice or not in the file", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct ids sent, want %d", len(seen), n)
	}
}

// reportThenFail is memFiles whose deletion of the source fails: the
// process dies after the report (the completion marker) was written and
// before the host got its answer.
type reportThenFail struct {
	*memFiles
	fail atomic.Bool
}

func (f *reportThenFail) DeleteVersion(ctx context.Context, container, name, etag string) error {
	if f.fail.Load() {
		return fmt.Errorf("%w: injected crash after the report", apperr.Unavailable)
	}
	return f.memFiles.DeleteVersion(ctx, container, name, etag)
}

// TestCrashAfterReportLosesNoReindexID closes the gap where a file whose
// report exists had never sent its reindex ids: they are on the queue before
// the report is written, so the failed invocation already delivered them and
// the re-delivery, a no-op, needs to send nothing.
func TestCrashAfterReportLosesNoReindexID(t *testing.T) {
	files := &reportThenFail{memFiles: newMemFiles()}
	queue := &memQueue{}
	titles := newMemTitles()
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: 4, Reindex: queue}, titles, &memChanges{}, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	etag := files.put(drop, "acme/a.csv", csvFile(t, n, 0))
	files.fail.Store(true)
	if _, err := p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: etag}, false, nil); err == nil {
		t.Fatal("Run with the final delete failing: got nil error")
	}
	if ok, _ := files.Exists(t.Context(), reports, pipeline.ReportName("acme/a.csv", etag)); !ok {
		t.Fatal("no report: the failure was injected too early to test the gap")
	}
	ids, _, err := queue.take()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != n {
		t.Errorf("before the crash %d ids were sent, want all %d", len(ids), n)
	}

	files.fail.Store(false)
	res, err := p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: etag}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != "already ingested" {
		t.Errorf("re-delivery = %+v, want skipped as already ingested", res)
	}
	if _, ok := files.get(drop, "acme/a.csv"); ok {
		t.Error("the re-delivery did not finish the move")
	}
	if got := titles.writes.Load(); got != n {
		t.Errorf("title writes = %d, want %d", got, n)
	}
}

// TestReindexQueueDownFailsBeforeTheReport: ids that cannot be sent fail
// the invocation before the report exists, so the retry ingests (and sends)
// again instead of being a no-op.
func TestReindexQueueDownFailsBeforeTheReport(t *testing.T) {
	r := newRig(t, 4)
	const n = 30
	etag := r.files.put(drop, "acme/a.csv", csvFile(t, n, 0))
	r.queue.failErr = fmt.Errorf("%w: injected queue outage", apperr.Unavailable)
	_, err := r.p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: etag}, false, nil)
	if !errors.Is(err, apperr.Unavailable) {
		t.Fatalf("Run with the queue down = %v, want Unavailable", err)
	}
	if ok, _ := r.files.Exists(t.Context(), reports, pipeline.ReportName("acme/a.csv", etag)); ok {
		t.Fatal("a report was written although the reindex ids were not sent")
	}
	r.queue.failErr = nil
	res := r.run(t, "acme/a.csv", etag, true)
	if got := r.reindexed(t); len(got) != n || res.Report.Writes.Unchanged != n {
		t.Errorf("retry sent %d ids with writes %+v, want all %d ids, %d unchanged", len(got), res.Report.Writes, n, n)
	}
}

// gatedTitles holds the first write of one id until the batch holding that
// id's second occurrence in the file is being prefetched (the lookup of
// after, a title of that batch): the earlier write then lands after the
// later prefetch, the case a stale shortcut would get wrong.
type gatedTitles struct {
	*memTitles
	id, after string
	armed     atomic.Bool
	release   chan struct{}
	once      sync.Once
	heldOnce  sync.Once
}

func (g *gatedTitles) GetDelivered(ctx context.Context, id string) (*catalog.Title, string, map[string]string, error) {
	if g.armed.Load() && id == g.after {
		g.once.Do(func() { close(g.release) })
	}
	return g.memTitles.GetDelivered(ctx, id)
}

func (g *gatedTitles) ReplaceDelivered(ctx context.Context, t *catalog.Title, d map[string]string, ifMatch string) (string, error) {
	if g.armed.Load() && t.ID == g.id {
		g.heldOnce.Do(func() {
			select {
			case <-g.release:
			case <-time.After(10 * time.Second): // never hang the suite; the assertion below still decides
			}
		})
	}
	return g.memTitles.ReplaceDelivered(ctx, t, d, ifMatch)
}

// TestRepeatedKeyInFlightIsNotShortcut: a key delivered twice far apart,
// whose earlier write is still in flight when the later occurrence is
// prefetched, must not be skipped on the strength of the stored fingerprint
// (which the earlier write is about to replace): the later row wins.
func TestRepeatedKeyInFlightIsNotShortcut(t *testing.T) {
	var b strings.Builder
	b.WriteString("key;name;media_type;subtype\n")
	b.WriteString("k-1;First Name;print;daily\n")
	for i := range 250 {
		fmt.Fprintf(&b, "f-%d;Filler %d;print;daily\n", i, i)
	}
	b.WriteString("k-1;Second Name;print;daily\n")
	// Batches of 100: the second k-1 comes in the third, with f-249.
	titles := &gatedTitles{memTitles: newMemTitles(), id: catalog.StableID("acme", "k-1"), after: catalog.StableID("acme", "f-249"),
		release: make(chan struct{})}
	files := newMemFiles()
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: 4, Reindex: &memQueue{}}, titles, &memChanges{}, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		titles.armed.Store(run == 1) // the second run finds "Second Name" stored with its fingerprint
		if _, err := p.Run(t.Context(), pipeline.File{Name: "acme/dup.csv", ETag: files.put(drop, "acme/dup.csv", []byte(b.String()))}, false, nil); err != nil {
			t.Fatal(err)
		}
		got, _, err := titles.Get(t.Context(), titles.id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Second Name" {
			t.Errorf("run %d: name = %q, want the later row's %q", run+1, got.Name, "Second Name")
		}
	}
	select {
	case <-titles.release:
	default:
		t.Error("the gate never saw the second occurrence prefetched: the test did not exercise the race")
	}
}
