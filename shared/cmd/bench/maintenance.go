package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/devhost"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
	"github.com/mediaspecs/catalogue/shared/loadtest"
	"github.com/mediaspecs/catalogue/shared/maintenance"
	"github.com/mediaspecs/catalogue/shared/reindex"
	"github.com/mediaspecs/catalogue/shared/search"
)

// maintenanceMain is `bench maintenance`: the reindexing and maintenance
// benchmarks of issue 6, each against its goal or a baseline in the same run,
// on the local stack (the shared Elasticsearch and Cosmos emulator; nothing is
// stopped):
//
//		go run ./shared/cmd/bench maintenance -titles 10000 -swaps 5 -drops 20 -out bench-maintenance.json
//
//	  - rebuild: Rebuilder (Cosmos emulator scan → bulk load → alias swap)
//	    docs/s against a plain esutil.BulkIndexer load of the same documents
//	    from memory, a naive Cosmos scan feeding a plain bulk indexer, and the
//	    Cosmos scan alone (the emulator's read speed caps every load that reads
//	    from it). Two rounds in mirrored order (ABBA) so drift in machine load
//	    hits all alike.
//
//	  - swap: open-loop searches against the read alias while rebuilds swap it
//	    several times (the production Keep of 3, so pruning runs too); every
//	    error and every empty answer to a query that must hit is counted
//	    (goal 0).
//
//	  - drop: supplier files dropped into Azurite with devhost (Event Grid
//	    stand-in, queue polling as in host.json) and the real handler binary
//	    running; latency from upload to the title being returned by a search
//	    on the read alias (goal p95 ≤ 10 s), with the time it reached Cosmos.
func maintenanceMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench maintenance", flag.ContinueOnError)
	var o struct {
		titles, swaps, drops int
		searchRate           float64
		swapLoad             time.Duration
		phases, out          string
		esURL, cosmosURL     string
		cosmosCA             string
	}
	fs.IntVar(&o.titles, "titles", 5000, "titles in Cosmos for the rebuild and swap phases")
	fs.IntVar(&o.swaps, "swaps", 5, "at most this many alias swaps (rebuilds) under search load")
	fs.DurationVar(&o.swapLoad, "swap-load", 150*time.Second, "length of the search load during the swaps")
	fs.IntVar(&o.drops, "drops", 20, "supplier files dropped one after another")
	fs.Float64Var(&o.searchRate, "search-rate", 10, "searches per second during the swaps")
	fs.StringVar(&o.phases, "phases", "rebuild,swap,drop", "comma-separated phases: rebuild, swap, drop")
	fs.StringVar(&o.out, "out", "bench-maintenance.json", "results file")
	fs.StringVar(&o.esURL, "es", "http://127.0.0.1:9200", "Elasticsearch URL")
	fs.StringVar(&o.cosmosURL, "cosmos", "https://127.0.0.1:8081/", "Cosmos DB endpoint")
	fs.StringVar(&o.cosmosCA, "cosmos-ca", "/opt/mediaspecs-cache/tls/cosmos-cert.pem", "Cosmos DB certificate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	phase := map[string]bool{}
	for p := range strings.SplitSeq(o.phases, ",") {
		phase[strings.TrimSpace(p)] = true
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := fmt.Sprintf("benchm-%d", time.Now().Unix())

	es, err := search.NewClient(config.Elasticsearch{URL: o.esURL})
	if err != nil {
		return err
	}
	admin := &search.Admin{ES: es, Prefix: run, ReadAlias: run + "-read", WriteAlias: run + "-write"}
	// Baseline loads: the same template, no aliases; a prefix that does not
	// start with run's, or both templates would match its indices.
	base := &search.Admin{ES: es, Prefix: strings.Replace(run, "benchm-", "benchb-", 1)}
	defer cleanupIndex(admin)
	defer cleanupIndex(base)
	cc, err := cosmos.NewClient(cosmos.ClientConfig{Endpoint: o.cosmosURL, Key: "YmVuY2g=", CAFile: o.cosmosCA}, nil)
	if err != nil {
		return err
	}
	if _, err := cc.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: run}, nil); err != nil {
		return err
	}
	db, _ := cc.NewDatabase(run)
	defer func() { _, _ = db.Delete(context.WithoutCancel(ctx), nil) }()
	for _, props := range []azcosmos.ContainerProperties{cosmos.MediaContainerProperties("media"), cosmos.ChangesContainerProperties("changes")} {
		if _, err := db.CreateContainer(ctx, props, nil); err != nil {
			return err
		}
	}
	media, _ := db.NewContainer("media")
	store := cosmos.NewStore(media, nil)
	indexer := &reindex.Indexer{ES: es, Alias: admin.WriteAlias, Titles: store, Logger: quiet}
	rebuilder := &maintenance.Rebuilder{Admin: admin, Titles: store, Catchup: indexer, Logger: quiet, Keep: 3}

	rep := maintenanceReport{Date: time.Now().UTC(), Machine: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()), Titles: o.titles}
	// Whatever phases finished are written and printed, even when a later
	// one fails: a long run is not thrown away.
	defer func() {
		body, _ := json.MarshalIndent(rep, "", "  ")
		if werr := os.WriteFile(o.out, body, 0o644); werr != nil {
			logger.Error("writing the results", "error", werr)
		}
		rep.print()
	}()
	var mustHit string
	if phase["rebuild"] || phase["swap"] {
		logger.Info("loading Cosmos", "titles", o.titles)
		titles := gen.Generate(gen.Options{Seed: 7, Titles: o.titles})
		mustHit = titles[0].Name
		start := time.Now()
		if err := upsertAll(ctx, store, titles); err != nil {
			return err
		}
		loaded := time.Now()
		rep.CosmosLoadPerSec = float64(o.titles) / loaded.Sub(start).Seconds()
		if _, err := admin.Bootstrap(ctx, loaded.Add(-time.Hour)); err != nil {
			return err
		}
		if err := base.PutTemplate(ctx); err != nil {
			return err
		}
		if phase["rebuild"] {
			if err := benchRebuild(ctx, logger, &rep, store, rebuilder, base, loaded); err != nil {
				return fmt.Errorf("rebuild phase: %w", err)
			}
		}
		if phase["swap"] {
			if err := benchSwap(ctx, logger, &rep, admin, rebuilder, mustHit, o.swaps, o.searchRate, o.swapLoad, loaded); err != nil {
				return fmt.Errorf("swap phase: %w", err)
			}
		}
	}
	if phase["drop"] {
		if _, err := admin.Bootstrap(ctx, time.Now()); err != nil {
			return err
		}
		if err := benchDrop(ctx, logger, &rep, run, admin, store, o.drops, o.cosmosCA); err != nil {
			return fmt.Errorf("drop phase: %w", err)
		}
	}
	return nil
}

// maintenanceReport is what `bench maintenance` writes.
type maintenanceReport struct {
	Date             time.Time   `json:"date"`
	Machine          string      `json:"machine"`
	Titles           int         `json:"titles"`
	CosmosLoadPerSec float64     `json:"cosmosLoadPerSec"`
	Rebuild          []loadRate  `json:"rebuild,omitempty"`
	Swap             *swapResult `json:"swap,omitempty"`
	Drop             *dropResult `json:"drop,omitempty"`
}

// loadRate is one timed load of the whole catalogue.
type loadRate struct {
	Name       string        `json:"name"`
	Round      int           `json:"round"`
	Docs       int64         `json:"docs"`
	Duration   time.Duration `json:"duration"`
	DocsPerSec float64       `json:"docsPerSec"`
	Note       string        `json:"note,omitempty"`
}

const (
	rateRebuild  = "Rebuilder.Rebuild (scan → bulk → refresh → count → swap → catch-up → prune)"
	rateNaive    = "naive: Cosmos scan feeding a plain BulkIndexer, fresh index, refresh"
	rateInMemory = "plain BulkIndexer from memory, fresh index, refresh"
	rateScan     = "Cosmos cross-partition scan alone (decode, no indexing)"
)

// upsertAll writes the generated titles with 32 writers.
func upsertAll(ctx context.Context, store *cosmos.Store, titles []gen.Title) error {
	work := make(chan gen.Title)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for g := range work {
				if _, err := store.Upsert(ctx, toTitle(g)); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	for _, g := range titles {
		work <- g
	}
	close(work)
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	return nil
}

// benchRebuild times the rebuild and its baselines in two mirrored rounds.
// The rebuild's catch-up re-reads titles written in the minute before it
// starts, so the first rebuild waits until the load is a minute old: it must
// measure a full load, not a full load plus a full catch-up.
func benchRebuild(ctx context.Context, logger *slog.Logger, rep *maintenanceReport, store *cosmos.Store,
	rebuilder *maintenance.Rebuilder, base *search.Admin, loaded time.Time) error {
	// The documents the in-memory baseline loads: exactly what the scan gives.
	type doc struct {
		id   string
		body []byte
	}
	var docs []doc
	if err := store.Scan(ctx, 0, func(t *catalog.Title) error {
		if t.Status == catalog.StatusActive {
			b, err := json.Marshal(search.FromTitle(t))
			docs = append(docs, doc{t.ID, b})
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	want := int64(len(docs))
	scanAlone := func(round int) error {
		start := time.Now()
		var n int64
		if err := store.Scan(ctx, 0, func(*catalog.Title) error { n++; return nil }); err != nil {
			return err
		}
		rep.Rebuild = append(rep.Rebuild, rate(rateScan, round, n, time.Since(start), ""))
		return nil
	}
	// plainLoad creates a fresh index from the template (default settings)
	// and loads it with a default BulkIndexer fed by feed, then refreshes.
	plainLoad := func(name string, round int, feed func(add func(id string, body []byte) error) error) error {
		start := time.Now()
		index := base.NewIndexName(time.Now())
		if err := base.CreateIndex(ctx, index, nil); err != nil {
			return err
		}
		defer func() { _ = base.DeleteIndex(context.WithoutCancel(ctx), index) }()
		bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: base.ES, Index: index})
		if err != nil {
			return err
		}
		feedErr := feed(func(id string, body []byte) error {
			return bi.Add(ctx, esutil.BulkIndexerItem{Action: "index", DocumentID: id, Body: bytes.NewReader(body)})
		})
		if err := errors.Join(feedErr, bi.Close(ctx)); err != nil {
			return err
		}
		if err := base.Refresh(ctx, index); err != nil {
			return err
		}
		took := time.Since(start)
		n, err := base.Count(ctx, index)
		if err != nil {
			return err
		}
		if n != want || bi.Stats().NumFailed > 0 {
			return fmt.Errorf("%s: %d documents in the index, %d failed; want %d", name, n, bi.Stats().NumFailed, want)
		}
		rep.Rebuild = append(rep.Rebuild, rate(name, round, n, took, ""))
		time.Sleep(time.Second) // index names have one-second resolution
		return nil
	}
	inMemory := func(round int) error {
		return plainLoad(rateInMemory, round, func(add func(string, []byte) error) error {
			for _, d := range docs {
				if err := add(d.id, d.body); err != nil {
					return err
				}
			}
			return nil
		})
	}
	naive := func(round int) error {
		return plainLoad(rateNaive, round, func(add func(string, []byte) error) error {
			return store.Scan(ctx, 0, func(t *catalog.Title) error {
				if t.Status != catalog.StatusActive {
					return nil
				}
				b, err := json.Marshal(search.FromTitle(t))
				if err != nil {
					return err
				}
				return add(t.ID, b)
			})
		})
	}
	rebuild := func(round int) error {
		if wait := time.Until(loaded.Add(61 * time.Second)); wait > 0 {
			logger.Info("waiting until the Cosmos load is older than the catch-up window", "wait", wait.Round(time.Second))
			time.Sleep(wait)
		}
		r, err := rebuilder.Rebuild(ctx, time.Now())
		if err != nil {
			return err
		}
		if r.Indexed != want {
			return fmt.Errorf("rebuild indexed %d, want %d", r.Indexed, want)
		}
		rep.Rebuild = append(rep.Rebuild, rate(rateRebuild, round, r.Indexed, r.Duration, fmt.Sprintf("caught up %d", r.CaughtUp)))
		time.Sleep(time.Second)
		return nil
	}
	for _, step := range []struct {
		name  string
		round int
		fn    func(int) error
	}{
		{"scan", 1, scanAlone}, {"in-memory bulk", 1, inMemory}, {"naive scan+bulk", 1, naive}, {"rebuild", 1, rebuild},
		{"rebuild", 2, rebuild}, {"naive scan+bulk", 2, naive}, {"in-memory bulk", 2, inMemory}, {"scan", 2, scanAlone},
	} {
		logger.Info("rebuild phase", "step", step.name, "round", step.round)
		if err := step.fn(step.round); err != nil {
			return fmt.Errorf("%s (round %d): %w", step.name, step.round, err)
		}
	}
	return nil
}

func rate(name string, round int, n int64, d time.Duration, note string) loadRate {
	return loadRate{Name: name, Round: round, Docs: n, Duration: d, DocsPerSec: float64(n) / d.Seconds(), Note: note}
}

// swapResult is the search load during alias swaps.
type swapResult struct {
	Query        string          `json:"query"`
	Load         loadtest.Result `json:"load"`
	Swaps        int             `json:"swaps"`
	SwapsInLoad  int             `json:"swapsInsideLoad"` // swaps that completed while searches ran
	Errors       int64           `json:"errors"`          // transport errors and non-2xx answers
	ZeroHits     int64           `json:"zeroHits"`        // 2xx answers without the title that must hit
	RebuildEach  time.Duration   `json:"rebuildEach"`     // mean rebuild duration under load
	FirstProblem string          `json:"firstProblem,omitempty"`
}

// benchSwap runs open-loop searches at rate against the read alias (through
// search.Searcher, the handler's code path) for loadFor, and meanwhile runs
// rebuilds back to back, at most swaps of them, each only when the previous
// one's duration (with margin) still fits before the load ends: every swap
// happens under load.
func benchSwap(ctx context.Context, logger *slog.Logger, rep *maintenanceReport, admin *search.Admin,
	rebuilder *maintenance.Rebuilder, mustHit string, swaps int, rate float64, loadFor time.Duration, loaded time.Time) error {
	searcher := &search.Searcher{ES: admin.ES, Index: admin.ReadAlias}
	// Without the rebuild phase the serving index is still empty. The swaps
	// start once the Cosmos load is past the catch-up window, as in the
	// rebuild phase, so each rebuild does the same work.
	if n, err := admin.Count(ctx, admin.ReadAlias); err != nil || n == 0 {
		if _, err := rebuilder.Rebuild(ctx, time.Now()); err != nil {
			return err
		}
		time.Sleep(time.Second)
	}
	if wait := time.Until(loaded.Add(61 * time.Second)); wait > 0 {
		logger.Info("waiting until the Cosmos load is older than the catch-up window", "wait", wait.Round(time.Second))
		time.Sleep(wait)
	}
	q := search.Query{Text: mustHit, PageSize: 1}
	if res, err := searcher.Search(ctx, q); err != nil || res.Total == 0 {
		return fmt.Errorf("the query %q must hit before the phase: %v", mustHit, err)
	}
	res := &swapResult{Query: mustHit}
	var errs, zero atomic.Int64
	var firstProblem atomic.Value
	target := func(ctx context.Context, _ int) error {
		r, err := searcher.Search(ctx, q)
		if err != nil {
			errs.Add(1)
			firstProblem.CompareAndSwap(nil, err.Error())
			return err
		}
		if r.Total == 0 {
			zero.Add(1)
			firstProblem.CompareAndSwap(nil, "zero hits")
			return errors.New("zero hits")
		}
		return nil
	}
	loadDone := make(chan loadtest.Result, 1)
	loadEnd := time.Now().Add(loadFor)
	go func() {
		loadDone <- loadtest.Run(ctx, "searches during alias swaps", loadtest.Options{Rate: rate, Duration: loadFor}, target)
	}()
	time.Sleep(3 * time.Second)
	var rebuildTotal, last time.Duration
	for res.Swaps < swaps && time.Until(loadEnd) > last*3/2+3*time.Second {
		logger.Info("swap phase", "rebuild", res.Swaps+1)
		r, err := rebuilder.Rebuild(ctx, time.Now())
		if err != nil {
			return err
		}
		res.Swaps++
		if time.Now().Before(loadEnd) {
			res.SwapsInLoad++
		}
		last = r.Duration
		rebuildTotal += r.Duration
		time.Sleep(time.Second) // index names have one-second resolution
	}
	res.Load = <-loadDone
	res.Errors, res.ZeroHits = errs.Load(), zero.Load()
	if res.Swaps > 0 {
		res.RebuildEach = rebuildTotal / time.Duration(res.Swaps)
	}
	if p, ok := firstProblem.Load().(string); ok {
		res.FirstProblem = p
	}
	rep.Swap = res
	return nil
}

// dropResult is the drop-to-searchable latency.
type dropResult struct {
	Drops             int             `json:"drops"`
	TimedOut          int             `json:"timedOut"`
	ToCosmos          []time.Duration `json:"toCosmos"`
	ToSearch          []time.Duration `json:"toSearch"`
	P50               time.Duration   `json:"p50"`
	P95               time.Duration   `json:"p95"`
	Max               time.Duration   `json:"max"`
	CosmosP50         time.Duration   `json:"cosmosP50"`
	EventGridInterval time.Duration   `json:"eventGridInterval"`
	MaxPolling        string          `json:"maxPollingInterval"`
}

// benchDrop runs devhost with the real handler binary (IngestSupplierFile and
// ReindexMedia, the repository's host.json unchanged) on queues, containers
// and a database of the run, drops one single-title supplier file at a time,
// and polls Cosmos (point read) and a search on the read alias every 50 ms.
// Pauses of 0-1.5 s between drops spread them over the pollers' phases.
func benchDrop(ctx context.Context, logger *slog.Logger, rep *maintenanceReport, run string, admin *search.Admin,
	store *cosmos.Store, drops int, cosmosCA string) error {
	blobs, err := azblob.NewClientFromConnectionString(blob.DevelopmentConnectionString, nil)
	if err != nil {
		return err
	}
	queues, err := azqueue.NewServiceClientFromConnectionString(blob.DevelopmentConnectionString, nil)
	if err != nil {
		return err
	}
	drop, reports, ingestQ, reindexQ := run+"-drop", run+"-reports", run+"-ingest", run+"-reindex"
	for _, c := range []string{drop, reports} {
		if _, err := blobs.CreateContainer(ctx, c, nil); err != nil {
			return err
		}
		defer func() { _, _ = blobs.DeleteContainer(context.WithoutCancel(ctx), c, nil) }()
	}
	for _, q := range []string{ingestQ, reindexQ} {
		if _, err := queues.CreateQueue(ctx, q, nil); err != nil {
			return err
		}
		defer func() {
			_, _ = queues.DeleteQueue(context.WithoutCancel(ctx), q, nil)
			_, _ = queues.DeleteQueue(context.WithoutCancel(ctx), q+"-poison", nil)
		}()
	}

	dir, err := os.MkdirTemp("", "bench-drop-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "handler")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./shared/cmd/handler").CombinedOutput(); err != nil {
		return fmt.Errorf("building the handler: %v\n%s", err, out)
	}
	hostJSON, err := os.ReadFile("host.json")
	if err != nil {
		return err
	}
	var hostDoc struct {
		Extensions struct {
			Queues struct {
				MaxPollingInterval string `json:"maxPollingInterval"`
			} `json:"queues"`
		} `json:"extensions"`
	}
	_ = json.Unmarshal(hostJSON, &hostDoc)
	if err := os.WriteFile(filepath.Join(dir, "host.json"), hostJSON, 0o644); err != nil {
		return err
	}
	// The functions' queue names become settings, so the run's queues are used.
	for name, subst := range map[string][][2]string{
		"IngestSupplierFile": {{`"ingest-events"`, `"%INGEST_QUEUE%"`}, {`"reindex"`, `"%REINDEX_QUEUE%"`}},
		"ReindexMedia":       {{`"reindex"`, `"%REINDEX_QUEUE%"`}},
	} {
		fn, err := os.ReadFile(filepath.Join("functions", name, "function.json"))
		if err != nil {
			return err
		}
		for _, s := range subst {
			if !bytes.Contains(fn, []byte(s[0])) {
				return fmt.Errorf("functions/%s/function.json has no %s", name, s[0])
			}
			fn = bytes.Replace(fn, []byte(s[0]), []byte(s[1]), 1)
		}
		if err := os.MkdirAll(filepath.Join(dir, "functions", name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "functions", name, "function.json"), fn, 0o644); err != nil {
			return err
		}
	}
	var settings struct {
		IsEncrypted bool              `json:"IsEncrypted"`
		Values      map[string]string `json:"Values"`
	}
	raw, err := os.ReadFile("local.settings.sample.json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &settings); err != nil {
		return err
	}
	overrides := map[string]string{
		"COSMOS_DATABASE": run, "COSMOS_CONTAINER": "media", "CHANGES_CONTAINER": "changes", "COSMOS_CA_FILE": cosmosCA,
		"SEARCH_READ_ALIAS": admin.ReadAlias, "SEARCH_WRITE_ALIAS": admin.WriteAlias, "SEARCH_INDEX_PREFIX": admin.Prefix,
		"SUPPLIER_CONTAINER": drop, "REPORTS_CONTAINER": reports, "INGEST_QUEUE": ingestQ, "REINDEX_QUEUE": reindexQ,
		"LOG_LEVEL": "warn",
	}
	for k, v := range overrides {
		settings.Values[k] = v
	}
	raw, _ = json.Marshal(settings)
	settingsFile := filepath.Join(dir, "local.settings.json")
	if err := os.WriteFile(settingsFile, raw, 0o644); err != nil {
		return err
	}
	var env []string // the environment wins over settings: drop ours from it
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); overrides[k] == "" {
			env = append(env, kv)
		}
	}
	eg := devhost.EventGridConfig{StateFile: filepath.Join(dir, "eventgrid.json")} // default interval, as make dev
	h, err := devhost.New(devhost.Config{Root: dir, SettingsFile: settingsFile, Handler: bin, Addr: "127.0.0.1:0", Env: env,
		EventGrid: eg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		return err
	}
	hctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.Run(hctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-h.Ready():
	case err := <-done:
		return fmt.Errorf("devhost: %w", err)
	}

	res := &dropResult{Drops: drops, EventGridInterval: time.Second, MaxPolling: hostDoc.Extensions.Queues.MaxPollingInterval}
	for i := range drops {
		opts := gen.Options{Seed: int64(1000 + i), Titles: 1, KeyPrefix: fmt.Sprintf("D%s-%03d-", strings.TrimPrefix(run, "benchm-"), i)}
		var file bytes.Buffer
		if _, err := gen.WriteJSON(&file, opts, true); err != nil {
			return err
		}
		id := catalog.StableID("sample-feed", gen.Generate(opts)[0].Key)
		start := time.Now()
		if _, err := blobs.UploadBuffer(ctx, drop, fmt.Sprintf("sample-feed/drop-%03d.ndjson", i), file.Bytes(), nil); err != nil {
			return err
		}
		toCosmos, toSearch, ok := waitSearchable(ctx, store, admin.ES, admin.ReadAlias, id, start)
		if !ok {
			res.TimedOut++
			logger.Warn("drop not searchable within 60 s", "drop", i, "id", id)
			continue
		}
		res.ToCosmos = append(res.ToCosmos, toCosmos)
		res.ToSearch = append(res.ToSearch, toSearch)
		logger.Info("drop phase", "drop", i+1, "of", drops, "toCosmos", toCosmos.Round(time.Millisecond), "toSearch", toSearch.Round(time.Millisecond))
		time.Sleep(time.Duration(rand.Int64N(int64(1500 * time.Millisecond))))
	}
	sorted := slices.Sorted(slices.Values(res.ToSearch))
	res.P50, res.P95 = loadtest.Percentile(sorted, 50), loadtest.Percentile(sorted, 95)
	if len(sorted) > 0 {
		res.Max = sorted[len(sorted)-1]
	}
	res.CosmosP50 = loadtest.Percentile(slices.Sorted(slices.Values(res.ToCosmos)), 50)
	rep.Drop = res
	return nil
}

// waitSearchable polls every 50 ms until the title is in Cosmos, then until a
// search on the read alias returns it; both times count from start.
func waitSearchable(ctx context.Context, store *cosmos.Store, es *elasticsearch.Client, alias, id string, start time.Time) (toCosmos, toSearch time.Duration, ok bool) {
	deadline := start.Add(60 * time.Second)
	body := fmt.Sprintf(`{"query":{"ids":{"values":[%q]}},"size":1,"_source":false}`, id)
	for time.Now().Before(deadline) {
		if toCosmos == 0 {
			if _, _, err := store.Get(ctx, id); err == nil {
				toCosmos = time.Since(start)
			}
		}
		res, err := es.Search(es.Search.WithContext(ctx), es.Search.WithIndex(alias), es.Search.WithBody(strings.NewReader(body)))
		if err == nil {
			var out struct {
				Hits struct {
					Hits []json.RawMessage `json:"hits"`
				} `json:"hits"`
			}
			derr := json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if derr == nil && !res.IsError() && len(out.Hits.Hits) > 0 {
				toSearch = time.Since(start)
				if toCosmos == 0 {
					toCosmos = toSearch
				}
				return toCosmos, toSearch, true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return toCosmos, 0, false
}

func (r maintenanceReport) print() {
	fmt.Printf("date %s, %s, %d titles; Cosmos emulator load %.0f upserts/s\n", r.Date.Format(time.RFC3339), r.Machine, r.Titles, r.CosmosLoadPerSec)
	if len(r.Rebuild) > 0 {
		fmt.Printf("\n| load | round | docs | time | docs/s |\n|---|---|---|---|---|\n")
		for _, l := range r.Rebuild {
			fmt.Printf("| %s | %d | %d | %s | %.0f |\n", l.Name, l.Round, l.Docs, l.Duration.Round(10*time.Millisecond), l.DocsPerSec)
		}
		mean := func(name string) float64 {
			var sum float64
			var n int
			for _, l := range r.Rebuild {
				if l.Name == name {
					sum += l.DocsPerSec
					n++
				}
			}
			return sum / float64(max(n, 1))
		}
		fmt.Printf("\nrebuild / naive scan+bulk: %.2f; rebuild / in-memory bulk: %.2f; rebuild / scan alone: %.2f\n",
			mean(rateRebuild)/mean(rateNaive), mean(rateRebuild)/mean(rateInMemory), mean(rateRebuild)/mean(rateScan))
	}
	if s := r.Swap; s != nil {
		fmt.Printf("\nswaps: %d rebuilds (%d inside the load, %s each), %d searches at %.0f/s over %s: %d errors, %d zero-hit answers; p50 %s p99 %s max %s %s\n",
			s.Swaps, s.SwapsInLoad, s.RebuildEach.Round(10*time.Millisecond), s.Load.Requests, s.Load.Rate, s.Load.Duration.Round(time.Second),
			s.Errors, s.ZeroHits, s.Load.P50.Round(100*time.Microsecond), s.Load.P99.Round(100*time.Microsecond), s.Load.Max.Round(100*time.Microsecond), s.FirstProblem)
	}
	if d := r.Drop; d != nil {
		fmt.Printf("\ndrops: %d (%d timed out); upload → searchable p50 %s p95 %s max %s; upload → in Cosmos p50 %s (Event Grid stand-in every %s, maxPollingInterval %s)\n",
			d.Drops, d.TimedOut, d.P50.Round(10*time.Millisecond), d.P95.Round(10*time.Millisecond), d.Max.Round(10*time.Millisecond),
			d.CosmosP50.Round(10*time.Millisecond), d.EventGridInterval, d.MaxPolling)
	}
}
