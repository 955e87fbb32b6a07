package dashboard

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apptest"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/devhost"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/stacktest"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// required reports whether a missing service or tool must fail the test
// rather than skip it: in CI and under make test (as shared/observability).
func required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("MEDIASPECS_REQUIRE_STACK") == "1"
}

// waitLimit bounds every wait for something asynchronous. It guards against
// a hang; it is not an assertion about speed.
const waitLimit = 120 * time.Second

// panelFunctions are the functions the load run exercises, copied from
// functions/ into the test's app root with their queues renamed.
var panelFunctions = []string{"Search", "Suggest", "GetMedia", "HealthLive", "IngestSupplierFile", "ReindexMedia", "NightlyMaintenance"}

// TestEveryPanelReturnsSeries runs the real handler under devhost against
// the local stack (resources unique to the test), drives every flow the
// dashboards show (a supplier drop through ingestion and reindex, the
// nightly job, searches, suggestions and detail reads with a real token),
// lets a real Prometheus (the cached build of infra/local/observability)
// scrape the handler every second with the repository's rule files loaded,
// then runs every query of every committed dashboard, template variables
// substituted, and fails for each one that returns no series.
func TestEveryPanelReturnsSeries(t *testing.T) {
	if testing.Short() && !required() {
		t.Skip("-short and CI is not true: the panel test needs the stack and builds Prometheus")
	}
	for _, svc := range []stacktest.Service{stacktest.Azurite, stacktest.Cosmos, stacktest.Elasticsearch, stacktest.Keycloak} {
		stacktest.Require(t, svc)
	}
	start := time.Now()
	phase := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }
	phase("Prometheus binary ready: " + apptest.PrometheusBinary(t))

	run := setUpApp(t)
	phase("handler built and running under devhost")
	prom := apptest.StartPrometheus(t, apptest.PrometheusConfig{Targets: []string{run.metricsAddr}, ScrapeInterval: "1s", ReadyWithin: waitLimit})
	phase("Prometheus ready")

	run.load(t)
	phase("load run done")
	// Every flow has been recorded by the handler; wait until Prometheus has
	// scraped that state at least twice (rate() needs two samples).
	prom.WaitFor(t, `count(mediaspecs_job_last_success_timestamp_seconds) and count(mediaspecs_index_drift) and count(mediaspecs_ingest_rows_total)`, waitLimit)
	time.Sleep(3 * time.Second)
	phase("scraped")

	vars := map[string]string{
		VarFunction:       ".+",
		VarIngestQueue:    run.ingestQueue,
		VarReindexQueue:   run.reindexQueue,
		"__rate_interval": "1m",
	}
	total, empty := 0, 0
	for _, name := range FileNames() {
		body, err := os.ReadFile(filepath.Join(committedDir(t), name))
		if err != nil {
			t.Fatal(err)
		}
		queries, _ := queriesOf(t, name, body)
		for _, q := range queries {
			total++
			expr := substitute(q.expr, vars)
			n, err := prom.Series(expr)
			switch {
			case err != nil:
				empty++
				t.Errorf("%s / %q / %s: %v\n  %s", q.dashboard, q.panel, q.refID, err, expr)
			case n == 0:
				empty++
				t.Errorf("%s / %q / %s: no series\n  %s", q.dashboard, q.panel, q.refID, expr)
			}
		}
	}
	t.Logf("%d panel queries, %d without series", total, empty)
	if total == 0 {
		t.Fatal("no panel queries found")
	}
}

// substitute replaces $name and ${name} with vars[name], longest names first
// so $reindex_queue is not read as $reindex followed by _queue.
func substitute(expr string, vars map[string]string) string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	for i := range names { // a few names: a simple sort by length, longest first
		for j := i + 1; j < len(names); j++ {
			if len(names[j]) > len(names[i]) {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	for _, k := range names {
		expr = strings.ReplaceAll(expr, "${"+k+"}", vars[k])
		expr = strings.ReplaceAll(expr, "$"+k, vars[k])
	}
	return expr
}

func TestSubstitute(t *testing.T) {
	got := substitute(`rate(x{queue=~"$reindex_queue|${reindex_queue}-poison",function=~"$function"}[$__rate_interval])`,
		map[string]string{"reindex_queue": "r1", "function": ".+", "__rate_interval": "1m"})
	if want := `rate(x{queue=~"r1|r1-poison",function=~".+"}[1m])`; got != want {
		t.Errorf("substitute = %s, want %s", got, want)
	}
}

// appRun is the handler under devhost with its own resources.
type appRun struct {
	base         string // devhost, http://127.0.0.1:<port>
	metricsAddr  string // the handler's METRICS_LISTEN_ADDR
	ingestQueue  string
	reindexQueue string
	upload       func(t *testing.T, name string, body []byte)
	token        string
}

func setUpApp(t *testing.T) *appRun {
	t.Helper()
	ctx := t.Context()
	run := &appRun{metricsAddr: apptest.FreeAddr(t)}

	blobs, drop := stacktest.BlobContainer(t)
	_, reports := stacktest.BlobContainer(t)
	_, maintReports := stacktest.BlobContainer(t)
	run.upload = func(t *testing.T, name string, body []byte) {
		t.Helper()
		if _, err := blobs.UploadBuffer(t.Context(), drop, name, body, nil); err != nil {
			t.Fatalf("uploading %s: %v", name, err)
		}
	}
	db := stacktest.CosmosDatabase(t)
	for _, props := range []azcosmos.ContainerProperties{
		cosmos.MediaContainerProperties("media"), cosmos.ChangesContainerProperties("changes"),
		cosmos.MediaContainerProperties("leases"), // leases: partition key /id, as mediactl provision makes it
	} {
		if _, err := db.CreateContainer(ctx, props, nil); err != nil {
			t.Fatalf("creating %s: %v", props.ID, err)
		}
	}
	dbProps, err := db.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ingestQ, reindexQ := stacktest.Queue(t), stacktest.Queue(t)
	run.ingestQueue, run.reindexQueue = apptest.QueueName(ingestQ), apptest.QueueName(reindexQ)
	qs := stacktest.QueueService(t)
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = qs.DeleteQueue(cctx, run.ingestQueue+"-poison", nil)
		_, _ = qs.DeleteQueue(cctx, run.reindexQueue+"-poison", nil)
	})
	es := stacktest.ElasticsearchClient(t)
	prefix := stacktest.IndexName(t, es)
	admin := &search.Admin{ES: es, Prefix: prefix, ReadAlias: prefix + "-read", WriteAlias: prefix + "-write"}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if res, err := es.Indices.DeleteIndexTemplate(search.TemplateName+"-"+prefix, es.Indices.DeleteIndexTemplate.WithContext(cctx)); err == nil {
			_ = res.Body.Close()
		}
	})
	if _, err := admin.Bootstrap(ctx, time.Now()); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}

	// An app root with the functions the load exercises, queues named by settings.
	app := apptest.Root(t, nil, panelFunctions...)
	settingsFile := filepath.Join(app, "local.settings.json")
	apptest.WriteSettings(t, settingsFile, map[string]string{
		"COSMOS_CA_FILE": stacktest.CosmosCAFile(), "COSMOS_DATABASE": dbProps.DatabaseProperties.ID,
		"COSMOS_CONTAINER": "media", "CHANGES_CONTAINER": "changes", "MAINTENANCE_LEASE_CONTAINER": "leases",
		"SUPPLIER_CONTAINER": drop, "REPORTS_CONTAINER": reports, "MAINTENANCE_REPORTS_CONTAINER": maintReports,
		"INGEST_QUEUE": run.ingestQueue, "REINDEX_QUEUE": run.reindexQueue, "MAINTENANCE_QUEUE": run.ingestQueue + "-m",
		"SEARCH_INDEX_PREFIX": prefix, "SEARCH_READ_ALIAS": admin.ReadAlias, "SEARCH_WRITE_ALIAS": admin.WriteAlias,
		"LOG_LEVEL": "warn",
	})
	logw := apptest.NewLog(t)
	host := apptest.StartHost(t, devhost.Config{
		Root: app, SettingsFile: settingsFile, Handler: apptest.BuildHandler(t, t.TempDir()), Addr: "127.0.0.1:0",
		Env:         append(os.Environ(), telemetry.MetricsListenAddrEnv+"="+run.metricsAddr),
		EventGrid:   devhost.EventGridConfig{StateFile: filepath.Join(t.TempDir(), "eventgrid.json"), Interval: 200 * time.Millisecond},
		Logger:      slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Stdout:      logw,
		Stderr:      logw,
		StopTimeout: 10 * time.Second,
	}, waitLimit)
	run.base = "http://" + host.Addr()
	run.token = stacktest.UserToken(t, "subscriber").AccessToken
	return run
}

// load drives every flow once or a few times: bounded in count, a few
// seconds in all.
func (r *appRun) load(t *testing.T) {
	t.Helper()
	opts := gen.Options{Seed: 7, Titles: 40}
	var csv bytes.Buffer
	if _, err := gen.WriteCSV(&csv, opts, ';', "windows-1252"); err != nil {
		t.Fatal(err)
	}
	// One good file and one broken one: accepted and rejected rows.
	r.upload(t, "acme/catalogue.csv", csv.Bytes())
	r.upload(t, "acme/broken.json", []byte(`[{"id": "x1", "name": "Broken`))
	titles := gen.Generate(opts)
	firstID := catalog.StableID("acme", titles[0].Key)
	// Ingestion then reindex: the first title becomes readable and searchable.
	r.waitHTTP(t, "/api/media/"+url.PathEscape(firstID), http.StatusOK)
	r.waitMetric(t, "mediaspecs_index_last_write_timestamp_seconds")

	// The nightly job (rebuild with alias swap, drift, retention); the admin
	// API answers 202 at once, so wait for its outcome in the metrics.
	req, _ := http.NewRequest(http.MethodPost, r.base+"/admin/functions/NightlyMaintenance", strings.NewReader(`{"input": ""}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /admin/functions/NightlyMaintenance = %d", res.StatusCode)
	}
	r.waitMetric(t, `mediaspecs_job_runs_total{job_name="`+NightlyJob+`",outcome="succeeded"}`)

	// Reads: searches, suggestions, detail reads (and one unknown id, a 404).
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				title := titles[(w*15+i)%len(titles)]
				word := strings.Fields(title.Name)[0]
				for _, path := range []string{
					"/api/search?q=" + url.QueryEscape(word),
					"/api/suggest?q=" + url.QueryEscape(word[:min(3, len(word))]),
					"/api/media/" + url.PathEscape(catalog.StableID("acme", title.Key)),
					"/api/health/live",
				} {
					r.get(path)
				}
			}
		}(w)
	}
	wg.Wait()
	r.get("/api/media/does-not-exist")
}

func (r *appRun) get(path string) int {
	req, _ := http.NewRequest(http.MethodGet, r.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

func (r *appRun) waitHTTP(t *testing.T, path string, want int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	var got int
	for time.Now().Before(deadline) {
		if got = r.get(path); got == want {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("GET %s = %d after %s, want %d", path, got, waitLimit, want)
}

// waitMetric waits until the handler's own /metrics has a sample line
// starting with prefix.
func (r *appRun) waitMetric(t *testing.T, prefix string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + r.metricsAddr + "/metrics"); err == nil {
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			for _, l := range strings.Split(string(body), "\n") {
				if strings.HasPrefix(l, prefix) {
					return
				}
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("the handler's metrics have no %s after %s", prefix, waitLimit)
}
