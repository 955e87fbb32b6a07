//go:build drills

package alertdrill_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/mediaspecs/catalogue/shared/alertdrill"
	"github.com/mediaspecs/catalogue/shared/apptest"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/devhost"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/stacktest"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// The drill's operating point. The rates are open-loop (a request starts on
// every tick whether or not the previous ones have answered), modest enough
// for the shared 2-core machine.
const (
	scrapeInterval = "5s" // Prometheus scrape and rule evaluation
	searchPerSec   = 8
	detailPerSec   = 4
	maxInFlight    = 200              // beyond this the generator counts a request as not sent
	dropEvery      = 20 * time.Second // supplier drops keep arriving all along
	detectGoal     = 2 * time.Minute  // the goal, reported, not asserted
	// observeLimit bounds the watch of one drill: detection later than this
	// is reported as "not within the window". It guards the run time.
	observeLimit = 4 * time.Minute
	// afterCause is how long the watch goes on once the cause alert fires,
	// to see whether an SLO alert follows.
	afterCause = 20 * time.Second
	// waitLimit bounds set-up and recovery waits. A guard against a hang.
	waitLimit = 3 * time.Minute
)

// TestFaultDrills runs the four drills one after the other on one set-up and
// prints the results table for OPERATIONS.md (also written to $DRILL_OUT
// when set). It fails when a drill's fault cannot be injected, or when no
// cause-level alert fires within observeLimit; times are measured, not
// asserted.
func TestFaultDrills(t *testing.T) {
	for _, svc := range []stacktest.Service{stacktest.Azurite, stacktest.Cosmos, stacktest.Keycloak} {
		stacktest.Require(t, svc)
	}
	h := setUp(t)
	h.startLoad(t)
	h.phase("load running; warming up")
	time.Sleep(45 * time.Second) // rate() windows fill, every series exists

	// Order matters: the Elasticsearch outage leaves the search SLO burn
	// alerts firing (their 1 h windows remember it), so it runs last.
	drills := []drill{
		{
			id: "d", name: "poison message", cause: "PoisonMessagePresent",
			fault: "a message that fails every invocation dropped on the ingest queue (the Event Grid event of a file that is not a blob URL)",
			inject: func(t *testing.T) {
				ev := fmt.Sprintf(`{"id":"drill-poison","eventType":"Microsoft.Storage.BlobCreated","subject":"poison","eventTime":%q,"data":{"url":"not a blob url"}}`,
					time.Now().UTC().Format(time.RFC3339))
				if _, err := h.ingestQ.EnqueueMessage(t.Context(), base64.StdEncoding.EncodeToString([]byte(ev)), nil); err != nil {
					t.Fatalf("enqueueing the poison message: %v", err)
				}
			},
			recover: func(t *testing.T) {
				if _, err := h.queues.NewQueueClient(h.ingestQueue+"-poison").ClearMessages(t.Context(), nil); err != nil {
					t.Fatalf("clearing the poison queue: %v", err)
				}
			},
		},
		{
			id: "c", name: "reindex consumer stalled", cause: "QueueConsumerStalled",
			fault:  "the devhost polling the reindex queue stops (its handler with it) while a supplier file arrives every 20 s",
			inject: func(t *testing.T) { h.consumer.stop(t) },
			recover: func(t *testing.T) {
				h.consumer = h.startHost(t, "consumer", h.consumerRoot, h.consumerMetrics, false)
			},
		},
		{
			id: "b", name: "Cosmos DB throttling", cause: "CosmosThrottlingHigh",
			fault:  "the proxy in front of the Cosmos DB emulator answers 50 % of requests 429 (x-ms-retry-after-ms: 100)",
			inject: func(t *testing.T) { h.cosmosProxy.SetThrottle(0.5, 100*time.Millisecond) },
			recover: func(t *testing.T) {
				h.cosmosProxy.SetThrottle(0, 0)
				fwd, thr := h.cosmosProxy.Counts()
				h.phase(fmt.Sprintf("Cosmos proxy so far: %d forwarded, %d throttled", fwd, thr))
			},
		},
		{
			id: "a", name: "Elasticsearch down", cause: "ElasticsearchUnavailable",
			fault: "the handler's Elasticsearch node is stopped (SIGTERM, process gone)",
			inject: func(t *testing.T) {
				if err := h.esNode.Stop(t.Context()); err != nil {
					t.Fatalf("stopping the Elasticsearch node: %v", err)
				}
			},
			recover: func(t *testing.T) {
				if err := h.esNode.Start(t.Context()); err != nil {
					t.Fatalf("restarting the Elasticsearch node: %v\n%s", err, h.esNode.Log())
				}
			},
		},
	}
	var results []result
	for _, d := range drills {
		r := h.run(t, d)
		results = append(results, r)
		h.phase(r.line())
	}
	table := h.table(results)
	t.Log("\n" + table)
	if out := os.Getenv("DRILL_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}
	for _, r := range results {
		if r.causeAt < 0 {
			t.Errorf("drill (%s) %s: %s did not fire within %s", r.id, r.name, r.cause, observeLimit)
		}
	}
}

// drill is one injected fault.
type drill struct {
	id, name string
	cause    string // the cause-level alert expected to name the fault
	fault    string // what is done, for the table
	inject   func(t *testing.T)
	recover  func(t *testing.T)
}

// result is what one drill measured; durations are from the injection, -1
// when it did not happen in the watch window.
type result struct {
	drill
	readyAt      time.Duration // readiness first answered other than 200
	readyBody    string        // its answer then
	causeAt      time.Duration // the cause alert first seen firing
	firing       []firing      // every alert that started firing in the window, in order
	sloFirst     string        // an SLO alert that fired before the cause alert
	load         map[string]map[int]int
	recoveredIn  time.Duration // readiness 200 and the cause alert resolved again
	stillFiring  []string      // alerts still firing when the next drill started
	windowLength time.Duration
}

type firing struct {
	name string
	at   time.Duration
	slo  bool
}

func secs(d time.Duration) string {
	if d < 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

func (r result) line() string {
	var fired []string
	for _, f := range r.firing {
		fired = append(fired, fmt.Sprintf("%s@%s", f.name, secs(f.at)))
	}
	return fmt.Sprintf("drill (%s) %s: readiness %s, %s %s, fired [%s], load %v, recovered in %s",
		r.id, r.name, secs(r.readyAt), r.cause, secs(r.causeAt), strings.Join(fired, ", "), r.load, secs(r.recoveredIn))
}

// harness is the running system under drill.
type harness struct {
	start                time.Time
	root                 string
	logDir               string
	handlerBin           string
	settingsFile         string
	mainRoot             string
	consumerRoot         string
	mainMetrics          string
	consumerMetrics      string
	main, consumer       *hostRun
	base                 string
	prom                 string
	esNode               *stacktest.ElasticsearchNode
	cosmosProxy          *alertdrill.ThrottlingProxy
	queues               *azqueue.ServiceClient
	ingestQ              *azqueue.QueueClient
	ingestQueue          string
	reindexQueue         string
	upload               func(name string, body []byte) error
	searchPaths, idPaths []string
	token                atomic.Pointer[string]
	tokenAt              time.Time
	tokenFor             func() string
	loadMu               sync.Mutex
	loadCounts           map[string]map[int]int
	inFlight             atomic.Int64
	drops                atomic.Int64
	dropErrors           atomic.Int64
}

func (h *harness) phase(what string) {
	fmt.Fprintf(os.Stderr, "%7.1fs %s\n", time.Since(h.start).Seconds(), what)
}

func setUp(t *testing.T) *harness {
	h := &harness{start: time.Now(), root: apptest.RepoRoot(), loadCounts: map[string]map[int]int{}}
	ctx := t.Context()
	var err error
	if h.logDir, err = os.MkdirTemp("", "mediaspecs-drills-"); err != nil {
		t.Fatal(err)
	}
	h.phase("process logs in " + h.logDir)
	// Registered first, so it runs last: the logs stay, the bulk goes.
	t.Cleanup(func() {
		_ = os.Remove(filepath.Join(h.logDir, "handler"))
		_ = os.RemoveAll(filepath.Join(h.logDir, "prometheus-data"))
	})

	// The Elasticsearch node starts while the handler builds: both take a while.
	var wg sync.WaitGroup
	var nodeErr, buildErr error
	var buildOut []byte
	h.handlerBin = filepath.Join(h.logDir, "handler")
	wg.Add(2)
	go func() {
		defer wg.Done()
		nctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		h.esNode, nodeErr = stacktest.StartElasticsearchNode(nctx)
	}()
	go func() {
		defer wg.Done()
		build := exec.Command("go", "build", "-o", h.handlerBin, "./shared/cmd/handler")
		build.Dir = h.root
		buildOut, buildErr = build.CombinedOutput()
	}()
	wg.Wait()
	if h.esNode != nil {
		t.Cleanup(func() {
			cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := h.esNode.Remove(cctx); err != nil {
				t.Errorf("removing the Elasticsearch node: %v", err)
			}
		})
	}
	if nodeErr != nil {
		t.Fatalf("starting the drill's Elasticsearch node: %v", nodeErr)
	}
	if buildErr != nil {
		t.Fatalf("go build ./shared/cmd/handler: %v\n%s", buildErr, buildOut)
	}
	h.phase("Elasticsearch node " + h.esNode.URL + " up, handler built")

	es, err := h.esNode.Client()
	if err != nil {
		t.Fatal(err)
	}
	admin := &search.Admin{ES: es, Prefix: "media", ReadAlias: "media-read", WriteAlias: "media-write"}
	if _, err := admin.Bootstrap(ctx, time.Now()); err != nil {
		t.Fatalf("Bootstrap on the drill node: %v", err)
	}

	// Cosmos DB behind the throttling proxy, which presents the emulator's
	// own certificate (COSMOS_CA_FILE trusts exactly that one).
	db := stacktest.CosmosDatabase(t)
	for _, props := range []azcosmos.ContainerProperties{
		cosmos.MediaContainerProperties("media"), cosmos.ChangesContainerProperties("changes"),
		cosmos.MediaContainerProperties("leases"),
	} {
		if _, err := db.CreateContainer(ctx, props, nil); err != nil {
			t.Fatalf("creating %s: %v", props.ID, err)
		}
	}
	dbProps, err := db.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.cosmosProxy = startCosmosProxy(t, h.root)

	blobs, drop := stacktest.BlobContainer(t)
	_, reports := stacktest.BlobContainer(t)
	h.upload = func(name string, body []byte) error {
		uctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := blobs.UploadBuffer(uctx, drop, name, body, nil)
		return err
	}
	h.ingestQ = stacktest.Queue(t)
	reindexQ := stacktest.Queue(t)
	h.ingestQueue, h.reindexQueue = apptest.QueueName(h.ingestQ), apptest.QueueName(reindexQ)
	h.queues = stacktest.QueueService(t)
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = h.queues.DeleteQueue(cctx, h.ingestQueue+"-poison", nil)
		_, _ = h.queues.DeleteQueue(cctx, h.reindexQueue+"-poison", nil)
	})

	// Two app roots on one settings file: the main host serves HTTP and
	// ingestion, the consumer host only ReindexMedia, so drill (c) can stop
	// the reindex queue's consumer alone.
	h.mainRoot = apptest.Root(t, nil, "Search", "GetMedia", "Health", "HealthLive", "IngestSupplierFile")
	h.consumerRoot = apptest.Root(t, nil, "ReindexMedia")
	h.settingsFile = filepath.Join(h.logDir, "local.settings.json")
	apptest.WriteSettings(t, h.settingsFile, map[string]string{
		"COSMOS_ENDPOINT": h.cosmosProxyURL(), "COSMOS_CA_FILE": stacktest.CosmosCAFile(),
		"COSMOS_DATABASE": dbProps.DatabaseProperties.ID, "COSMOS_CONTAINER": "media", "CHANGES_CONTAINER": "changes",
		"MAINTENANCE_LEASE_CONTAINER": "leases", "SUPPLIER_CONTAINER": drop, "REPORTS_CONTAINER": reports,
		"MAINTENANCE_REPORTS_CONTAINER": reports, "INGEST_QUEUE": h.ingestQueue, "REINDEX_QUEUE": h.reindexQueue,
		"MAINTENANCE_QUEUE": h.ingestQueue + "-m", "ELASTICSEARCH_URL": h.esNode.URL,
		"SEARCH_INDEX_PREFIX": admin.Prefix, "SEARCH_READ_ALIAS": admin.ReadAlias, "SEARCH_WRITE_ALIAS": admin.WriteAlias,
		"LOG_LEVEL": "warn",
	})
	h.mainMetrics, h.consumerMetrics = apptest.FreeAddr(t), apptest.FreeAddr(t)
	h.main = h.startHost(t, "main", h.mainRoot, h.mainMetrics, true)
	h.consumer = h.startHost(t, "consumer", h.consumerRoot, h.consumerMetrics, false)
	t.Cleanup(func() { h.consumer.stop(t); h.main.stop(t) })
	h.base = "http://" + h.main.host.Addr()
	h.phase("handler running under two devhosts (main " + h.base + ", reindex consumer)")

	h.tokenFor = func() string { return stacktest.UserToken(t, "subscriber").AccessToken }
	h.refreshToken(true)

	// A catalogue to read: one supplier file through the real pipeline.
	opts := gen.Options{Seed: 7, Titles: 60}
	var csv bytes.Buffer
	if _, err := gen.WriteCSV(&csv, opts, ';', "windows-1252"); err != nil {
		t.Fatal(err)
	}
	if err := h.upload("acme/catalogue.csv", csv.Bytes()); err != nil {
		t.Fatal(err)
	}
	for _, title := range gen.Generate(opts) {
		h.idPaths = append(h.idPaths, "/api/media/"+url.PathEscape(catalog.StableID("acme", title.Key)))
		h.searchPaths = append(h.searchPaths, "/api/search?q="+url.QueryEscape(strings.Fields(title.Name)[0]))
	}
	h.waitStatus(t, h.idPaths[0], http.StatusOK)
	h.waitStatus(t, h.searchPaths[len(h.searchPaths)-1], http.StatusOK)
	// Every Cosmos DB request must go through the proxy, or drill (b)
	// throttles nothing (the SDK follows the account's endpoints).
	before, _ := h.cosmosProxy.Counts()
	for _, p := range h.idPaths[:10] {
		h.waitStatus(t, p, http.StatusOK)
	}
	// Not one each: a read may be served without Cosmos DB (the first id
	// was just read); a bypassing client makes none at all.
	if after, _ := h.cosmosProxy.Counts(); after < before+5 {
		t.Fatalf("10 detail reads made %d requests through the Cosmos DB proxy, want 5 or more: the handler bypasses it", after-before)
	}
	h.phase("catalogue ingested; Cosmos DB requests go through the throttling proxy")

	promLog, err := os.Create(filepath.Join(h.logDir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = promLog.Close() })
	h.prom = apptest.StartPrometheus(t, apptest.PrometheusConfig{Targets: []string{h.mainMetrics, h.consumerMetrics},
		ScrapeInterval: scrapeInterval, Dir: h.logDir, Log: promLog, ReadyWithin: waitLimit}).URL
	h.phase("Prometheus " + h.prom + " scraping both handlers every " + scrapeInterval)
	return h
}

// cosmosProxyAddr is set by startCosmosProxy.
var cosmosProxyAddr string

func (h *harness) cosmosProxyURL() string { return "https://" + cosmosProxyAddr + "/" }

// startCosmosProxy serves a ThrottlingProxy over TLS with the emulator's
// certificate, in front of the emulator named by the sample settings.
func startCosmosProxy(t *testing.T, root string) *alertdrill.ThrottlingProxy {
	sample, err := os.ReadFile(filepath.Join(root, "local.settings.sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	var settings struct {
		Values map[string]string `json:"Values"`
	}
	if err := json.Unmarshal(sample, &settings); err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(settings.Values["COSMOS_ENDPOINT"])
	if err != nil {
		t.Fatal(err)
	}
	transport, err := cosmos.TrustingTransport(stacktest.CosmosCAFile())
	if err != nil {
		t.Fatal(err)
	}
	proxy := alertdrill.NewThrottlingProxy(target, transport)
	cert, err := tls.LoadX509KeyPair(stacktest.CosmosCAFile(), filepath.Join(filepath.Dir(stacktest.CosmosCAFile()), "cosmos-key.pem"))
	if err != nil {
		t.Fatalf("the emulator's key pair: %v", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	cosmosProxyAddr = ln.Addr().String()
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return proxy
}

// hostRun is one devhost with its handler.
type hostRun struct {
	host   *devhost.Host
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

func (h *harness) startHost(t *testing.T, name, app, metricsAddr string, eventGrid bool) *hostRun {
	logf, err := os.OpenFile(filepath.Join(h.logDir, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	eg := devhost.EventGridConfig{StateFile: filepath.Join(h.logDir, name+"-eventgrid.json"), Interval: time.Second}
	if !eventGrid {
		eg.Container = "drill-no-such-container" // the main host announces the drops, once
	}
	host, err := devhost.New(devhost.Config{
		Root: app, SettingsFile: h.settingsFile, Handler: h.handlerBin, Addr: "127.0.0.1:0",
		Env:         append(os.Environ(), telemetry.MetricsListenAddrEnv+"="+metricsAddr),
		EventGrid:   eg,
		Logger:      slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Stdout:      logf,
		Stderr:      logf,
		StopTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("devhost.New (%s): %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &hostRun{host: host, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- host.Run(ctx); _ = logf.Close() }()
	select {
	case <-host.Ready():
	case err := <-r.done:
		t.Fatalf("devhost %s stopped before ready: %v (log %s)", name, err, logf.Name())
	case <-time.After(waitLimit):
		t.Fatalf("devhost %s not ready", name)
	}
	return r
}

// stop stops the devhost and its handler and waits for both (idempotent).
func (r *hostRun) stop(t *testing.T) {
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Logf("devhost.Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("devhost did not stop")
		}
	})
}

func (h *harness) refreshToken(force bool) {
	if !force && time.Since(h.tokenAt) < 2*time.Minute { // Keycloak tokens live 5 minutes
		return
	}
	tok := h.tokenFor()
	h.token.Store(&tok)
	h.tokenAt = time.Now()
}

var client = &http.Client{Timeout: 10 * time.Second}

func (h *harness) get(path string) int {
	req, _ := http.NewRequest(http.MethodGet, h.base+path, nil)
	if tok := h.token.Load(); tok != nil {
		req.Header.Set("Authorization", "Bearer "+*tok)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

func (h *harness) waitStatus(t *testing.T, path string, want int) {
	deadline := time.Now().Add(waitLimit)
	var got int
	for time.Now().Before(deadline) {
		if got = h.get(path); got == want {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("GET %s = %d after %s, want %d", path, got, waitLimit, want)
}

// startLoad starts the open-loop search and detail load and the supplier
// drops; they run until the test ends.
func (h *harness) startLoad(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, l := range []struct {
		route string
		rate  int
		paths []string
	}{{"search", searchPerSec, h.searchPaths}, {"detail", detailPerSec, h.idPaths}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Second / time.Duration(l.rate))
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if h.inFlight.Load() >= maxInFlight {
					h.count(l.route, -1)
					continue
				}
				h.inFlight.Add(1)
				wg.Add(1)
				go func(path string) {
					defer wg.Done()
					defer h.inFlight.Add(-1)
					h.count(l.route, h.get(path))
				}(l.paths[i%len(l.paths)])
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(dropEvery)
		defer tick.Stop()
		for i := 1; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var csv bytes.Buffer
			if _, err := gen.WriteCSV(&csv, gen.Options{Seed: int64(1000 + i), Titles: 5, KeyPrefix: fmt.Sprintf("D%04d-", i)}, ';', "windows-1252"); err != nil {
				h.dropErrors.Add(1)
				continue
			}
			if err := h.upload(fmt.Sprintf("acme/drop-%04d.csv", i), csv.Bytes()); err != nil {
				h.dropErrors.Add(1)
				continue
			}
			h.drops.Add(1)
		}
	}()
}

// count records one answer: its status, 0 for a transport error or
// timeout, -1 for a request not sent because maxInFlight were open.
func (h *harness) count(route string, status int) {
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	if h.loadCounts[route] == nil {
		h.loadCounts[route] = map[int]int{}
	}
	h.loadCounts[route][status]++
}

func (h *harness) loadSnapshot() map[string]map[int]int {
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	out := map[string]map[int]int{}
	for r, m := range h.loadCounts {
		out[r] = map[int]int{}
		for s, n := range m {
			out[r][s] = n
		}
	}
	return out
}

func loadDiff(after, before map[string]map[int]int) map[string]map[int]int {
	out := map[string]map[int]int{}
	for r, m := range after {
		out[r] = map[int]int{}
		for s, n := range m {
			if d := n - before[r][s]; d > 0 {
				out[r][s] = d
			}
		}
	}
	return out
}

// ready returns the readiness route's status and body.
func (h *harness) ready() (int, string) {
	res, err := client.Get(h.base + "/api/health")
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 2000))
	return res.StatusCode, strings.TrimSpace(string(b))
}

// alertState is one alert of Prometheus's /api/v1/alerts.
type alertState struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

func (h *harness) alerts() ([]alertState, error) {
	res, err := client.Get(h.prom + "/api/v1/alerts")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out struct {
		Status string `json:"status"`
		Data   struct {
			Alerts []alertState `json:"alerts"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, err
	}
	return out.Data.Alerts, nil
}

// firingNow returns the names of the firing alerts, and which are SLO alerts.
func (h *harness) firingNow() (map[string]bool, error) {
	as, err := h.alerts()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, a := range as {
		if a.State == "firing" {
			out[a.Labels["alertname"]] = a.Labels["slo"] != ""
		}
	}
	return out, nil
}

// run injects d's fault, watches readiness and the alerts every second
// until the cause alert has fired (and afterCause more) or observeLimit,
// then recovers and waits until readiness and the cause alert are clear.
func (h *harness) run(t *testing.T, d drill) result {
	r := result{drill: d, readyAt: -1, causeAt: -1, recoveredIn: -1}
	before, err := h.firingNow()
	if err != nil {
		t.Fatalf("reading the alerts: %v", err)
	}
	for name := range before {
		r.stillFiring = append(r.stillFiring, name)
	}
	slices.Sort(r.stillFiring)
	loadBefore := h.loadSnapshot()
	h.phase(fmt.Sprintf("drill (%s) %s: injecting; already firing: %v", d.id, d.name, r.stillFiring))
	t0 := time.Now()
	d.inject(t)
	seen := map[string]bool{}
	for name := range before {
		seen[name] = true
	}
	for {
		h.refreshToken(false)
		since := time.Since(t0)
		if code, body := h.ready(); code != http.StatusOK && r.readyAt < 0 {
			r.readyAt, r.readyBody = since, fmt.Sprintf("%d %s", code, body)
		}
		if now, err := h.firingNow(); err == nil {
			var names []string
			for name := range now {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				if seen[name] {
					continue
				}
				seen[name] = true
				r.firing = append(r.firing, firing{name: name, at: since, slo: now[name]})
				if name == d.cause {
					r.causeAt = since
				} else if now[name] && r.causeAt < 0 && r.sloFirst == "" {
					r.sloFirst = name
				}
			}
		}
		if (r.causeAt >= 0 && since >= r.causeAt+afterCause) || since >= observeLimit {
			break
		}
		time.Sleep(time.Second)
	}
	r.windowLength = time.Since(t0)
	r.load = loadDiff(h.loadSnapshot(), loadBefore)

	h.phase(fmt.Sprintf("drill (%s): recovering", d.id))
	t1 := time.Now()
	d.recover(t)
	for time.Since(t1) < waitLimit {
		h.refreshToken(false)
		code, _ := h.ready()
		now, err := h.firingNow()
		if code == http.StatusOK && err == nil && !now[d.cause] {
			if _, still := now[d.cause]; !still {
				r.recoveredIn = time.Since(t1)
				break
			}
		}
		time.Sleep(time.Second)
	}
	if r.recoveredIn < 0 {
		t.Errorf("drill (%s): not recovered %s after the fault was removed", d.id, waitLimit)
	}
	return r
}

// table renders the results as the Markdown table of OPERATIONS.md.
func (h *harness) table(results []result) string {
	var b strings.Builder
	host, _ := os.Hostname()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&b, "Run %s on %s (%d vCPU, load average before the drills: %s), Go %s; scrape and rule evaluation every %s; load %d searches/s + %d detail reads/s open-loop; a supplier file every %s.\n\n",
		h.start.UTC().Format("2006-01-02 15:04 UTC"), host, runtime.NumCPU(), strings.Join(strings.Fields(string(load))[:3], " "),
		runtime.Version(), scrapeInterval, searchPerSec, detailPerSec, dropEvery)
	b.WriteString("| Drill | Fault | Readiness reflects it | Cause alert | Fires after | Within 2 min | SLO alert before it | Every alert that fired (s after injection) | Load during the watch (status: count) | Clear again after recovery |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		ready := "not affected (" + secs(r.windowLength) + " watched)"
		if r.readyAt >= 0 {
			ready = secs(r.readyAt) + ": `" + truncate(r.readyBody, 120) + "`"
		}
		within := "no"
		if r.causeAt >= 0 && r.causeAt <= detectGoal {
			within = "yes"
		}
		slo := "no"
		if r.sloFirst != "" {
			slo = "**yes: " + r.sloFirst + "**"
		}
		var fired []string
		for _, f := range r.firing {
			name := f.name
			if f.slo {
				name += " (SLO)"
			}
			fired = append(fired, fmt.Sprintf("%s %.0f", name, f.at.Seconds()))
		}
		var load []string
		for _, route := range []string{"search", "detail"} {
			var codes []int
			for c := range r.load[route] {
				codes = append(codes, c)
			}
			slices.Sort(codes)
			var parts []string
			for _, c := range codes {
				parts = append(parts, fmt.Sprintf("%d: %d", c, r.load[route][c]))
			}
			load = append(load, route+" "+strings.Join(parts, ", "))
		}
		fmt.Fprintf(&b, "| (%s) %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.id, r.name, r.fault, ready, r.cause, secs(r.causeAt), within, slo,
			strings.Join(fired, "; "), strings.Join(load, "; "), secs(r.recoveredIn))
	}
	fmt.Fprintf(&b, "\nSupplier drops during the run: %d (%d failed uploads).\n", h.drops.Load(), h.dropErrors.Load())
	return b.String()
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
