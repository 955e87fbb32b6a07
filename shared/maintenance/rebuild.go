// Package maintenance holds the nightly jobs that keep the search index
// converged to Cosmos DB (the source of truth) and storage tidy: the full
// rebuild behind an atomic alias swap, the drift check and repair, and
// retention. Each job is safe to re-run; a failed run never leaves a
// half-built index behind an alias.
package maintenance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// Scanner streams titles from the source of truth; since is a Cosmos _ts
// (seconds), 0 for all.
type Scanner interface {
	Scan(ctx context.Context, since int64, fn func(*catalog.Title) error) error
}

// Reindexer brings the index in line with the source for some ids.
type Reindexer interface {
	ReindexIDs(ctx context.Context, ids []string) error
}

// Rebuilder rebuilds the index from scratch.
type Rebuilder struct {
	Admin   *search.Admin
	Titles  Scanner
	Catchup Reindexer
	Logger  *slog.Logger
	// Keep is how many versioned indices to keep (the serving one included); 0 means 3.
	Keep int
	// ProgressEvery logs progress every so many documents; 0 means 5000.
	ProgressEvery int
}

// RebuildReport says what a rebuild did.
type RebuildReport struct {
	Index      string        `json:"index"`
	Previous   []string      `json:"previous,omitempty"`
	Unfinished []string      `json:"removedUnfinished,omitempty"` // left by an earlier failed run (see removeUnfinished)
	Indexed    int64         `json:"indexed"`
	Skipped    int64         `json:"skipped"` // closed or merged titles
	CaughtUp   int           `json:"caughtUp"`
	Deleted    []string      `json:"deletedIndices,omitempty"`
	Duration   time.Duration `json:"duration"`
	DocsPerSec float64       `json:"docsPerSec"`
}

// Rebuild creates <prefix>-<now> with refresh off and no replicas, loads every
// active title, restores the settings, checks the count, swaps both aliases
// in one request, then catches up titles changed since the rebuild began and
// deletes indices beyond Keep. On any failure before the swap the new index
// is deleted and the old one keeps serving; when even that delete fails
// (Elasticsearch is down), the next run removes the leftover first (see
// removeUnfinished). Rebuilds must not overlap: Job runs them under a lease.
func (r *Rebuilder) Rebuild(ctx context.Context, now time.Time) (rep RebuildReport, err error) {
	start := time.Now()
	a := r.Admin
	rep.Index = a.NewIndexName(now)
	if rep.Previous, err = a.AliasTargets(ctx, a.ReadAlias); err != nil {
		return rep, err
	}
	if rep.Unfinished, err = r.removeUnfinished(ctx); err != nil {
		return rep, err
	}
	if err := a.PutTemplate(ctx); err != nil {
		return rep, err
	}
	if err := a.CreateIndex(ctx, rep.Index, map[string]any{"refresh_interval": "-1", "number_of_replicas": 0}); err != nil {
		return rep, err
	}
	swapped := false
	defer func() {
		if err != nil && !swapped {
			// Never leave a half-built index behind: it is behind no alias,
			// so deleting it cannot disturb searches. Use a fresh context:
			// ctx may be the reason we failed.
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if derr := a.DeleteIndex(dctx, rep.Index); derr != nil {
				err = errors.Join(err, fmt.Errorf("removing the unfinished index: %w", derr))
			}
		}
	}()
	// Titles written after this instant are caught up after the swap; a
	// minute of slack covers clock skew between us and Cosmos.
	catchupSince := start.Add(-time.Minute).Unix()

	if rep.Indexed, rep.Skipped, err = r.load(ctx, rep.Index); err != nil {
		return rep, err
	}
	if err := a.PutSettings(ctx, rep.Index, map[string]any{"refresh_interval": nil, "number_of_replicas": nil}); err != nil {
		return rep, err
	}
	if err := a.Refresh(ctx, rep.Index); err != nil {
		return rep, err
	}
	n, err := a.Count(ctx, rep.Index)
	if err != nil {
		return rep, err
	}
	if n != rep.Indexed {
		return rep, fmt.Errorf("rebuild count check: index %s holds %d documents, Cosmos gave %d active titles", rep.Index, n, rep.Indexed)
	}
	if err := a.SwapAliases(ctx, rep.Index); err != nil {
		return rep, err
	}
	swapped = true
	telemetry.RecordIndexWrite(ctx) // the read alias now serves a freshly loaded index

	var changed []string
	if err := r.Titles.Scan(ctx, catchupSince, func(t *catalog.Title) error {
		changed = append(changed, t.ID)
		return nil
	}); err != nil {
		return rep, fmt.Errorf("catch-up scan: %w", err)
	}
	if len(changed) > 0 {
		if err := r.Catchup.ReindexIDs(ctx, changed); err != nil {
			return rep, fmt.Errorf("catch-up: %w", err)
		}
	}
	rep.CaughtUp = len(changed)
	if rep.Deleted, err = r.prune(ctx, rep.Index); err != nil {
		return rep, err
	}
	rep.Duration = time.Since(start)
	if s := rep.Duration.Seconds(); s > 0 {
		rep.DocsPerSec = float64(rep.Indexed) / s
	}
	return rep, nil
}

// load streams every active title into index with the bulk indexer.
func (r *Rebuilder) load(ctx context.Context, index string) (indexed, skipped int64, err error) {
	every := int64(r.ProgressEvery)
	if every == 0 {
		every = 5000
	}
	var failures atomic.Int64
	var firstFailure sync.Once
	var failure string
	var flushMu sync.Mutex
	var flushErr error // a whole bulk request failed (Elasticsearch unreachable or refusing)
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: r.Admin.ES, Index: index, FlushBytes: 5 << 20, NumWorkers: 2,
		OnError: func(_ context.Context, e error) {
			flushMu.Lock()
			if flushErr == nil {
				flushErr = e
			}
			flushMu.Unlock()
		}})
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	var added int64
	scanErr := r.Titles.Scan(ctx, 0, func(t *catalog.Title) error {
		if t.Status != catalog.StatusActive {
			skipped++
			return nil
		}
		body, err := json.Marshal(search.FromTitle(t))
		if err != nil {
			return err
		}
		added++
		if added%every == 0 {
			loggerFrom(ctx, r.Logger).InfoContext(ctx, "rebuild progress", slog.String("index", index), slog.Int64("done", added),
				slog.Float64("docsPerSec", float64(added)/time.Since(start).Seconds()))
		}
		return bi.Add(ctx, esutil.BulkIndexerItem{Action: "index", DocumentID: t.ID, Body: bytes.NewReader(body),
			OnFailure: func(_ context.Context, item esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, e error) {
				failures.Add(1)
				firstFailure.Do(func() { failure = fmt.Sprintf("%s: %d %s %v", item.DocumentID, res.Status, res.Error.Reason, e) })
			}})
	})
	closeErr := bi.Close(ctx)
	if err := errors.Join(scanErr, closeErr); err != nil {
		return 0, 0, fmt.Errorf("loading %s: %w", index, err)
	}
	if flushErr != nil {
		return 0, 0, fmt.Errorf("loading %s: %w: Elasticsearch did not take a bulk request (%d documents failed): %v",
			index, apperr.Unavailable, failures.Load(), flushErr)
	}
	if n := failures.Load(); n > 0 {
		return 0, 0, fmt.Errorf("loading %s: %d documents failed, first: %s", index, n, failure)
	}
	st := bi.Stats()
	return int64(st.NumIndexed), skipped, nil
}

// removeUnfinished deletes the versioned indices a failed run left behind:
// those behind neither alias and newer than the newest index behind one. A
// failed run deletes its own index, but cannot when Elasticsearch itself was
// the failure; such a leftover must not linger, nor be kept by prune as if it
// were a complete older index one could roll back to. Older unaliased indices
// are complete earlier versions and are prune's business. With no index
// behind an alias nothing is removed (nothing tells leftovers from versions).
func (r *Rebuilder) removeUnfinished(ctx context.Context) ([]string, error) {
	a := r.Admin
	aliased := map[string]bool{}
	newest := ""
	for _, alias := range []string{a.ReadAlias, a.WriteAlias} {
		targets, err := a.AliasTargets(ctx, alias)
		if err != nil {
			return nil, err
		}
		for _, t := range targets {
			aliased[t] = true
			newest = max(newest, t)
		}
	}
	if newest == "" {
		return nil, nil
	}
	all, err := a.Indices(ctx)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, idx := range all {
		if aliased[idx] || idx <= newest {
			continue
		}
		if err := a.DeleteIndex(ctx, idx); err != nil {
			return removed, fmt.Errorf("removing the unfinished index %s of an earlier run: %w", idx, err)
		}
		loggerFrom(ctx, r.Logger).WarnContext(ctx, "removed an unfinished index left by an earlier rebuild", slog.String("index", idx))
		removed = append(removed, idx)
	}
	return removed, nil
}

// prune deletes the oldest versioned indices beyond Keep, never the serving one.
func (r *Rebuilder) prune(ctx context.Context, serving string) ([]string, error) {
	keep := r.Keep
	if keep == 0 {
		keep = 3
	}
	all, err := r.Admin.Indices(ctx)
	if err != nil {
		return nil, err
	}
	var deleted []string
	for i := 0; i < len(all)-keep; i++ {
		if all[i] == serving {
			continue
		}
		if err := r.Admin.DeleteIndex(ctx, all[i]); err != nil {
			return deleted, err
		}
		deleted = append(deleted, all[i])
	}
	return deleted, nil
}
