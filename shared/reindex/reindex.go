// Package reindex keeps Elasticsearch converged to Cosmos DB for the titles
// named in a reindex message: it point-reads each title, indexes active ones
// through the write alias with the go-elasticsearch bulk indexer, and deletes
// closed, merged or vanished ones from the index. It is idempotent: indexing
// the same title twice leaves the same document.
package reindex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/funchost"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// Message is the body of a reindex queue message. Producers write it as a
// JSON object (never a bare string: the host would base64-decode a string
// that looks like base64). TraceParent carries the trace across the queue.
type Message struct {
	IDs         []string `json:"ids"`
	TraceParent string   `json:"traceparent,omitempty"`
}

// MaxIDs bounds one message; larger batches are refused as malformed.
const MaxIDs = 1000

// TitleReader reads a title by id; a missing title is apperr.NotFound.
type TitleReader interface {
	Get(ctx context.Context, id string) (*catalog.Title, string, error)
}

// Indexer reindexes titles by id.
type Indexer struct {
	ES     *elasticsearch.Client
	Alias  string // the write alias
	Titles TitleReader
	Logger *slog.Logger
	// Attempts bounds tries per document (first try included); 0 means 4.
	Attempts int
	// Backoff is the first retry delay, doubled each time; 0 means 200ms.
	Backoff time.Duration
	// ReadConcurrency bounds concurrent Cosmos point reads; 0 means 8.
	ReadConcurrency int
	// OnRejected, when set, is told how many documents Elasticsearch rejected
	// in a bulk round (before any retry): the metric behind the bulk
	// rejections alert.
	OnRejected func(ctx context.Context, n int)
}

// Stats counts what one Reindex did.
type Stats struct {
	Indexed, Deleted, Retried int
}

// Func is the ReindexMedia function body: a message that cannot be decoded
// fails the invocation (the host retries, then poisons it, so it is kept);
// so does a batch that cannot be fully indexed.
func (x *Indexer) Func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
	var msg Message
	if err := inv.QueueMessage("batch", &msg); err != nil {
		return nil, err
	}
	if len(msg.IDs) > MaxIDs {
		return nil, fmt.Errorf("%w: %d ids in one message, at most %d", funchost.ErrMalformed, len(msg.IDs), MaxIDs)
	}
	// The message's traceparent is its producer's span (the ingestion):
	// reindexing continues that trace, linked to this invocation's span
	// (telemetry.StartMessageSpan). A message without one (older producers,
	// mediactl) is reindexed in the invocation's trace.
	ctx, span := telemetry.StartMessageSpan(ctx, "reindex media", msg.TraceParent,
		attribute.Int("mediaspecs.ids", len(msg.IDs)))
	defer span.End()
	st, err := x.Reindex(ctx, msg.IDs)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "reindex failed")
		return nil, err
	}
	// With ctx, the line carries the trace and span ids of the reindexing
	// span (the ingestion's trace), besides the invocation's attributes.
	inv.Logger.InfoContext(ctx, "reindexed", slog.Int("ids", len(msg.IDs)), slog.Int("indexed", st.Indexed),
		slog.Int("deleted", st.Deleted), slog.Int("retried", st.Retried))
	return &funchost.InvokeResponse{}, nil
}

type action struct {
	id  string
	doc *search.Doc // nil: delete
}

// Reindex brings the index in line with Cosmos for ids.
func (x *Indexer) Reindex(ctx context.Context, ids []string) (st Stats, err error) {
	defer apperr.Wrap(&err, "reindex.Reindex")
	actions, err := x.read(ctx, dedupe(ids))
	if err != nil {
		return st, err
	}
	attempts, backoff := x.Attempts, x.Backoff
	if attempts == 0 {
		attempts = 4
	}
	if backoff == 0 {
		backoff = 200 * time.Millisecond
	}
	pending := actions
	for try := 1; ; try++ {
		failed, done, err := x.bulk(ctx, pending)
		if err != nil {
			return st, err
		}
		for _, a := range done {
			if a.doc == nil {
				st.Deleted++
			} else {
				st.Indexed++
			}
		}
		if len(failed) == 0 {
			if len(actions) > 0 {
				telemetry.RecordIndexWrite(ctx) // index freshness
			}
			return st, nil
		}
		if x.OnRejected != nil {
			x.OnRejected(ctx, len(failed))
		}
		if try == attempts {
			var reasons []string
			for _, f := range failed {
				reasons = append(reasons, f.id+": "+f.reason)
			}
			return st, fmt.Errorf("%w: %d documents not indexed after %d tries: %s", apperr.Unavailable, len(failed), attempts, strings.Join(reasons, "; "))
		}
		st.Retried += len(failed)
		select {
		case <-time.After(backoff << (try - 1)):
		case <-ctx.Done():
			return st, ctx.Err()
		}
		pending = pending[:0:0]
		for _, f := range failed {
			pending = append(pending, f.action)
		}
	}
}

// read point-reads every title (never a query) with bounded concurrency.
func (x *Indexer) read(ctx context.Context, ids []string) ([]action, error) {
	n := x.ReadConcurrency
	if n == 0 {
		n = 8
	}
	out := make([]action, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			t, _, err := x.Titles.Get(ctx, id)
			switch {
			case errors.Is(err, apperr.NotFound):
				out[i] = action{id: id}
			case err != nil:
				errs[i] = err
			case t.Status != catalog.StatusActive:
				out[i] = action{id: id}
			default:
				d := search.FromTitle(t)
				out[i] = action{id: id, doc: &d}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

type failure struct {
	action
	reason string
}

// bulk sends one round of actions through the bulk indexer and sorts them
// into done and failed (retryable per item). A delete of a missing document
// is done. An error return means the round could not run at all.
func (x *Indexer) bulk(ctx context.Context, actions []action) (failed []failure, done []action, err error) {
	var mu sync.Mutex
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client: x.ES, Index: x.Alias, NumWorkers: 1, FlushBytes: 5 << 20,
		// The indexer's worker flushes with a context of its own: hand it
		// the caller's span, so the bulk request's span (search.WithTracing)
		// is part of the caller's trace.
		OnFlushStart: func(flushCtx context.Context) context.Context {
			return trace.ContextWithSpan(flushCtx, trace.SpanFromContext(ctx))
		},
		OnError: func(_ context.Context, e error) {
			mu.Lock()
			err = errors.Join(err, e)
			mu.Unlock()
		},
	})
	if err != nil {
		return nil, nil, err
	}
	for _, a := range actions {
		item := esutil.BulkIndexerItem{DocumentID: a.id, Action: "delete"}
		if a.doc != nil {
			body, e := json.Marshal(a.doc)
			if e != nil {
				return nil, nil, e
			}
			item.Action = "index"
			item.Body = bytes.NewReader(body)
		}
		item.OnSuccess = func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem) {
			mu.Lock()
			done = append(done, a)
			mu.Unlock()
		}
		item.OnFailure = func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, e error) {
			mu.Lock()
			defer mu.Unlock()
			if a.doc == nil && res.Status == 404 {
				done = append(done, a) // already absent
				return
			}
			reason := res.Error.Reason
			if e != nil {
				reason = e.Error()
			}
			failed = append(failed, failure{action: a, reason: fmt.Sprintf("%d %s", res.Status, reason)})
		}
		if e := bi.Add(ctx, item); e != nil {
			return nil, nil, e
		}
	}
	if e := bi.Close(ctx); e != nil {
		return nil, nil, fmt.Errorf("%w: %v", apperr.Unavailable, e)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	return failed, done, nil
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ReindexIDs is Reindex without the statistics, for callers that only need
// convergence (the rebuild's catch-up, the drift repair).
func (x *Indexer) ReindexIDs(ctx context.Context, ids []string) error {
	for len(ids) > 0 {
		n := min(len(ids), MaxIDs)
		if _, err := x.Reindex(ctx, ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}
