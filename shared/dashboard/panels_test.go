package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

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
	root := repoRoot(t)
	start := time.Now()
	phase := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }
	promBin := prometheusBinary(t, root)
	phase("Prometheus binary ready: " + promBin)

	run := setUpApp(t, root)
	phase("handler built and running under devhost")
	prom := startPrometheus(t, root, promBin, run.metricsAddr)
	phase("Prometheus ready")

	run.load(t)
	phase("load run done")
	// Every flow has been recorded by the handler; wait until Prometheus has
	// scraped that state at least twice (rate() needs two samples).
	prom.waitFor(t, `count(mediaspecs_job_last_success_timestamp_seconds) and count(mediaspecs_index_drift) and count(mediaspecs_ingest_rows_total)`)
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
			n, err := prom.series(expr)
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

// prometheusBinary builds (first time only, minutes) or finds the cached
// Prometheus of infra/local/observability.
func prometheusBinary(t *testing.T, root string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "infra", "local", "observability"), "path", "prometheus")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		if required() {
			t.Fatalf("Prometheus could not be built (infra/local/observability path prometheus): %v", err)
		}
		t.Skipf("Prometheus could not be built: %v (skipped because CI is not true)", err)
	}
	return strings.TrimSpace(string(out))
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
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

func queueName(q *azqueue.QueueClient) string {
	u := strings.TrimSuffix(q.URL(), "/")
	return u[strings.LastIndex(u, "/")+1:]
}

func setUpApp(t *testing.T, root string) *appRun {
	t.Helper()
	ctx := t.Context()
	run := &appRun{metricsAddr: freeAddr(t)}

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
	run.ingestQueue, run.reindexQueue = queueName(ingestQ), queueName(reindexQ)
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
	app := t.TempDir()
	copyFile(t, filepath.Join(root, "host.json"), filepath.Join(app, "host.json"), nil)
	for _, fn := range panelFunctions {
		copyFile(t, filepath.Join(root, "functions", fn, "function.json"), filepath.Join(app, "functions", fn, "function.json"),
			func(b []byte) []byte {
				b = bytes.ReplaceAll(b, []byte(`"queueName": "ingest-events"`), []byte(`"queueName": "%INGEST_QUEUE%"`))
				return bytes.ReplaceAll(b, []byte(`"queueName": "reindex"`), []byte(`"queueName": "%REINDEX_QUEUE%"`))
			})
	}
	sample, err := os.ReadFile(filepath.Join(root, "local.settings.sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	var settings struct {
		IsEncrypted bool              `json:"IsEncrypted"`
		Values      map[string]string `json:"Values"`
	}
	if err := json.Unmarshal(sample, &settings); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"COSMOS_CA_FILE": stacktest.CosmosCAFile(), "COSMOS_DATABASE": dbProps.DatabaseProperties.ID,
		"COSMOS_CONTAINER": "media", "CHANGES_CONTAINER": "changes", "MAINTENANCE_LEASE_CONTAINER": "leases",
		"SUPPLIER_CONTAINER": drop, "REPORTS_CONTAINER": reports, "MAINTENANCE_REPORTS_CONTAINER": maintReports,
		"INGEST_QUEUE": run.ingestQueue, "REINDEX_QUEUE": run.reindexQueue, "MAINTENANCE_QUEUE": run.ingestQueue + "-m",
		"SEARCH_INDEX_PREFIX": prefix, "SEARCH_READ_ALIAS": admin.ReadAlias, "SEARCH_WRITE_ALIAS": admin.WriteAlias,
		"LOG_LEVEL": "warn",
	} {
		settings.Values[k] = v
	}
	raw, _ := json.Marshal(settings)
	settingsFile := filepath.Join(app, "local.settings.json")
	if err := os.WriteFile(settingsFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(t.TempDir(), "handler")
	build := exec.Command("go", "build", "-o", bin, "./shared/cmd/handler")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./shared/cmd/handler: %v\n%s", err, out)
	}
	logw := &testLog{t: t}
	host, err := devhost.New(devhost.Config{
		Root: app, SettingsFile: settingsFile, Handler: bin, Addr: "127.0.0.1:0",
		Env:         append(os.Environ(), telemetry.MetricsListenAddrEnv+"="+run.metricsAddr),
		EventGrid:   devhost.EventGridConfig{StateFile: filepath.Join(t.TempDir(), "eventgrid.json"), Interval: 200 * time.Millisecond},
		Logger:      slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Stdout:      logw,
		Stderr:      logw,
		StopTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("devhost.New: %v", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- host.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("devhost.Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("devhost did not stop")
		}
		logw.close()
	})
	select {
	case <-host.Ready():
	case err := <-done:
		t.Fatalf("devhost stopped before ready: %v", err)
	case <-time.After(waitLimit):
		t.Fatal("devhost not ready")
	}
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

// promRun is a Prometheus process started by the test.
type promRun struct {
	base string
}

func startPrometheus(t *testing.T, root, bin, target string) *promRun {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(root, "infra", "local", "observability.d", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("@METRICS_TARGET@", target,
		"@RULES_DIR@", filepath.Join(root, "infra", "observability", "rules"),
		"@SCRAPE_INTERVAL@", "1s").Replace(string(tmpl))
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	logw := &testLog{t: t}
	cmd := exec.Command(bin, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logw, logw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logw.close()
	})
	p := &promRun{base: "http://" + addr}
	deadline := time.Now().Add(waitLimit)
	for {
		if res, err := http.Get(p.base + "/-/ready"); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-exited:
			t.Fatal("Prometheus exited while starting (its log is above)")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus not ready after %s", waitLimit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// series runs an instant query and returns how many series (or 1 for a
// scalar) it returned.
func (p *promRun) series(expr string) (int, error) {
	res, err := http.PostForm(p.base+"/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var out struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return 0, fmt.Errorf("decoding the answer (%s): %w", res.Status, err)
	}
	if out.Status != "success" {
		return 0, fmt.Errorf("query failed: %s: %s", out.ErrorType, out.Error)
	}
	switch out.Data.ResultType {
	case "vector", "matrix":
		var s []json.RawMessage
		if err := json.Unmarshal(out.Data.Result, &s); err != nil {
			return 0, err
		}
		return len(s), nil
	default: // scalar, string
		return 1, nil
	}
}

// waitFor waits until expr returns a series.
func (p *promRun) waitFor(t *testing.T, expr string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if n, err := p.series(expr); err == nil && n > 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("Prometheus has no series for %s after %s", expr, waitLimit)
}

func copyFile(t *testing.T, from, to string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		b = edit(b)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// testLog forwards process output to t.Log until the test ends.
type testLog struct {
	mu     sync.Mutex
	t      *testing.T
	closed bool
}

func (l *testLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.Log(strings.TrimSpace(string(b)))
	}
	return len(b), nil
}

func (l *testLog) close() { l.mu.Lock(); l.closed = true; l.mu.Unlock() }
