package pipeline_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/mediaspecs/catalogue/shared/apptest"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/devhost"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
	"github.com/mediaspecs/catalogue/shared/pipeline"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// e2e is one run of the real handler under devhost against Azurite and
// cosmosdb-server, with unique resource names.
type e2e struct {
	blobs             *azblob.Client
	drop, reports     string
	media, changes    *azcosmos.ContainerClient
	maintenance       *azcosmos.ContainerClient
	ingestQ, reindexQ *azqueue.QueueClient
}

// TestEndToEndThroughDevhost drops generated files into Azurite and lets the
// Event Grid stand-in, devhost and the real handler binary ingest them.
func TestEndToEndThroughDevhost(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs the local stack; skipped with -short, which make test and CI never pass")
	}
	stacktest.Require(t, stacktest.Azurite)
	stacktest.Require(t, stacktest.Cosmos)
	env := setUpE2E(t)
	ctx := t.Context()

	// Each file delivers its own titles (key prefixes differ within a
	// supplier), so every count below is exact.
	csvOpts := gen.Options{Seed: 11, Titles: 150}
	feedOpts := gen.Options{Seed: 12, Titles: 100}
	xlsxOpts := gen.Options{Seed: 13, Titles: 60, KeyPrefix: "X"}
	xmlOpts := gen.Options{Seed: 14, Titles: 60, KeyPrefix: "M"}
	var csvBody, feedBody, xlsxBody, xmlBody bytes.Buffer
	if _, err := gen.WriteCSV(&csvBody, csvOpts, ';', "windows-1252"); err != nil {
		t.Fatal(err)
	}
	if _, err := gen.WriteJSON(&feedBody, feedOpts, true); err != nil {
		t.Fatal(err)
	}
	if _, err := gen.WriteXLSX(&xlsxBody, xlsxOpts); err != nil {
		t.Fatal(err)
	}
	if _, err := gen.WriteXML(&xmlBody, xmlOpts); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"acme/catalogue.csv":        csvBody.Bytes(),
		"sample-feed/titles.ndjson": feedBody.Bytes(),
		"acme/catalogue.xlsx":       xlsxBody.Bytes(),
		"sample-feed/titles.xml":    xmlBody.Bytes(),
		"acme/broken.json":          []byte(`[{"id": "x1", "name": "Broken`),
	}
	titlesOf := map[string]int{"acme/catalogue.csv": csvOpts.Titles, "sample-feed/titles.ndjson": feedOpts.Titles,
		"acme/catalogue.xlsx": xlsxOpts.Titles, "sample-feed/titles.xml": xmlOpts.Titles}
	etags := map[string]string{}
	for name, body := range files {
		etags[name] = env.upload(t, name, body)
	}
	for name, etag := range etags {
		env.waitReport(t, name, etag)
	}

	// Reports and verdicts.
	wantVerdict := map[string]string{"acme/catalogue.csv": "accepted", "sample-feed/titles.ndjson": "accepted",
		"acme/catalogue.xlsx": "accepted", "sample-feed/titles.xml": "accepted", "acme/broken.json": "rejected"}
	wantFormat := map[string]string{"acme/catalogue.csv": "csv", "sample-feed/titles.ndjson": "ndjson",
		"acme/catalogue.xlsx": "xlsx", "sample-feed/titles.xml": "xml"}
	for name, etag := range etags {
		rep := env.report(t, name, etag)
		if rep.Verdict != wantVerdict[name] {
			t.Errorf("%s: verdict %q (%s), want %q", name, rep.Verdict, rep.FileError, wantVerdict[name])
		}
		if n, ok := titlesOf[name]; ok && (rep.Format != wantFormat[name] || rep.Titles != n || rep.Writes.Created != n) {
			t.Errorf("%s: format %q, %d titles, writes %+v; want %s, %d titles all created", name, rep.Format, rep.Titles, rep.Writes, wantFormat[name], n)
		}
	}
	if !slices.Contains(env.list(t, env.reports), strings.TrimSuffix(pipeline.ReportName("acme/broken.json", etags["acme/broken.json"]), ".report.json")+".rejected.csv") {
		t.Errorf("no rejected-rows CSV for the broken file: %v", env.list(t, env.reports))
	}
	// Moved blobs.
	drop := env.list(t, env.drop)
	for _, want := range []string{"processed/acme/catalogue.csv", "processed/sample-feed/titles.ndjson",
		"processed/acme/catalogue.xlsx", "processed/sample-feed/titles.xml", "rejected/acme/broken.json"} {
		if !slices.Contains(drop, want) {
			t.Errorf("drop container lacks %s: %v", want, drop)
		}
	}
	for name := range files {
		if slices.Contains(drop, name) {
			t.Errorf("%s is still in the drop folder", name)
		}
	}
	// Documents in Cosmos: count and a sample field.
	wantIDs := map[string]bool{}
	for _, g := range gen.Generate(csvOpts) {
		wantIDs[catalog.StableID("acme", g.Key)] = true
	}
	for _, g := range gen.Generate(feedOpts) {
		wantIDs[catalog.StableID("sample-feed", g.Key)] = true
	}
	for _, g := range gen.Generate(xlsxOpts) {
		wantIDs[catalog.StableID("acme", g.Key)] = true
	}
	for _, g := range gen.Generate(xmlOpts) {
		wantIDs[catalog.StableID("sample-feed", g.Key)] = true
	}
	if got := countItems(t, env.media); got != len(wantIDs) {
		t.Errorf("media documents = %d, want %d", got, len(wantIDs))
	}
	sample := gen.Generate(csvOpts)[42]
	title, _, err := cosmos.NewStore(env.media, nil).Get(ctx, catalog.StableID("acme", sample.Key))
	if err != nil {
		t.Fatalf("reading a sample title: %v", err)
	}
	if title.Name != sample.Name || title.Provenance[catalog.BlockIdentity].Supplier != "acme" {
		t.Errorf("sample title: name %q supplier %q, want %q from acme", title.Name, title.Provenance[catalog.BlockIdentity].Supplier, sample.Name)
	}
	// A sample of the XLSX and of the XML file: name, provenance (file and
	// profile) and the ad products (one per row in the sheet, nested in XML).
	for _, s := range []struct {
		supplier, file, profile string
		title                   gen.Title
	}{
		{"acme", "catalogue.xlsx", "generic", gen.Generate(xlsxOpts)[17]},
		{"sample-feed", "titles.xml", "json-feed", gen.Generate(xmlOpts)[23]},
	} {
		got, _, err := cosmos.NewStore(env.media, nil).Get(ctx, catalog.StableID(s.supplier, s.title.Key))
		if err != nil {
			t.Fatalf("reading a title of %s: %v", s.file, err)
		}
		prov := got.Provenance[catalog.BlockIdentity]
		if got.Name != s.title.Name || prov.Supplier != s.supplier || prov.File != s.file || prov.Profile != s.profile {
			t.Errorf("%s sample: name %q, provenance %+v; want %q from %s/%s with %s", s.file, got.Name, prov, s.title.Name, s.supplier, s.file, s.profile)
		}
		if len(got.AdProducts) != len(s.title.Ads) {
			t.Errorf("%s sample: %d ad products, want %d", s.file, len(got.AdProducts), len(s.title.Ads))
		}
	}
	changes := countItems(t, env.changes)
	if changes != len(wantIDs) {
		t.Errorf("change records = %d, want %d", changes, len(wantIDs))
	}
	// Reindex messages: JSON objects of at most 48 KB carrying every id.
	got := env.drainReindex(t)
	for id := range wantIDs {
		if !got[id] {
			t.Errorf("id %s was never sent to reindex", id)
			break
		}
	}
	if len(got) != len(wantIDs) {
		t.Errorf("reindex ids = %d, want %d", len(got), len(wantIDs))
	}

	// Re-dropping the same file is a no-op: no write, nothing to reindex;
	// acme's ingest manifest (a blob in Azurite) and the outside writes log
	// (Cosmos) vouch for every title without a per-title read.
	etag := env.upload(t, "acme/catalogue.csv", csvBody.Bytes())
	env.waitReport(t, "acme/catalogue.csv", etag)
	rep := env.report(t, "acme/catalogue.csv", etag)
	if rep.Writes.Created+rep.Writes.Updated != 0 || rep.Writes.Unchanged != csvOpts.Titles {
		t.Errorf("re-drop writes = %+v, want %d unchanged and nothing written", rep.Writes, csvOpts.Titles)
	}
	// A supplier's manifest is its last completed file's: after the first
	// drops (acme's CSV and XLSX at once) it may not cover the CSV, which
	// the second drop then checked title by title. A third drop finds the
	// second's manifest.
	etag = env.upload(t, "acme/catalogue.csv", csvBody.Bytes())
	env.waitReport(t, "acme/catalogue.csv", etag)
	if rep := env.report(t, "acme/catalogue.csv", etag); rep.Writes.UnchangedByManifest != csvOpts.Titles {
		t.Errorf("third drop writes = %+v, want all %d unchanged by manifest", rep.Writes, csvOpts.Titles)
	}
	if got := countItems(t, env.changes); got != changes {
		t.Errorf("change records after the re-drop = %d, want still %d", got, changes)
	}
	env.waitQueueEmpty(t, env.ingestQ)
	if again := env.drainReindex(t); len(again) != 0 {
		t.Errorf("the re-drop sent %d ids to reindex, want none", len(again))
	}

	// A title edited outside ingestion (Store.Replace records it in the
	// outside writes log) is merged again on the next drop and restored;
	// the manifest still vouches for the others.
	store := cosmos.NewStore(env.media, cosmos.NewOutsideWrites(env.maintenance))
	editedID := catalog.StableID("acme", sample.Key)
	edited, etag, err := store.Get(ctx, editedID)
	if err != nil {
		t.Fatal(err)
	}
	edited.Name = "Edited outside ingestion"
	edited.ContentHash = edited.Hash()
	if _, err := store.Replace(ctx, edited, etag); err != nil {
		t.Fatal(err)
	}
	etag = env.upload(t, "acme/catalogue.csv", csvBody.Bytes())
	env.waitReport(t, "acme/catalogue.csv", etag)
	if rep := env.report(t, "acme/catalogue.csv", etag); rep.Writes.Updated != 1 || rep.Writes.UnchangedByManifest != csvOpts.Titles-1 {
		t.Errorf("drop after an outside edit: writes %+v, want 1 updated and %d unchanged by manifest", rep.Writes, csvOpts.Titles-1)
	}
	if got, _, err := store.Get(ctx, editedID); err != nil || got.Name != sample.Name {
		t.Errorf("after the drop the edited title is named %q (%v), want the delivered %q", got.Name, err, sample.Name)
	}
	env.waitQueueEmpty(t, env.ingestQ)
	if again := env.drainReindex(t); len(again) != 1 || !again[editedID] {
		t.Errorf("the drop after the edit sent %v to reindex, want just %s", again, editedID)
	}
}

func setUpE2E(t *testing.T) *e2e {
	t.Helper()
	ctx := t.Context()
	env := &e2e{}
	var err error
	env.blobs, env.drop = stacktest.BlobContainer(t)
	_, env.reports = stacktest.BlobContainer(t)
	if env.reports == env.drop {
		t.Fatal("stacktest.Name returned the same name twice")
	}
	db := stacktest.CosmosDatabase(t)
	for _, props := range []azcosmos.ContainerProperties{cosmos.MediaContainerProperties("media"), cosmos.ChangesContainerProperties("changes"),
		{ID: "maintenance", PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/id"}}}} {
		if _, err := db.CreateContainer(ctx, props, nil); err != nil {
			t.Fatalf("creating %s: %v", props.ID, err)
		}
	}
	if env.media, err = db.NewContainer("media"); err != nil {
		t.Fatal(err)
	}
	if env.changes, err = db.NewContainer("changes"); err != nil {
		t.Fatal(err)
	}
	if env.maintenance, err = db.NewContainer("maintenance"); err != nil {
		t.Fatal(err)
	}
	env.ingestQ = stacktest.Queue(t)
	env.reindexQ = stacktest.Queue(t)
	qs := stacktest.QueueService(t)
	ingestName, reindexName := apptest.QueueName(env.ingestQ), apptest.QueueName(env.reindexQ)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = qs.DeleteQueue(ctx, ingestName+"-poison", nil)
		_, _ = qs.DeleteQueue(ctx, reindexName+"-poison", nil)
	})

	// An app root with only this function, its queues named by settings.
	root := apptest.Root(t, nil, "IngestSupplierFile")
	dbProps, err := db.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	settingsFile := filepath.Join(root, "local.settings.json")
	apptest.WriteSettings(t, settingsFile, map[string]string{
		"COSMOS_CA_FILE": stacktest.CosmosCAFile(), "COSMOS_DATABASE": dbProps.DatabaseProperties.ID,
		"COSMOS_CONTAINER": "media", "CHANGES_CONTAINER": "changes", "MAINTENANCE_LEASE_CONTAINER": "maintenance",
		"SUPPLIER_CONTAINER": env.drop, "REPORTS_CONTAINER": env.reports,
		"INGEST_QUEUE": ingestName, "REINDEX_QUEUE": reindexName, "INGEST_WRITERS": "16",
	})
	logw := apptest.NewLog(t)
	apptest.StartHost(t, devhost.Config{
		Root: root, SettingsFile: settingsFile, Handler: apptest.BuildHandler(t, t.TempDir()), Addr: "127.0.0.1:0", Env: os.Environ(),
		EventGrid:   devhost.EventGridConfig{StateFile: filepath.Join(t.TempDir(), "eventgrid.json"), Interval: 200 * time.Millisecond},
		Logger:      slog.New(slog.NewTextHandler(logw, nil)),
		Stdout:      logw,
		Stderr:      logw,
		StopTimeout: 10 * time.Second,
	}, 60*time.Second)
	return env
}

func (e *e2e) upload(t *testing.T, name string, body []byte) string {
	t.Helper()
	res, err := e.blobs.UploadBuffer(t.Context(), e.drop, name, body, nil)
	if err != nil {
		t.Fatalf("uploading %s: %v", name, err)
	}
	return `"` + strings.Trim(string(*res.ETag), `"`) + `"`
}

func (e *e2e) waitReport(t *testing.T, name, etag string) {
	t.Helper()
	want := pipeline.ReportName(name, etag)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if slices.Contains(e.list(t, e.reports), want) {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("no report %s after 90 s; reports: %v; drop: %v", want, e.list(t, e.reports), e.list(t, e.drop))
}

type e2eReport struct {
	Verdict   string          `json:"verdict"`
	FileError string          `json:"fileError"`
	Format    string          `json:"format"`
	Titles    int             `json:"titles"`
	Writes    pipeline.Writes `json:"writes"`
}

func (e *e2e) report(t *testing.T, name, etag string) e2eReport {
	t.Helper()
	res, err := e.blobs.DownloadStream(t.Context(), e.reports, pipeline.ReportName(name, etag), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r e2eReport
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *e2e) list(t *testing.T, containerName string) []string {
	t.Helper()
	var out []string
	pager := e.blobs.NewListBlobsFlatPager(containerName, &container.ListBlobsFlatOptions{})
	for pager.More() {
		page, err := pager.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Segment.BlobItems {
			out = append(out, *b.Name)
		}
	}
	return out
}

// drainReindex reads every reindex message, checking each is base64 (the
// host.json messageEncoding the ReindexMedia trigger decodes) of a JSON
// object of at most 48 KB, and returns the ids they carry.
func (e *e2e) drainReindex(t *testing.T) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for {
		res, err := e.reindexQ.DequeueMessages(t.Context(), &azqueue.DequeueMessagesOptions{NumberOfMessages: to.Ptr[int32](32)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			return ids
		}
		for _, m := range res.Messages {
			text, err := base64.StdEncoding.DecodeString(*m.MessageText)
			if err != nil {
				t.Errorf("reindex message is not base64 (host.json messageEncoding): %v: %.200s", err, *m.MessageText)
				continue
			}
			if len(text) > pipeline.MaxMessageBytes {
				t.Errorf("reindex message of %d bytes, over %d", len(text), pipeline.MaxMessageBytes)
			}
			var msg pipeline.ReindexMessage
			if err := json.Unmarshal(text, &msg); err != nil {
				t.Errorf("reindex message is not a JSON object: %v: %.200s", err, text)
				continue
			}
			for _, id := range msg.IDs {
				ids[id] = true
			}
			if _, err := e.reindexQ.DeleteMessage(t.Context(), *m.MessageID, *m.PopReceipt, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func (e *e2e) waitQueueEmpty(t *testing.T, q *azqueue.QueueClient) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		p, err := q.GetProperties(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.ApproximateMessagesCount != nil && *p.ApproximateMessagesCount == 0 {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatal("the ingest queue did not empty")
}

func countItems(t *testing.T, c *azcosmos.ContainerClient) int {
	t.Helper()
	n := 0
	pager := c.NewQueryItemsPager("SELECT c.id FROM c", azcosmos.NewPartitionKey(), nil)
	for pager.More() {
		page, err := pager.NextPage(t.Context())
		if err != nil {
			t.Fatalf("counting items: %v", err)
		}
		n += len(page.Items)
	}
	return n
}
