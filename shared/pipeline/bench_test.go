package pipeline_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
	"github.com/mediaspecs/catalogue/shared/pipeline"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

var (
	benchTitles  = flag.Int("bench.titles", 3000, "titles per file in the Cosmos benchmarks")
	benchWriters = flag.Int("bench.writers", 32, "concurrent writers (pipeline) and upserters (plain loop)")
)

// benchCosmos returns a fresh media, changes and maintenance container in a
// unique database of the local Cosmos, with the retry policy the handler uses.
func benchCosmos(b *testing.B) (media, changes, maint *azcosmos.ContainerClient) {
	b.Helper()
	stacktest.Require(b, stacktest.Cosmos)
	client, err := cosmos.NewClient(cosmos.ClientConfig{Endpoint: stacktest.CosmosEndpoint, Key: stacktest.CosmosKey,
		CAFile: stacktest.CosmosCAFile(), MaxRetries: 9}, nil)
	if err != nil {
		b.Fatal(err)
	}
	name := stacktest.Name(b)
	if _, err := client.CreateDatabase(b.Context(), azcosmos.DatabaseProperties{ID: name}, nil); err != nil {
		b.Fatal(err)
	}
	db, _ := client.NewDatabase(name)
	b.Cleanup(func() { _, _ = db.Delete(b.Context(), nil) })
	for _, p := range []azcosmos.ContainerProperties{cosmos.MediaContainerProperties("media"), cosmos.ChangesContainerProperties("changes"),
		{ID: "maintenance", PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/id"}}}} {
		if _, err := db.CreateContainer(b.Context(), p, nil); err != nil {
			b.Fatal(err)
		}
	}
	media, _ = db.NewContainer("media")
	changes, _ = db.NewContainer("changes")
	maint, _ = db.NewContainer("maintenance")
	return media, changes, maint
}

func benchFile(b *testing.B) []byte {
	var buf bytes.Buffer
	if _, err := gen.WriteCSV(&buf, gen.Options{Seed: 99, Titles: *benchTitles}, ';', "windows-1252"); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkFirstIngestVsReingest ingests a generated CSV into an empty
// local Cosmos, then the same unchanged file again (a new blob version), and
// reports both durations and the speed-up (goal ≥ 10×). The re-ingest uses
// the supplier's ingest manifest (kept in memory here, like the blobs; in
// production one blob read and one write per file) and its one point read
// of the outside writes log in Cosmos. It measures one pass whatever b.N
// is: run with -benchtime=1x.
func BenchmarkFirstIngestVsReingest(b *testing.B) {
	media, changes, maint := benchCosmos(b)
	store := cosmos.NewStore(media, cosmos.NewOutsideWrites(maint))
	files := newMemFiles()
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: *benchWriters, Reindex: &memQueue{},
		Manifests: newMemManifests()},
		store, cosmos.NewChanges(changes), files, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	body := benchFile(b)
	run := func() (time.Duration, *pipeline.Result) {
		etag := files.put(drop, "bench/catalogue.csv", body)
		start := time.Now()
		res, err := p.Run(b.Context(), pipeline.File{Name: "bench/catalogue.csv", ETag: etag}, false, nil)
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(start), res
	}
	for b.Loop() {
	}
	first, r1 := run()
	again, r2 := run()
	if r1.Report.Writes.Created != *benchTitles || r2.Report.Writes.UnchangedByManifest != *benchTitles {
		b.Fatalf("first %+v, again %+v", r1.Report.Writes, r2.Report.Writes)
	}
	// What the manifest costs in Cosmos per file, alone: one point read of
	// the outside writes log. Beside it, the query over the media container
	// it replaces (which titles changed since; a full scan on the emulator).
	start := time.Now()
	if _, _, err := store.WrittenOutside(b.Context(), time.Now().Add(-time.Hour)); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "outside-log-s")
	start = time.Now()
	for pager := media.NewQueryItemsPager("SELECT c.id FROM c WHERE c._ts >= @since AND NOT IS_DEFINED(c.deliveries)", azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{QueryParameters: []azcosmos.QueryParameter{{Name: "@since", Value: time.Now().Add(-time.Hour).Unix()}}}); pager.More(); {
		if _, err := pager.NextPage(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(time.Since(start).Seconds(), "changed-since-query-s")
	// Parsing, normalising and hashing alone (no Cosmos, no blobs), the floor
	// of any re-ingest.
	profile, err := ingest.LoadProfile("generic")
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	if _, err := ingest.Parse(b.Context(), ingest.Source{Supplier: "bench", Name: "catalogue.csv", R: bytes.NewReader(body), Size: int64(len(body))},
		profile, ingest.DefaultLimits, func(p ingest.Parsed) error { _ = p.Title.Hash(); return nil }); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "parse-hash-s")
	b.ReportMetric(first.Seconds(), "first-s")
	b.ReportMetric(again.Seconds(), "reingest-s")
	b.ReportMetric(first.Seconds()/again.Seconds(), "speedup-x")
	b.ReportMetric(float64(*benchTitles)/first.Seconds(), "first-titles/s")
}

// BenchmarkPipelineVsPlainUpsert writes the same documents twice into empty
// containers: once with a plain loop of concurrent azcosmos upserts (each
// title and its change record, merged and encoded beforehand, nothing
// else), once through the pipeline (parse, normalise, prefetch, merge,
// change record, conditional create, reindex messages). It reports both
// rates in titles/s and their ratio (goal ≥ 0.8). One pass: -benchtime=1x.
func BenchmarkPipelineVsPlainUpsert(b *testing.B) {
	body := benchFile(b)
	profile, err := ingest.LoadProfile("generic")
	if err != nil {
		b.Fatal(err)
	}
	// Two documents a title, as the pipeline writes them: the change record
	// (partition key titleId, in the changes container), then the title.
	type doc struct {
		toChanges bool
		pk        string
		body      []byte
	}
	var docs []doc
	now := time.Now().UTC()
	_, err = ingest.Parse(b.Context(), ingest.Source{Supplier: "bench", Name: "catalogue.csv", R: bytes.NewReader(body), Size: int64(len(body))},
		profile, ingest.DefaultLimits, func(p ingest.Parsed) error {
			prov := p.Provenance
			prov.ReceivedAt, prov.ImportedAt = now, now
			res := catalog.Merge(nil, p.Title, prov, now)
			ch, err := json.Marshal(catalog.NewChange(nil, res, prov, now))
			if err != nil {
				return err
			}
			t, err := json.Marshal(res.Title)
			docs = append(docs, doc{true, res.Title.ID, ch}, doc{false, res.Title.ID, t})
			return err
		})
	if err != nil {
		b.Fatal(err)
	}
	titles := len(docs) / 2
	for b.Loop() {
	}

	plainMedia, plainChanges, _ := benchCosmos(b)
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan doc)
	for range *benchWriters {
		wg.Go(func() {
			for d := range next {
				c := plainMedia
				if d.toChanges {
					c = plainChanges
				}
				if _, err := c.UpsertItem(b.Context(), azcosmos.NewPartitionKeyString(d.pk), d.body, &azcosmos.ItemOptions{EnableContentResponseOnWrite: false}); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for _, d := range docs {
		next <- d
	}
	close(next)
	wg.Wait()
	plain := float64(titles) / time.Since(start).Seconds()

	media, changes, maint := benchCosmos(b)
	files := newMemFiles()
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: *benchWriters, Reindex: &memQueue{},
		Manifests: newMemManifests()},
		cosmos.NewStore(media, cosmos.NewOutsideWrites(maint)), cosmos.NewChanges(changes), files, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	etag := files.put(drop, "bench/catalogue.csv", body)
	start = time.Now()
	res, err := p.Run(b.Context(), pipeline.File{Name: "bench/catalogue.csv", ETag: etag}, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	if res.Report.Writes.Created != titles {
		b.Fatalf("pipeline created %d titles, want %d", res.Report.Writes.Created, titles)
	}
	piped := float64(titles) / time.Since(start).Seconds()
	b.ReportMetric(plain, "plain-titles/s")
	b.ReportMetric(piped, "pipeline-titles/s")
	b.ReportMetric(piped/plain, "ratio")
}
