package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// lookupCounter counts every Cosmos lookup the pipeline makes per title.
type lookupCounter struct {
	*memTitles
	read atomic.Int64
}

func (c *lookupCounter) GetDelivered(ctx context.Context, id string) (*catalog.Title, string, map[string]string, error) {
	c.read.Add(1)
	return c.memTitles.GetDelivered(ctx, id)
}

func (c *lookupCounter) Get(ctx context.Context, id string) (*catalog.Title, string, error) {
	c.read.Add(1)
	return c.memTitles.Get(ctx, id)
}

type manifestRig struct {
	titles    *lookupCounter
	changes   *memChanges
	manifests *memManifests
	files     *memFiles
	p         *pipeline.Pipeline
}

func newManifestRig(t *testing.T, maxTitles int) *manifestRig {
	t.Helper()
	r := &manifestRig{titles: &lookupCounter{memTitles: newMemTitles()}, changes: &memChanges{}, manifests: newMemManifests(), files: newMemFiles()}
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: 4, Reindex: &memQueue{},
		Manifests: r.manifests, ManifestMaxTitles: maxTitles}, r.titles, r.changes, r.files, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.p = p
	return r
}

// run ingests body as acme/<name> and returns the writes and the per-title
// Cosmos lookups it made.
func (r *manifestRig) run(t *testing.T, name string, body []byte) (pipeline.Writes, int64) {
	t.Helper()
	before := r.titles.read.Load()
	res, err := r.p.Run(t.Context(), pipeline.File{Name: "acme/" + name, ETag: r.files.put(drop, "acme/"+name, body)}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Report.Writes, r.titles.read.Load() - before
}

func (r *manifestRig) stored(supplier string) []byte {
	r.manifests.mu.Lock()
	defer r.manifests.mu.Unlock()
	return r.manifests.bodies[supplier]
}

// vouched is the number of titles manifest m vouches for (0 for none).
func vouched(t *testing.T, m []byte) int {
	t.Helper()
	if m == nil {
		return 0
	}
	rest, ok := bytes.CutPrefix(m, []byte("MSM1\n"))
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	var h struct {
		Titles int `json:"titles"`
	}
	if !ok || json.Unmarshal(line, &h) != nil {
		t.Fatalf("not a manifest: %.80q", m)
	}
	return h.Titles
}

// TestManifestSkipsUnchangedRedelivery: after a first ingest, the same
// content — even under another file name — is recognised from the manifest
// alone: no lookup, no write.
func TestManifestSkipsUnchangedRedelivery(t *testing.T) {
	r := newManifestRig(t, 0)
	body := csvFile(t, 40, 0)
	if w, _ := r.run(t, "week1.csv", body); w.Created != 40 {
		t.Fatalf("first ingest writes %+v", w)
	}
	w, lookups := r.run(t, "week2.csv", body)
	if w.Unchanged != 40 || w.UnchangedByManifest != 40 || lookups != 0 || r.titles.writes.Load() != 40 {
		t.Errorf("re-delivery: writes %+v, %d lookups, %d title writes in all; want 40 unchanged by manifest, no lookup, no new write", w, lookups, r.titles.writes.Load())
	}
}

// TestManifestDoesNotHideOutsideEdits: a title changed by another path since
// the manifest (an editor or a tool, recorded in the outside writes log) is
// merged again from the delivery; the rest still comes from the manifest.
func TestManifestDoesNotHideOutsideEdits(t *testing.T) {
	r := newManifestRig(t, 0)
	body := csvFile(t, 30, 0)
	r.run(t, "a.csv", body)
	id := catalog.StableID("acme", gen.Generate(gen.Options{Seed: 7, Titles: 30})[3].Key)
	old, etag, err := r.titles.memTitles.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	old.Name = "Edited elsewhere"
	old.ContentHash = old.Hash()
	if err := r.titles.memTitles.replaceOutside(t.Context(), old, etag); err != nil {
		t.Fatal(err)
	}
	w, _ := r.run(t, "a.csv", body)
	if w.Updated != 1 || w.UnchangedByManifest != 29 {
		t.Errorf("writes %+v, want the edited title merged again (1 updated) and 29 unchanged by manifest", w)
	}
	got, _, _ := r.titles.memTitles.Get(t.Context(), id)
	if got.Name == "Edited elsewhere" {
		t.Error("the supplier's delivery did not restore its block")
	}
}

// TestManifestAfterCrashMidFile: a file that fails half-way leaves no
// manifest to trust, so re-delivering the previous content restores every
// title the failed file had changed.
func TestManifestAfterCrashMidFile(t *testing.T) {
	r := newManifestRig(t, 0)
	const n = 60
	original := csvFile(t, n, 0)
	r.run(t, "a.csv", original)
	// The next delivery changes every title (same keys, other content), and
	// Cosmos fails part-way.
	var other bytes.Buffer
	if _, err := gen.WriteCSV(&other, gen.Options{Seed: 8, Titles: n}, ';', "windows-1252"); err != nil {
		t.Fatal(err)
	}
	renamed := other.Bytes()
	r.titles.failAfter = r.titles.writes.Load() + 10
	if _, err := r.p.Run(t.Context(), pipeline.File{Name: "acme/b.csv", ETag: r.files.put(drop, "acme/b.csv", renamed)}, false, nil); err == nil {
		t.Fatal("the failing file did not fail")
	}
	r.titles.failAfter = 0
	if m := r.stored("acme"); vouched(t, m) != 0 {
		t.Errorf("after the failed file the manifest is %.80q, want one that vouches for nothing", m)
	}
	w, _ := r.run(t, "a.csv", original)
	if w.UnchangedByManifest != 0 {
		t.Errorf("re-delivery after the crash: %+v, want nothing vouched for by a manifest", w)
	}
	gen.Each(gen.Options{Seed: 7, Titles: n}, func(g gen.Title) {
		got, _, err := r.titles.memTitles.Get(t.Context(), catalog.StableID("acme", g.Key))
		if err != nil || got.Name != g.Name {
			t.Errorf("%s: %v name %q, want %q", g.Key, err, got.Name, g.Name)
		}
	})
	if w, lookups := r.run(t, "a.csv", original); w.UnchangedByManifest != n || lookups != 0 {
		t.Errorf("the next re-delivery: %+v with %d lookups, want the manifest back in use", w, lookups)
	}
}

// TestManifestMarkerOfAnotherFile: a fresh "in progress" marker (another
// file of the supplier running, or a process that died) means no manifest
// for this file and none stored after it; a marker past the function
// timeout is a dead file's and is ignored.
func TestManifestMarkerOfAnotherFile(t *testing.T) {
	r := newManifestRig(t, 0)
	body := csvFile(t, 20, 0)
	r.run(t, "a.csv", body)
	r.manifests.mu.Lock()
	r.manifests.bodies["acme"] = []byte("MSM-BUSY " + time.Now().UTC().Format(time.RFC3339) + "\n")
	r.manifests.mu.Unlock()
	if w, _ := r.run(t, "a.csv", body); w.UnchangedByManifest != 0 || w.Unchanged != 20 {
		t.Errorf("with another file in progress: %+v, want 20 unchanged, none by manifest", w)
	}
	if m := r.stored("acme"); m != nil {
		t.Errorf("manifest after a contended file = %.40q, want none", m)
	}
	r.run(t, "a.csv", body) // stores a manifest again
	r.manifests.mu.Lock()
	r.manifests.bodies["acme"] = []byte("MSM-BUSY " + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + "\n")
	r.manifests.mu.Unlock()
	r.run(t, "a.csv", body)
	if w, _ := r.run(t, "a.csv", body); w.UnchangedByManifest != 20 {
		t.Errorf("after a stale marker: %+v, want the manifest stored and used again", w)
	}
}

// beginsMidFile starts "another file" of the supplier (its Begin) while the
// first file is being written.
type beginsMidFile struct {
	*memTitles
	manifests *memManifests
	once      sync.Once
}

func (b *beginsMidFile) CreateDelivered(ctx context.Context, t *catalog.Title, d map[string]string) (string, error) {
	b.once.Do(func() {
		_, _, _ = b.manifests.Begin(ctx, "acme", []byte("MSM-BUSY "+time.Now().UTC().Format(time.RFC3339)+"\n"))
	})
	return b.memTitles.CreateDelivered(ctx, t, d)
}

// TestManifestTwoFilesAtOnce: when another file of the same supplier begins
// while one is running, the running one does not store its manifest.
func TestManifestTwoFilesAtOnce(t *testing.T) {
	manifests := newMemManifests()
	titles := &beginsMidFile{memTitles: newMemTitles(), manifests: manifests}
	files := newMemFiles()
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: 4, Reindex: &memQueue{}, Manifests: manifests},
		titles, &memChanges{}, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: files.put(drop, "acme/a.csv", csvFile(t, 20, 0))}, false, nil); err != nil {
		t.Fatal(err)
	}
	manifests.mu.Lock()
	defer manifests.mu.Unlock()
	if m, ok := manifests.bodies["acme"]; ok {
		t.Errorf("manifest after overlapping files = %.40q, want none", m)
	}
}

// TestManifestInvalidatedByProfileOrCode: a manifest whose profile hash,
// code version or outside writes epoch differs from this run's is not
// trusted.
func TestManifestInvalidatedByProfileOrCode(t *testing.T) {
	for _, tamper := range []struct{ from, to string }{{`"profileHash":"`, `"profileHash":"x`}, {`"code":2`, `"code":0`},
		// Another epoch: the outside writes log was deleted and begun again.
		{`"outsideEpoch":"epoch-1"`, `"outsideEpoch":"epoch-0"`}} {
		t.Run(tamper.from, func(t *testing.T) {
			r := newManifestRig(t, 0)
			body := csvFile(t, 10, 0)
			r.run(t, "a.csv", body)
			r.manifests.mu.Lock()
			m := r.manifests.bodies["acme"]
			if !bytes.Contains(m, []byte(tamper.from)) {
				r.manifests.mu.Unlock()
				t.Fatalf("manifest header lacks %s: %.200q", tamper.from, m)
			}
			r.manifests.bodies["acme"] = bytes.Replace(m, []byte(tamper.from), []byte(tamper.to), 1)
			r.manifests.mu.Unlock()
			if w, _ := r.run(t, "a.csv", body); w.UnchangedByManifest != 0 || w.Unchanged != 10 {
				t.Errorf("with a tampered manifest: %+v, want 10 unchanged, none by manifest", w)
			}
		})
	}
}

// TestManifestBoundedAndRejectedRows: a file over ManifestMaxTitles keeps
// an empty manifest; rows rejected last time are not vouched for.
func TestManifestBoundedAndRejectedRows(t *testing.T) {
	r := newManifestRig(t, 10)
	body := csvFile(t, 30, 0)
	r.run(t, "a.csv", body)
	if m := r.stored("acme"); m == nil || vouched(t, m) != 0 {
		t.Errorf("a 30-title file with a 10-title bound stored %.80q, want an empty manifest", m)
	}

	r = newManifestRig(t, 0)
	bad := csvFile(t, 30, 4)
	w1, _ := r.run(t, "bad.csv", bad)
	w2, _ := r.run(t, "bad.csv", bad)
	if w1.Created == 30 || w2.UnchangedByManifest != w1.Created {
		t.Errorf("first %+v, again %+v: want the rejected titles absent and only the %d accepted vouched for", w1, w2, w1.Created)
	}
	if !strings.HasPrefix(string(r.stored("acme")), "MSM1\n") {
		t.Errorf("manifest = %.40q", r.stored("acme"))
	}
}

// TestManifestWithoutOutsideLog: when the outside writes log cannot be read,
// nothing is vouched for and the manifest stored vouches for nothing; once
// it can, the next file builds one again.
func TestManifestWithoutOutsideLog(t *testing.T) {
	r := newManifestRig(t, 0)
	body := csvFile(t, 20, 0)
	r.run(t, "a.csv", body)
	r.titles.memTitles.mu.Lock()
	r.titles.memTitles.outsideErr = errors.New("injected: log unreadable")
	r.titles.memTitles.mu.Unlock()
	if w, lookups := r.run(t, "a.csv", body); w.UnchangedByManifest != 0 || w.Unchanged != 20 || lookups == 0 {
		t.Errorf("log unreadable: %+v, %d lookups; want 20 unchanged through the full path", w, lookups)
	}
	if m := r.stored("acme"); vouched(t, m) != 0 {
		t.Errorf("a manifest without the log's epoch vouches for titles: %.80q", m)
	}
	r.titles.memTitles.mu.Lock()
	r.titles.memTitles.outsideErr = nil
	r.titles.memTitles.mu.Unlock()
	r.run(t, "a.csv", body) // full path again, stores a manifest
	if w, lookups := r.run(t, "a.csv", body); w.UnchangedByManifest != 20 || lookups != 0 {
		t.Errorf("log back: %+v, %d lookups; want 20 unchanged by manifest", w, lookups)
	}
}

// TestManifestSharedByFolderCase: drop folders that differ only in case are
// one supplier (the same title ids), so they share one manifest: a delivery
// through "ACME/" is never hidden by the manifest "acme/" left.
func TestManifestSharedByFolderCase(t *testing.T) {
	r := newManifestRig(t, 0)
	first := csvFile(t, 10, 0)
	var other bytes.Buffer
	if _, err := gen.WriteCSV(&other, gen.Options{Seed: 8, Titles: 10}, ';', "windows-1252"); err != nil {
		t.Fatal(err)
	}
	r.run(t, "a.csv", first)
	res, err := r.p.Run(t.Context(), pipeline.File{Name: "ACME/b.csv", ETag: r.files.put(drop, "ACME/b.csv", other.Bytes())}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := res.Report.Writes; w.Updated != 10 {
		t.Fatalf("other content through ACME/: %+v, want the 10 titles updated", w)
	}
	// Some titles are restored (Updated); the merge keeps others as they
	// are (dated measurements accumulate): none may be skipped unread.
	if w, _ := r.run(t, "a.csv", first); w.Updated == 0 || w.UnchangedByManifest != 0 {
		t.Errorf("first content again through acme/: %+v, want titles restored and none skipped by manifest", w)
	}
}

// TestPresumedNewFirstFile: a supplier's first file (no manifest, no
// marker) creates its titles without looking them up: a conditional create
// of each change record, then of the title.
func TestPresumedNewFirstFile(t *testing.T) {
	r := newManifestRig(t, 0)
	changes, p := r.changes, r.p
	res, err := p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: r.files.put(drop, "acme/a.csv", csvFile(t, 40, 0))}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := res.Report.Writes; w.Created != 40 || r.titles.read.Load() != 0 || changes.creates != 40 || changes.puts != 0 || len(changes.byID) != 40 {
		t.Errorf("first file: writes %+v, %d lookups, %d change creates, %d upserts, %d records; want 40 created, no lookup, 40 creates, no upsert, 40 records",
			w, r.titles.read.Load(), changes.creates, changes.puts, len(changes.byID))
	}
	for id := range changes.byID {
		if !strings.HasSuffix(id, ":1") || changes.byID[id].Kind != "created" {
			t.Errorf("change record %s: %+v, want a creation at version 1", id, changes.byID[id])
		}
	}
}

// TestPresumedNewTitleExists: a title of a first file that exists already
// without its creation record (written outside ingestion) is found by the
// title's conditional create; the record just made is taken back and the
// delivery merged onto the stored title, which keeps one true record.
func TestPresumedNewTitleExists(t *testing.T) {
	r := newManifestRig(t, 0)
	changes, p := r.changes, r.p
	g := gen.Generate(gen.Options{Seed: 7, Titles: 20})[5]
	id := catalog.StableID("acme", g.Key)
	if _, err := r.titles.memTitles.CreateDelivered(t.Context(), &catalog.Title{ID: id, Name: "Made by hand", Version: 1, ContentHash: "h"}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: r.files.put(drop, "acme/a.csv", csvFile(t, 20, 0))}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := res.Report.Writes; w.Created != 19 || w.Updated != 1 {
		t.Errorf("writes %+v, want 19 created and the existing title updated", w)
	}
	if _, ok := changes.byID[id+":1"]; ok || changes.deletes != 1 {
		t.Errorf("the presumed creation record of %s was kept (%d deletes)", id, changes.deletes)
	}
	if ch, ok := changes.byID[id+":2"]; !ok || ch.Kind != "updated" {
		t.Errorf("no update record for %s: %+v", id, changes.byID)
	}
	if got, _, _ := r.titles.memTitles.Get(t.Context(), id); got.Name != g.Name || got.Version != 2 {
		t.Errorf("stored title: %q version %d, want %q version 2", got.Name, got.Version, g.Name)
	}
}

// TestPresumedNewRetryAfterFailure: a first file that fails half-way (its
// change records made, some titles not) is retried; the retry finds every
// record or title that exists and completes the rest: every title once,
// one creation record each.
func TestPresumedNewRetryAfterFailure(t *testing.T) {
	r := newManifestRig(t, 0)
	changes, p := r.changes, r.p
	etag := r.files.put(drop, "acme/a.csv", csvFile(t, 60, 0))
	r.titles.memTitles.failAfter = 25
	if _, err := p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: etag}, false, nil); !errors.Is(err, apperr.Unavailable) {
		t.Fatalf("first try: %v, want Unavailable", err)
	}
	r.titles.memTitles.failAfter = 0
	res, err := p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: etag}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := res.Report.Writes
	if w.Created+w.Unchanged != 60 || w.Created == 0 || w.Unchanged == 0 || r.titles.memTitles.len() != 60 || len(changes.byID) != 60 {
		t.Errorf("retry: writes %+v, %d titles, %d change records; want the 60 titles split between the tries, each with one record", w, r.titles.memTitles.len(), len(changes.byID))
	}
	for id, ch := range changes.byID {
		if !strings.HasSuffix(id, ":1") || ch.Kind != "created" {
			t.Errorf("change record %s: %+v, want only creations", id, ch)
		}
	}
}

// TestNotPresumedNewAfterAFile: once a file of the supplier ran, even one
// that leaves nothing to vouch for (over the title bound), the next file
// looks its titles up instead of presuming them new.
func TestNotPresumedNewAfterAFile(t *testing.T) {
	r := newManifestRig(t, 10)
	changes, p := r.changes, r.p
	body := csvFile(t, 30, 0)
	for range 2 {
		if _, err := p.Run(t.Context(), pipeline.File{Name: "acme/a.csv", ETag: r.files.put(drop, "acme/a.csv", body)}, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	if changes.creates != 30 || r.titles.read.Load() != 30 {
		t.Errorf("%d change creates, %d lookups; want 30 creates (first file only) and 30 lookups (second file only)", changes.creates, r.titles.read.Load())
	}
}
