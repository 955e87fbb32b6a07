package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/ingest"
)

// reindexStream sends the title ids of one file to the reindex queue as
// they are written, one message as soon as it would pass the size bound, so
// memory holds one message whatever the file size. An id repeated within a
// message is sent once; one repeated across messages (a key delivered twice
// far apart) is sent twice, which is harmless: reindexing is idempotent.
type reindexStream struct {
	queue       ReindexQueue
	traceparent string
	// all: send every written id (a retried delivery), not only changed ones.
	all bool
	max int

	mu       sync.Mutex
	cur      []string
	inCur    map[string]bool
	size     int
	ids      int // ids sent
	messages int // messages sent
}

func newReindexStream(q ReindexQueue, traceparent string, all bool, max int) *reindexStream {
	return &reindexStream{queue: q, traceparent: traceparent, all: all, max: max, inCur: map[string]bool{}, size: messageOverhead(traceparent)}
}

// add queues id for reindexing when it changed (or always with all), and
// sends the current message first when id would not fit in it.
func (s *reindexStream) add(ctx context.Context, id string, changed bool) error {
	if !changed && !s.all {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inCur[id] {
		return nil
	}
	if n := idCost(id); len(s.cur) > 0 && s.size+n > s.max {
		if err := s.sendLocked(ctx); err != nil {
			return err
		}
	}
	s.cur = append(s.cur, id)
	s.inCur[id] = true
	s.size += idCost(id)
	return nil
}

// flush sends what is left.
func (s *reindexStream) flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendLocked(ctx)
}

func (s *reindexStream) sendLocked(ctx context.Context) error {
	if len(s.cur) == 0 {
		return nil
	}
	body, err := json.Marshal(ReindexMessage{IDs: s.cur, TraceParent: s.traceparent})
	if err != nil {
		return err
	}
	if err := s.queue.Send(ctx, body); err != nil {
		return fmt.Errorf("sending %d ids to reindex: %w", len(s.cur), err)
	}
	s.ids += len(s.cur)
	s.messages++
	s.cur = s.cur[:0]
	clear(s.inCur)
	s.size = messageOverhead(s.traceparent)
	return nil
}

// messageOverhead and idCost bound the JSON size of a reindex message:
// {"ids":[...],"traceparent":"..."}, each id quoted with a comma, with room
// to spare (8 bytes an id: what the host's indentation added when these went
// through an output binding).
func messageOverhead(traceparent string) int { return 64 + len(traceparent) }

func idCost(id string) int { return len(id) + 8 }

// inFlight counts, per title id, the occurrences handed to a prefetch batch
// and not yet written. A batch flushed while an earlier occurrence of one of
// its ids is still in flight must not trust its prefetched document (the
// earlier write may land after the prefetch): that item is marked a repeat
// and its writer reads the document afresh, after the earlier write (same
// writer, file order). An id whose earlier occurrences are all written is
// prefetched after those writes, so it needs nothing. Only titles in flight
// are held (see the in-flight budget), whatever the file size.
type inFlight struct {
	mu sync.Mutex
	n  map[string]int
}

// enter registers one occurrence of id and reports whether another was
// already in flight.
func (f *inFlight) enter(id string) (repeat bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	repeat = f.n[id] > 0
	f.n[id]++
	return repeat
}

// leave unregisters one occurrence of id, once written (or dropped).
func (f *inFlight) leave(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[id]--; f.n[id] <= 0 {
		delete(f.n, id)
	}
}

// The in-flight budget (a weighted semaphore of Config.InFlightBytes)
// bounds the bytes of parsed titles held between the parser and the
// writers: a title is weighed (titleWeight) when the parser hands it over,
// before it joins a prefetch batch, and its weight is given back once it is
// written or dropped. Counting titles would not do: while the writers are
// held up (a slow lookup, a GC cycle on a busy machine) the parser runs
// ahead and fills every batch and queue, and the heap the garbage collector
// paces against (twice the live heap) grows with how far it ran ahead, so
// the peak of a long file was set by its worst moment. Bytes also bound a
// file of very large titles, which a count of items cannot.

// titleWeight is what a parsed title counts against the budget: the upper
// bound of its JSON size, computed without allocating. Measured on the
// generated catalogue (2 rows a title) it is about 13 KB, some twice what
// the title holds on the heap while in flight; the ratio matters little, as
// the budget is set from the same measure. Capped at the whole budget, so
// that one title larger than it still passes, alone.
func titleWeight(t *catalog.Title, budget int) int {
	return min(t.SizeBound(), budget)
}

// outcome is what writing one parsed title did.
type outcome int

const (
	unchanged outcome = iota
	created
	updated
)

// ingest parses the file and writes its titles. The error is an
// infrastructure failure; everything about the file is in the report.
func (p *Pipeline) ingest(ctx context.Context, f File, r io.Reader, size int64, received time.Time, reindex *reindexStream, log *slog.Logger) (*ingest.Report, Writes, error) {
	supplier, file, ok := strings.Cut(f.Name, "/")
	if !ok || supplier == "" {
		return fileReport(f, "", "", "files must be dropped into a supplier folder: <container>/<supplier>/<file>"), Writes{}, nil
	}
	profileName := p.cfg.Profiles.For(supplier)
	profile, err := ingest.LoadProfile(profileName)
	if err != nil {
		return fileReport(f, supplier, profileName, err.Error()), Writes{}, nil
	}
	now := p.cfg.Now().UTC()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	man := p.beginManifest(ctx, supplier, file, profile, log)
	var (
		mu       sync.Mutex
		w        Writes
		rejected []rejection
		workers  sync.WaitGroup
		flying   = &inFlight{n: map[string]int{}}
		budget   = semaphore.NewWeighted(int64(p.cfg.InFlightBytes))
	)
	// Writers: one queue each, chosen by title id, so one id is written by
	// one goroutine in file order.
	queues := make([]chan item, p.cfg.Writers)
	for i := range queues {
		queues[i] = make(chan item, 2*prefetchBatch/p.cfg.Writers+4)
		workers.Go(func() {
			for it := range queues[i] {
				if ctx.Err() != nil {
					flying.leave(it.parsed.Title.ID)
					budget.Release(int64(it.weight))
					continue // drain after a failure
				}
				out, refused, err := p.write(ctx, it, received, now)
				flying.leave(it.parsed.Title.ID)
				budget.Release(int64(it.weight))
				if err == nil {
					err = reindex.add(ctx, it.parsed.Title.ID, out != unchanged)
				}
				mu.Lock()
				switch {
				case err == nil:
					man.record(it.parsed.Title.ID, it.delivery)
					if it.byManifest {
						w.UnchangedByManifest++
					}
					switch out {
					case created:
						w.Created++
					case updated:
						w.Updated++
					default:
						w.Unchanged++
					}
					if refused {
						w.Refused++
					}
				case errors.Is(err, apperr.InvalidArgument):
					rejected = append(rejected, rejectionOf(it.parsed, err))
				default:
					cancel(err)
				}
				mu.Unlock()
			}
		})
	}
	// Prefetch: titles are read in batches (point reads, up to prefetchers
	// batches at once) and dispatched to the writers in file order.
	batches := make(chan *batch, prefetchers)
	var dispatcher sync.WaitGroup
	dispatcher.Go(func() {
		for b := range batches {
			<-b.ready
			if b.err != nil {
				cancel(b.err)
			}
			for i, parsed := range b.items {
				if ctx.Err() != nil {
					break
				}
				id := parsed.Title.ID
				it := item{parsed: parsed, weight: b.weights[i], stored: b.titles[id], etag: b.etags[id], prefetched: !b.repeat[i] && !b.presumedNew[i],
					delivery: b.delivery[i], deliveries: b.deliveries[id], skip: b.skip[i], byManifest: b.byManifest[i], presumedNew: b.presumedNew[i]}
				// The item is its writer's now: the batch must not keep the
				// title alive after it is written (the budget counts it once).
				b.items[i] = nil
				select {
				case queues[shard(id, len(queues))] <- it:
				case <-ctx.Done():
				}
			}
		}
		for _, q := range queues {
			close(q)
		}
	})
	var (
		cur        []*ingest.Parsed
		curWeights []int
		curBytes   int // the weight of cur, acquired from budget
	)
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		b := &batch{items: cur, weights: curWeights, ready: make(chan struct{}), repeat: make([]bool, len(cur))}
		for i, it := range cur {
			b.repeat[i] = flying.enter(it.Title.ID)
		}
		cur, curWeights, curBytes = nil, nil, 0
		select {
		case batches <- b:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		go func() {
			defer close(b.ready)
			b.err = p.prefetch(ctx, supplier, man, b)
		}()
		return nil
	}
	src := ingest.Source{Supplier: supplier, Name: path.Base(file), R: r, Size: size}
	rep, perr := ingest.Parse(ctx, src, profile, p.cfg.Limits, func(parsed ingest.Parsed) error {
		w := titleWeight(&parsed.Title, p.cfg.InFlightBytes)
		// cur holds its titles' weight while this waits for the writers to
		// give some back; were cur and this title more than the whole
		// budget, nothing they give back could make room. So cur goes out
		// first, a batch short of prefetchBatch, which only titles
		// averaging over InFlightBytes/prefetchBatch (84 KB by default by
		// titleWeight, six times the usual) can cause.
		if curBytes+w > p.cfg.InFlightBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		if err := budget.Acquire(ctx, int64(w)); err != nil {
			return context.Cause(ctx)
		}
		if cur == nil {
			cur, curWeights = make([]*ingest.Parsed, 0, prefetchBatch), make([]int, 0, prefetchBatch)
		}
		cur, curWeights, curBytes = append(cur, &parsed), append(curWeights, w), curBytes+w
		if len(cur) >= prefetchBatch {
			return flush()
		}
		return ctx.Err()
	})
	if perr == nil {
		perr = flush()
	}
	close(batches)
	dispatcher.Wait()
	workers.Wait()
	if cause := context.Cause(ctx); cause != nil {
		perr = cause
	}
	if perr != nil {
		if man != nil {
			// Release the claim (the retry takes the full path either way),
			// so that the next file of the supplier is not seen as concurrent.
			man.overflow = true
			man.commit(context.WithoutCancel(ctx), log)
		}
		return nil, Writes{}, fmt.Errorf("ingesting %s: %w", f.Name, perr)
	}
	man.commit(ctx, log)
	applyRejections(rep, rejected)
	if w.Refused > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d titles: blocks maintained by another supplier or by MediaSpecs were left unchanged", w.Refused))
	}
	return rep, w, nil
}

// applyRejections adds titles rejected after parsing (too large to store)
// to rep, moving their rows from accepted to rejected and re-judging the file.
func applyRejections(rep *ingest.Report, rejected []rejection) {
	for _, rj := range rejected {
		rep.Errors = append(rep.Errors, ingest.RowError{Row: rj.firstRow, Key: rj.key, Reason: rj.err.Error()})
		rep.ErrorCount++
		rep.Titles--
		rep.RejectedTitles++
		rep.AcceptedRows -= rj.rows
		rep.RejectedRows += rj.rows
	}
	if len(rejected) == 0 {
		return
	}
	switch {
	case rep.FileError != "":
	case rep.AcceptedRows <= 0:
		rep.Verdict, rep.FileError = ingest.Rejected, "no row could be imported: see errors"
	default:
		rep.Verdict = ingest.AcceptedWithRejections
	}
}

// Validate checks a file offline exactly as the pipeline would before
// writing: the profile's parser, normaliser and validator, then the document
// size limit of each title as created. Nothing is stored. The error is a
// read error of src.R, not a verdict: see the report.
func Validate(ctx context.Context, src ingest.Source, profile *ingest.Profile, lim ingest.Limits) (*ingest.Report, error) {
	var rejected []rejection
	now := time.Now().UTC()
	rep, err := ingest.Parse(ctx, src, profile, lim, func(parsed ingest.Parsed) error {
		res := catalog.Merge(nil, parsed.Title, parsed.Provenance, now)
		if _, err := catalog.CheckSize(&res.Title); err != nil {
			rejected = append(rejected, rejectionOf(&parsed, err))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	applyRejections(rep, rejected)
	return rep, nil
}

// rejection is a title rejected after parsing: what the report needs of it,
// not the title, which is let go.
type rejection struct {
	firstRow, rows int
	key            string
	err            error
}

func rejectionOf(p *ingest.Parsed, err error) rejection {
	return rejection{firstRow: p.FirstRow, rows: p.Rows, key: keyOf(p), err: err}
}

func keyOf(p *ingest.Parsed) string {
	if k, ok := p.Title.Identifiers.SupplierKeys[p.Provenance.Supplier]; ok {
		return k
	}
	return p.Title.ID
}

// shard picks the writer of a title id: one id, one writer, in order.
func shard(id string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// write merges one parsed title into the store, starting from the
// prefetched document and re-reading it after a conflict. It returns
// InvalidArgument errors for titles the supplier must fix (too large) and
// other errors for infrastructure failures.
func (p *Pipeline) write(ctx context.Context, it item, received, now time.Time) (outcome, bool, error) {
	parsed := it.parsed
	prov := parsed.Provenance
	prov.ReceivedAt, prov.ImportedAt = received.UTC(), now
	id := parsed.Title.ID
	if it.skip {
		return unchanged, false, nil
	}
	if it.presumedNew {
		done, err := p.writeNew(ctx, it, prov, now)
		if err != nil {
			return 0, false, err
		}
		if done {
			return created, false, nil
		}
		// It exists after all: the usual path, from a fresh read.
	}
	old, etag := it.stored, it.etag
	for attempt := 0; ; attempt++ {
		if attempt > 0 || !it.prefetched {
			var err error
			old, etag, err = p.titles.Get(ctx, id)
			if errors.Is(err, apperr.NotFound) {
				old, err = nil, nil
			}
			if err != nil {
				return 0, false, err
			}
		}
		res := catalog.Merge(old, parsed.Title, prov, now)
		refused := len(res.Refused) > 0
		if res.Unchanged {
			return unchanged, refused, nil
		}
		if _, err := catalog.CheckSize(&res.Title); err != nil {
			return 0, false, err
		}
		// The change record first: if the title write then fails, the retry
		// produces the same version and overwrites the same record; the
		// other order could lose the record of a write.
		if err := p.changes.Put(ctx, catalog.NewChange(old, res, prov, now)); err != nil {
			return 0, false, err
		}
		deliveries := maps.Clone(it.deliveries)
		if deliveries == nil || attempt > 0 {
			deliveries = map[string]string{} // after a re-read the others' are unknown: only ours
		}
		deliveries[prov.Supplier] = it.delivery + ":" + res.Title.ContentHash
		var err error
		if old == nil {
			_, err = p.titles.CreateDelivered(ctx, &res.Title, deliveries)
		} else {
			_, err = p.titles.ReplaceDelivered(ctx, &res.Title, deliveries, etag)
		}
		switch {
		case err == nil && old == nil:
			return created, refused, nil
		case err == nil:
			return updated, refused, nil
		case errors.Is(err, apperr.Conflict) && attempt < p.cfg.ConflictRetries:
			continue // another writer won (or the prefetch was stale): re-read and merge onto its version
		default:
			return 0, false, err
		}
	}
}

// writeNew creates a title presumed new with two writes and no read: its
// change record "<id>:1" by a conditional create, then the title by a
// conditional create. Every title ingestion created has its "<id>:1"
// record (written first, never pruned), so the first create's Conflict
// says the title exists — or a crashed try left the record, which the usual
// path then overwrites — and nothing was written. A title created outside
// ingestion has no such record: the second create's Conflict then says the
// record just made is wrong, and it is deleted before the usual path writes
// the right one. done is false when the caller must take the usual path.
func (p *Pipeline) writeNew(ctx context.Context, it item, prov catalog.Provenance, now time.Time) (done bool, err error) {
	res := catalog.Merge(nil, it.parsed.Title, prov, now)
	if _, err := catalog.CheckSize(&res.Title); err != nil {
		return false, err
	}
	ch := catalog.NewChange(nil, res, prov, now)
	etag, err := p.changes.Create(ctx, ch)
	switch {
	case errors.Is(err, apperr.Conflict):
		return false, nil
	case err != nil:
		return false, err
	}
	_, err = p.titles.CreateDelivered(ctx, &res.Title, map[string]string{prov.Supplier: it.delivery + ":" + res.Title.ContentHash})
	if !errors.Is(err, apperr.Conflict) {
		return err == nil, err
	}
	// If-Match: a concurrent file of the supplier that has since written
	// the title's true "<id>:1" record keeps it (Conflict here).
	if err := p.changes.Delete(ctx, ch, etag); err != nil && !errors.Is(err, apperr.NotFound) && !errors.Is(err, apperr.Conflict) {
		return false, err
	}
	return false, nil
}

// Prefetch sizing: titles are looked up prefetchBatch at a time, with up to
// prefetchers batches in flight and lookupsPerBatch point reads at once in
// each: enough to keep the writers fed, few enough to leave the container's
// throughput to the writes. Batches are small because lookups are point
// reads (a batch costs no query): small batches overlap finely within a
// small byte budget.
//
// Config.InFlightBytes bounds, by titleWeight, every parsed title not yet
// written: the batch being filled, the batches being prefetched or
// dispatched and the writers' queues; whatever the file size, and whatever
// the titles' size.
const (
	prefetchBatch   = 100
	prefetchers     = 4
	lookupsPerBatch = 16
)

// batch is one prefetch: parsed titles in file order and what is stored.
type batch struct {
	// items are the parsed titles, each let go (nil) once dispatched.
	items []*ingest.Parsed
	// weights[i] is what items[i] holds of the in-flight budget.
	weights []int
	ready   chan struct{}
	// repeat[i] says items[i]'s id came earlier in the file: its writer
	// reads the document afresh, after the earlier write.
	repeat []bool
	// delivery[i] is the hash of items[i] as delivered; skip[i] says it is
	// known unchanged from the manifest or the stored delivery fingerprint.
	delivery   []string
	skip       []bool
	byManifest []bool
	// presumedNew[i]: items[i] is created without a lookup (writeNew).
	presumedNew []bool
	deliveries  map[string]map[string]string
	titles      map[string]*catalog.Title
	etags       map[string]string
	err         error
}

// prefetch fills b: titles the supplier's manifest vouches for are skipped
// outright; the others are read by id (point reads, lookupsPerBatch at a
// time; a new title's read is a cheap 404), and a stored title whose
// delivery fingerprint shows this very delivery written onto its current
// content is skipped without a merge. Point reads, not a query of many ids:
// a query fans out to every partition, and the local emulator scans the
// whole container for each, which made a first ingest quadratic in the
// container size.
func (p *Pipeline) prefetch(ctx context.Context, supplier string, man *manifestRun, b *batch) error {
	var ids []string
	b.delivery = make([]string, len(b.items))
	b.skip = make([]bool, len(b.items))
	b.byManifest = make([]bool, len(b.items))
	b.presumedNew = make([]bool, len(b.items))
	for i, it := range b.items {
		t := it.Title
		t.Measurements = slices.Clone(t.Measurements) // Hash must not see Merge's edits
		b.delivery[i] = t.Hash()
		switch {
		case b.repeat[i]:
			// Read by its writer, after the earlier occurrence is written.
		case man.presumesNew():
			b.presumedNew[i] = true
		case man.unchanged(it.Title.ID, b.delivery[i]):
			b.skip[i], b.byManifest[i] = true, true
		default:
			ids = append(ids, it.Title.ID)
		}
	}
	b.titles, b.etags, b.deliveries = map[string]*catalog.Title{}, map[string]string{}, map[string]map[string]string{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupsPerBatch)
	for _, id := range ids {
		g.Go(func() error {
			t, etag, deliveries, err := p.titles.GetDelivered(gctx, id)
			if errors.Is(err, apperr.NotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			b.titles[id], b.etags[id], b.deliveries[id] = t, etag, deliveries
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, it := range b.items {
		id := it.Title.ID
		stored := b.titles[id]
		if b.skip[i] || b.repeat[i] || stored == nil {
			continue
		}
		if b.deliveries[id][supplier] == b.delivery[i]+":"+stored.ContentHash {
			b.skip[i] = true
			delete(b.titles, id) // not needed: let it go before the write
		}
	}
	return nil
}

// item is one title for a writer: the parsed delivery and the stored
// document as prefetched (nil when none).
type item struct {
	parsed *ingest.Parsed
	// weight is what the item holds of the in-flight budget, given back
	// once it is written or dropped.
	weight     int
	stored     *catalog.Title
	etag       string
	prefetched bool
	// skip: known unchanged from the fingerprints; delivery is the hash of
	// the delivered title and deliveries the stored fingerprints.
	skip       bool
	byManifest bool
	delivery   string
	deliveries map[string]string
	// presumedNew: not looked up; writeNew creates it (or finds it exists).
	presumedNew bool
}
