package maintenance_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/maintenance"
	"github.com/mediaspecs/catalogue/shared/reindex"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

type env struct {
	store   *cosmos.Store
	admin   *search.Admin
	indexer *reindex.Indexer
	log     *slog.Logger
}

func setup(t *testing.T, active, closed int) *env {
	t.Helper()
	store := cosmos.NewStore(stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("media")), nil)
	for i := range active + closed {
		status := catalog.StatusActive
		if i >= active {
			status = catalog.StatusClosed
		}
		title := &catalog.Title{ID: catalog.StableID("test", fmt.Sprint(i)), Name: fmt.Sprintf("Titre %d", i),
			Status: status, MediaType: catalog.MediaPrint, SubType: catalog.SubMagazine, UpdatedAt: time.Now().UTC()}
		title.ContentHash = title.Hash()
		if _, err := store.Upsert(t.Context(), title); err != nil {
			t.Fatal(err)
		}
	}
	es := stacktest.ElasticsearchClient(t)
	prefix := stacktest.IndexName(t, es)
	admin := &search.Admin{ES: es, Prefix: prefix, ReadAlias: prefix + "-read", WriteAlias: prefix + "-write"}
	t.Cleanup(func() {
		if res, err := es.Indices.DeleteIndexTemplate(search.TemplateName + "-" + prefix); err == nil {
			res.Body.Close()
		}
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &env{store: store, admin: admin, log: log,
		indexer: &reindex.Indexer{ES: es, Alias: admin.WriteAlias, Titles: store, Logger: log}}
}

func (e *env) rebuilder(scan maintenance.Scanner) *maintenance.Rebuilder {
	return &maintenance.Rebuilder{Admin: e.admin, Titles: scan, Catchup: e.indexer, Logger: e.log, Keep: 2, ProgressEvery: 100}
}

func TestRebuildSwapsAliasesAndPrunes(t *testing.T) {
	t.Parallel()
	e := setup(t, 250, 10)
	ctx := t.Context()
	first, err := e.admin.Bootstrap(ctx, time.Now().Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var reports []maintenance.RebuildReport
	for i := range 2 {
		rep, err := e.rebuilder(e.store).Rebuild(ctx, time.Now().Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatalf("rebuild %d: %v", i, err)
		}
		reports = append(reports, rep)
	}
	last := reports[1]
	if last.Indexed != 250 || last.Skipped != 10 {
		t.Errorf("indexed %d, skipped %d; want 250 active and 10 closed skipped", last.Indexed, last.Skipped)
	}
	for _, alias := range []string{e.admin.ReadAlias, e.admin.WriteAlias} {
		got, err := e.admin.AliasTargets(ctx, alias)
		if err != nil || !slices.Equal(got, []string{last.Index}) {
			t.Errorf("%s → %v %v, want [%s]", alias, got, err, last.Index)
		}
	}
	all, err := e.admin.Indices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(all, first) || len(all) != 2 {
		t.Errorf("indices after two rebuilds with Keep 2 = %v; the bootstrap index %s should be pruned", all, first)
	}
	n, err := e.admin.Count(ctx, e.admin.ReadAlias)
	if err != nil || n != 250 {
		t.Errorf("read alias serves %d documents (%v), want 250", n, err)
	}
	if last.CaughtUp == 0 {
		t.Error("catch-up saw no titles, though every title was written within the last minute")
	}
}

// failingScan yields some titles, then fails (a Cosmos outage mid-rebuild),
// or stops when its context is cancelled.
type failingScan struct {
	inner  maintenance.Scanner
	after  int
	err    error              // returned after `after` titles, or
	cancel context.CancelFunc // called after `after` titles; the scan then ends with ctx.Err()
}

func (f failingScan) Scan(ctx context.Context, since int64, fn func(*catalog.Title) error) error {
	n := 0
	return f.inner.Scan(ctx, since, func(t *catalog.Title) error {
		if n++; n > f.after {
			if f.cancel != nil {
				f.cancel()
				return ctx.Err()
			}
			return f.err
		}
		return fn(t)
	})
}

func TestFailedOrCancelledRebuildKeepsTheOldIndexServing(t *testing.T) {
	t.Parallel()
	e := setup(t, 120, 0)
	ctx := t.Context()
	serving, err := e.admin.Bootstrap(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.indexer.ReindexIDs(ctx, []string{catalog.StableID("test", "0")}); err != nil {
		t.Fatal(err)
	}
	outage := errors.New("cosmos went away")
	cctx, cancel := context.WithCancel(ctx)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		scan maintenance.Scanner
	}{
		{"source fails midway", ctx, failingScan{inner: e.store, after: 50, err: outage}},
		{"cancelled midway", cctx, failingScan{inner: e.store, after: 60, cancel: cancel}},
	} {
		_, err := e.rebuilder(tc.scan).Rebuild(tc.ctx, time.Now())
		if err == nil {
			t.Fatalf("%s: rebuild succeeded", tc.name)
		}
		for _, alias := range []string{e.admin.ReadAlias, e.admin.WriteAlias} {
			got, _ := e.admin.AliasTargets(ctx, alias)
			if !slices.Equal(got, []string{serving}) {
				t.Errorf("%s: %s → %v, want the old %s", tc.name, alias, got, serving)
			}
		}
		all, _ := e.admin.Indices(ctx)
		if !slices.Equal(all, []string{serving}) {
			t.Errorf("%s: indices = %v, the unfinished index was left behind", tc.name, all)
		}
	}
	// The next run succeeds.
	rep, err := e.rebuilder(e.store).Rebuild(ctx, time.Now().Add(time.Minute))
	if err != nil || rep.Indexed != 120 {
		t.Fatalf("rebuild after failures = %+v, %v", rep, err)
	}
}

func TestDriftFindsAndRepairsDifferences(t *testing.T) {
	t.Parallel()
	e := setup(t, 80, 0)
	ctx := t.Context()
	if _, err := e.admin.Bootstrap(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.rebuilder(e.store).Rebuild(ctx, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	drift := &maintenance.Drift{Admin: e.admin, Titles: e.store, Repair: e.indexer}
	if rep, err := drift.CheckAndRepair(ctx, false); err != nil || rep.Drifted() {
		t.Fatalf("fresh rebuild drifted: %+v %v", rep, err)
	}
	// Cosmos changes the index did not see: 3 titles renamed, 2 closed, 4 new;
	// and the index loses 5 documents and gains a stray one.
	for i := range 5 {
		t0, _, err := e.store.Get(ctx, catalog.StableID("test", fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		if i < 3 {
			t0.Name += " (nouveau)"
		} else {
			t0.Status = catalog.StatusClosed
		}
		t0.ContentHash = t0.Hash()
		if _, err := e.store.Upsert(ctx, t0); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1000; i < 1004; i++ {
		n := &catalog.Title{ID: catalog.StableID("test", fmt.Sprint(i)), Name: "Nouveau", Status: catalog.StatusActive, MediaType: catalog.MediaPrint}
		n.ContentHash = n.Hash()
		if _, err := e.store.Upsert(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	for i := 10; i < 15; i++ {
		res, err := e.admin.ES.Delete(e.admin.WriteAlias, catalog.StableID("test", fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if err := search.IndexBatch(ctx, e.admin.ES, e.admin.WriteAlias, []search.Doc{{ID: "stray", Name: "Stray", Status: "active"}}, true); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.Refresh(ctx, e.admin.WriteAlias); err != nil {
		t.Fatal(err)
	}

	rep, err := drift.CheckAndRepair(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	// missing: 5 deleted from the index + 4 new; stale: 3 renamed; extra: 2 closed + 1 stray.
	if rep.Missing != 9 || rep.Stale != 3 || rep.Extra != 3 || rep.Repaired != 15 {
		t.Errorf("drift = %+v, want missing 9, stale 3, extra 3, repaired 15", rep)
	}
	if err := e.admin.Refresh(ctx, e.admin.WriteAlias); err != nil {
		t.Fatal(err)
	}
	after, err := drift.CheckAndRepair(ctx, false)
	if err != nil || after.Drifted() || after.Index != 82 {
		t.Errorf("after repair = %+v %v, want no drift and 82 indexed", after, err)
	}
}

// A failed run whose own clean-up failed too (Elasticsearch was down: see
// shared/drill) leaves an unaliased index newer than the serving one. The
// next run removes it before anything else, and leaves older unaliased
// indices (complete earlier versions) to pruning.
func TestRebuildRemovesAnUnfinishedIndexOfAnEarlierRun(t *testing.T) {
	t.Parallel()
	e := setup(t, 30, 0)
	ctx := t.Context()
	now := time.Now()
	older := e.admin.NewIndexName(now.Add(-3 * time.Hour))
	if err := e.admin.CreateIndex(ctx, older, nil); err != nil {
		t.Fatal(err)
	}
	serving, err := e.admin.Bootstrap(ctx, now.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	leftover := e.admin.NewIndexName(now.Add(-time.Hour))
	if err := e.admin.CreateIndex(ctx, leftover, map[string]any{"refresh_interval": "-1", "number_of_replicas": 0}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.rebuilder(e.store).Rebuild(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Unfinished, []string{leftover}) {
		t.Errorf("removed as unfinished: %v, want [%s]", rep.Unfinished, leftover)
	}
	all, err := e.admin.Indices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Keep 2: the new index and the one it replaced; the older version is
	// pruned as usual, not as unfinished.
	if want := []string{serving, rep.Index}; !slices.Equal(all, want) {
		t.Errorf("indices = %v, want %v", all, want)
	}
	if slices.Contains(rep.Deleted, leftover) || !slices.Equal(rep.Deleted, []string{older}) {
		t.Errorf("pruned %v, want only the older version %s", rep.Deleted, older)
	}
}
