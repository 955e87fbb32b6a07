package drill_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2/queueerror"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/apptest"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/devhost"
	"github.com/mediaspecs/catalogue/shared/funcdef"
	"github.com/mediaspecs/catalogue/shared/maintenance"
	"github.com/mediaspecs/catalogue/shared/reindex"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// waitLimit bounds every wait for something asynchronous. It guards against
// a hang; it is not an assertion about speed.
const waitLimit = 2 * time.Minute

// faultNode is the Elasticsearch node of this test binary, started on first
// use and removed by TestMain.
var faultNode struct {
	once sync.Once
	node *stacktest.ElasticsearchNode
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if n := faultNode.node; n != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := n.Remove(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "drill: removing the Elasticsearch node:", err)
			code = max(code, 1)
		}
		cancel()
	}
	os.Exit(code)
}

// elasticsearchNode returns the package's own node, running. A test that
// stops it gets it restarted when it ends, whatever its outcome.
func elasticsearchNode(t *testing.T) *stacktest.ElasticsearchNode {
	t.Helper()
	stacktest.Require(t, stacktest.Elasticsearch) // the node runs the stack's installation
	faultNode.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		faultNode.node, faultNode.err = stacktest.StartElasticsearchNode(ctx)
	})
	if faultNode.err != nil {
		t.Fatalf("starting the drill's Elasticsearch node: %v", faultNode.err)
	}
	n := faultNode.node
	t.Cleanup(func() {
		if !n.Running() {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			if err := n.Start(ctx); err != nil {
				t.Errorf("restarting the drill's Elasticsearch node: %v", err)
			}
		}
	})
	return n
}

// TestElasticsearchOutage stops Elasticsearch while both of its writers are
// at work, as an outage during the night would: the nightly rebuild is half
// way through its bulk load, and ReindexMedia keeps receiving messages for
// titles that change in Cosmos meanwhile. One outage serves both drills
// because starting the node costs about 20 s on this machine.
//
//   - Incremental indexing: every message is retried by the host and lands
//     in the poison queue after exactly maxDequeueCount (5) tries, none is
//     lost; once Elasticsearch is back, the drift repair brings every title
//     in Cosmos into the index with its current hash (0 missing, 0 stale).
//   - Rebuild: it fails with an Unavailable error naming the load; once
//     Elasticsearch is back both aliases still point at the old index, which
//     answers searches with its full count; the unfinished index sits behind
//     no alias and the next rebuild removes it, then succeeds.
//
// A rebuild cancelled midway is drilled in shared/maintenance
// (TestFailedOrCancelledRebuildKeepsTheOldIndexServing).
func TestElasticsearchOutage(t *testing.T) {
	stacktest.Require(t, stacktest.Azurite)
	stacktest.Require(t, stacktest.Cosmos)
	ctx := t.Context()
	began := time.Now()
	phase := func(name string) { t.Logf("%6.1fs %s", time.Since(began).Seconds(), name) }

	// The node starts while the handler builds: both take a while.
	binDir := t.TempDir()
	var bin string
	var buildErr error
	var build sync.WaitGroup
	build.Go(func() { bin, buildErr = buildHandler(binDir) })
	node := elasticsearchNode(t)
	build.Wait()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	phase("node up, handler built")

	d := newDrill(t, node)
	const seeded = 200
	d.seed(t, seeded)
	serving, err := d.rebuilder(d.store).Rebuild(ctx, began.Add(-2*time.Hour))
	if err != nil {
		t.Fatalf("first rebuild: %v", err)
	}
	if serving.Indexed != seeded {
		t.Fatalf("first rebuild indexed %d, want %d", serving.Indexed, seeded)
	}
	host := d.startHost(t, bin)
	phase("serving index loaded, devhost running")

	// Control: with Elasticsearch up, a message is indexed on its first try,
	// so what follows fails because of the outage and nothing else.
	control := d.title(t, seeded-1)
	control.Name += " (control)"
	d.upsert(t, control)
	controlMsg := d.send(t, control.ID)
	host.waitFor(t, "the control message to succeed", func() bool {
		inv := host.invocations(controlMsg)
		return len(inv) == 1 && inv[0].Outcome == "succeeded"
	})
	if err := d.admin.Refresh(ctx, d.admin.WriteAlias); err != nil {
		t.Fatal(err)
	}
	if h := d.indexHashes(t)[control.ID]; h != control.ContentHash {
		t.Fatalf("control title indexed with hash %q, want %q", h, control.ContentHash)
	}
	phase("control message indexed")

	// The rebuild starts and stops half way through its load, at the gate.
	gate := &gatedScan{inner: d.store, after: seeded / 2, reached: make(chan struct{}), release: make(chan struct{})}
	failed := make(chan error, 1)
	var unfinished string
	go func() {
		rep, err := d.rebuilder(gate).Rebuild(context.WithoutCancel(ctx), began.Add(-time.Hour))
		unfinished = rep.Index
		failed <- err
	}()
	select {
	case <-gate.reached:
	case err := <-failed:
		t.Fatalf("the rebuild ended before its load reached the gate: %v", err)
	case <-time.After(waitLimit):
		t.Fatal("the rebuild did not reach the gate")
	}

	stopped := time.Now()
	if err := node.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	phase("Elasticsearch stopped (SIGTERM, every process exited)")
	close(gate.release)
	var rebuildErr error
	select {
	case rebuildErr = <-failed:
	case <-time.After(waitLimit):
		t.Fatal("the rebuild did not end after Elasticsearch stopped")
	}
	if rebuildErr == nil {
		t.Fatal("the rebuild succeeded with Elasticsearch stopped")
	}
	if !errors.Is(rebuildErr, apperr.Unavailable) || !strings.Contains(rebuildErr.Error(), "loading "+unfinished) {
		t.Errorf("rebuild error = %v; want an Unavailable error that names the load of %s", rebuildErr, unfinished)
	}
	t.Logf("the failed rebuild said: %v", rebuildErr)

	// Titles change in Cosmos during the outage; their reindex messages fail.
	var renamed, closed, added []string
	for i := range 10 {
		tt := d.title(t, i)
		tt.Name += " (renommé)"
		d.upsert(t, tt)
		renamed = append(renamed, tt.ID)
	}
	for i := 10; i < 13; i++ {
		tt := d.title(t, i)
		tt.Status = catalog.StatusClosed
		d.upsert(t, tt)
		closed = append(closed, tt.ID)
	}
	for i := 1000; i < 1007; i++ {
		tt := newTitle(i)
		d.upsert(t, tt)
		added = append(added, tt.ID)
	}
	sent := map[string]string{} // message id → body
	for _, ids := range [][]string{renamed[:5], renamed[5:], closed, added} {
		id := d.send(t, ids...)
		sent[id] = d.lastBody
	}
	var poisoned []string
	host.waitFor(t, "every message in the poison queue", func() bool {
		poisoned = d.peek(t, d.poison)
		return len(poisoned) >= len(sent)
	})
	phase("all messages poisoned")

	for id := range sent {
		inv := host.invocations(id)
		var counts []int64
		for _, i := range inv {
			counts = append(counts, i.DequeueCount)
			if i.Outcome != "failed" {
				t.Errorf("message %s: an invocation %s during the outage", id, i.Outcome)
			}
		}
		if !slices.Equal(counts, []int64{1, 2, 3, 4, 5}) {
			t.Errorf("message %s was invoked with dequeue counts %v, want 1 to 5 (host.json maxDequeueCount 5)", id, counts)
		}
	}
	var wantBodies []string
	for _, b := range sent {
		wantBodies = append(wantBodies, b)
	}
	slices.Sort(wantBodies)
	slices.Sort(poisoned)
	if !slices.Equal(poisoned, wantBodies) {
		t.Errorf("poison queue holds %q, want exactly the messages sent %q", poisoned, wantBodies)
	}
	if left := d.peek(t, d.queue); len(left) != 0 {
		t.Errorf("the reindex queue still holds %q", left)
	}

	if err := node.Start(ctx); err != nil {
		t.Fatal(err)
	}
	phase(fmt.Sprintf("Elasticsearch back after an outage of %s", time.Since(stopped).Round(time.Second)))

	// The old index kept both aliases and answers with its full count.
	for _, alias := range []string{d.admin.ReadAlias, d.admin.WriteAlias} {
		if got, err := d.admin.AliasTargets(ctx, alias); err != nil || !slices.Equal(got, []string{serving.Index}) {
			t.Errorf("after the failed rebuild %s → %v (%v), want the old %s", alias, got, err, serving.Index)
		}
	}
	if n, err := d.admin.Count(ctx, d.admin.ReadAlias); err != nil || n != seeded {
		t.Errorf("read alias counts %d (%v), want the old index's %d", n, err, seeded)
	}
	searcher := &search.Searcher{ES: d.admin.ES, Index: d.admin.ReadAlias}
	res, err := searcher.Search(ctx, search.Query{Text: "Titre 150"})
	if err != nil || !slices.ContainsFunc(res.Hits, func(h search.Hit) bool { return h.Doc.ID == d.id(150) }) {
		t.Errorf("searching the old index for Titre 150: %+v, %v", res, err)
	}
	// Elasticsearch was down when the rebuild tried to delete its index, so
	// it is still there; it must be behind no alias.
	all, err := d.admin.Indices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(all, unfinished) {
		t.Errorf("indices after the outage = %v; the unfinished %s should still be there (its delete ran while Elasticsearch was down)", all, unfinished)
	}

	// The drift repair finds what the poisoned messages would have written.
	drift := &maintenance.Drift{Admin: d.admin, Titles: d.store, Repair: d.indexer}
	rep, err := drift.CheckAndRepair(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Missing != len(added) || rep.Stale != len(renamed) || rep.Extra != len(closed) || rep.Repaired != len(added)+len(renamed)+len(closed) {
		t.Errorf("drift = %+v, want %d missing, %d stale, %d extra, all repaired", rep, len(added), len(renamed), len(closed))
	}
	if err := d.admin.Refresh(ctx, d.admin.WriteAlias); err != nil {
		t.Fatal(err)
	}
	want := d.cosmosHashes(t)
	have := d.indexHashes(t)
	missing, stale := 0, 0
	for id, h := range want {
		switch got, ok := have[id]; {
		case !ok:
			missing++
		case got != h:
			stale++
		}
	}
	if missing != 0 || stale != 0 || len(have) != len(want) {
		t.Errorf("after the repair: %d missing, %d stale, index %d vs Cosmos %d active titles", missing, stale, len(have), len(want))
	}
	phase("drift repaired")

	// The next rebuild removes the leftover and succeeds.
	next, err := d.rebuilder(d.store).Rebuild(ctx, began)
	if err != nil {
		t.Fatalf("the rebuild after the outage: %v", err)
	}
	if !slices.Equal(next.Unfinished, []string{unfinished}) {
		t.Errorf("the next rebuild removed %v, want the unfinished %s", next.Unfinished, unfinished)
	}
	after, err := d.admin.Indices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(after, unfinished) || !slices.Contains(after, next.Index) {
		t.Errorf("indices after the next rebuild = %v: want %s gone and %s present", after, unfinished, next.Index)
	}
	if next.Indexed != int64(len(want)) {
		t.Errorf("the next rebuild indexed %d, want %d", next.Indexed, len(want))
	}
	phase("next rebuild done")
}

// drill is one scenario's data: a Cosmos container, queues, and an index
// family on the drill's node, all named for the test.
type drill struct {
	store         *cosmos.Store
	admin         *search.Admin
	indexer       *reindex.Indexer
	node          *stacktest.ElasticsearchNode
	queue, poison *azqueue.QueueClient
	dbName        string
	lastBody      string
	log           *slog.Logger
}

func newDrill(t *testing.T, node *stacktest.ElasticsearchNode) *drill {
	t.Helper()
	db := stacktest.CosmosDatabase(t)
	if _, err := db.CreateContainer(t.Context(), cosmos.MediaContainerProperties("media"), nil); err != nil {
		t.Fatal(err)
	}
	container, err := db.NewContainer("media")
	if err != nil {
		t.Fatal(err)
	}
	es, err := search.NewClient(config.Elasticsearch{URL: node.URL})
	if err != nil {
		t.Fatal(err)
	}
	prefix := stacktest.Name(t)
	admin := &search.Admin{ES: es, Prefix: prefix, ReadAlias: prefix + "-read", WriteAlias: prefix + "-write"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	queue := stacktest.Queue(t)
	poison := stacktest.QueueService(t).NewQueueClient(apptest.QueueName(queue) + "-poison")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = poison.Delete(ctx, nil)
	})
	store := cosmos.NewStore(container, nil)
	return &drill{store: store, admin: admin, node: node, queue: queue, poison: poison, log: log,
		dbName:  db.ID(),
		indexer: &reindex.Indexer{ES: es, Alias: admin.WriteAlias, Titles: store, Logger: log}}
}

func (d *drill) rebuilder(scan maintenance.Scanner) *maintenance.Rebuilder {
	return &maintenance.Rebuilder{Admin: d.admin, Titles: scan, Catchup: d.indexer, Logger: d.log, Keep: 3}
}

func (d *drill) id(i int) string { return catalog.StableID("drill", fmt.Sprint(i)) }

func newTitle(i int) *catalog.Title {
	return &catalog.Title{ID: catalog.StableID("drill", fmt.Sprint(i)), Name: fmt.Sprintf("Titre %d", i), Status: catalog.StatusActive,
		MediaType: catalog.MediaPrint, SubType: catalog.SubMagazine, UpdatedAt: time.Now().UTC()}
}

func (d *drill) seed(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		d.upsert(t, newTitle(i))
	}
}

func (d *drill) upsert(t *testing.T, tt *catalog.Title) {
	t.Helper()
	tt.ContentHash = tt.Hash()
	if _, err := d.store.Upsert(t.Context(), tt); err != nil {
		t.Fatal(err)
	}
}

func (d *drill) title(t *testing.T, i int) *catalog.Title {
	t.Helper()
	tt, _, err := d.store.Get(t.Context(), d.id(i))
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

// send enqueues a reindex message as the pipeline writes it (a JSON object,
// base64 per host.json messageEncoding) and returns its message id.
func (d *drill) send(t *testing.T, ids ...string) string {
	t.Helper()
	body, _ := json.Marshal(reindex.Message{IDs: ids})
	d.lastBody = string(body)
	res, err := d.queue.EnqueueMessage(t.Context(), base64.StdEncoding.EncodeToString(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	return *res.Messages[0].MessageID
}

// peek returns the decoded bodies of up to 32 visible messages.
func (d *drill) peek(t *testing.T, q *azqueue.QueueClient) []string {
	t.Helper()
	res, err := q.PeekMessages(t.Context(), &azqueue.PeekMessagesOptions{NumberOfMessages: to.Ptr[int32](32)})
	if queueerror.HasCode(err, queueerror.QueueNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range res.Messages {
		b, err := base64.StdEncoding.DecodeString(*m.MessageText)
		if err != nil {
			t.Fatalf("queue message %q is not base64: %v", *m.MessageText, err)
		}
		out = append(out, string(b))
	}
	return out
}

// cosmosHashes is what the index must hold: active titles and their hashes.
func (d *drill) cosmosHashes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := d.store.Scan(t.Context(), 0, func(tt *catalog.Title) error {
		if tt.Status == catalog.StatusActive {
			out[tt.ID] = tt.ContentHash
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func (d *drill) indexHashes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := d.admin.Hashes(t.Context(), d.admin.ReadAlias, func(id, h string) { out[id] = h }); err != nil {
		t.Fatal(err)
	}
	return out
}

// gatedScan passes titles through until after of them have gone, then
// signals reached and holds the scan until release is closed.
type gatedScan struct {
	inner   maintenance.Scanner
	after   int
	reached chan struct{}
	release chan struct{}
}

func (g *gatedScan) Scan(ctx context.Context, since int64, fn func(*catalog.Title) error) error {
	n := 0
	return g.inner.Scan(ctx, since, func(tt *catalog.Title) error {
		if n++; n == g.after+1 {
			close(g.reached)
			select {
			case <-g.release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return fn(tt)
	})
}

// host is devhost running the real handler binary with only ReindexMedia,
// fed by the drill's queue.
type host struct {
	mu    sync.Mutex
	byMsg map[string][]invocation
	lines []string
}

// invocation is one devhost "invocation" log line of ReindexMedia.
type invocation struct {
	MessageID    string `json:"message_id"`
	DequeueCount int64  `json:"dequeue_count"`
	Outcome      string `json:"outcome"`
	Error        string `json:"error"`
}

// Write takes devhost's JSON log lines (one record per call) and the
// handler's output.
func (h *host) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimSpace(string(p)), "\n") {
		h.lines = append(h.lines, line)
		var rec struct {
			Msg      string `json:"msg"`
			Function string `json:"function"`
			invocation
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "invocation" && rec.Function == "ReindexMedia" {
			h.byMsg[rec.MessageID] = append(h.byMsg[rec.MessageID], rec.invocation)
		}
	}
	return len(p), nil
}

func (h *host) invocations(messageID string) []invocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.byMsg[messageID])
}

func (h *host) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			h.mu.Lock()
			tail := h.lines[max(0, len(h.lines)-40):]
			h.mu.Unlock()
			t.Fatalf("timed out waiting for %s; devhost and handler said:\n%s", what, strings.Join(tail, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startHost runs devhost with an app root holding the repository's host.json
// and ReindexMedia's function.json, pointed at the drill's queue, Cosmos
// container and node. Only the queue timings change: visibilityTimeout and
// maxPollingInterval of 1 s instead of 30 s and 2 s, so five tries take
// seconds; maxDequeueCount stays the repository's (checked to be 5).
func (d *drill) startHost(t *testing.T, bin string) *host {
	t.Helper()
	repo := filepath.Join("..", "..")
	app, err := funcdef.Load(repo, filepath.Join(repo, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	if app.Host.Extensions.Queues.MaxDequeueCount != 5 {
		t.Fatalf("host.json maxDequeueCount = %d; this drill expects 5", app.Host.Extensions.Queues.MaxDequeueCount)
	}
	// The repository's host.json with only the queue timings shortened.
	root := apptest.Root(t, func(b []byte) []byte {
		var hostJSON map[string]any
		if err := json.Unmarshal(b, &hostJSON); err != nil {
			t.Fatal(err)
		}
		queues := hostJSON["extensions"].(map[string]any)["queues"].(map[string]any)
		queues["visibilityTimeout"] = "00:00:01"
		queues["maxPollingInterval"] = "00:00:01"
		out, _ := json.Marshal(hostJSON)
		return out
	}, "ReindexMedia")
	overrides := map[string]string{
		"COSMOS_CA_FILE": stacktest.CosmosCAFile(), "COSMOS_DATABASE": d.dbName, "COSMOS_CONTAINER": "media",
		"ELASTICSEARCH_URL": d.node.URL, "SEARCH_INDEX_PREFIX": d.admin.Prefix,
		"SEARCH_READ_ALIAS": d.admin.ReadAlias, "SEARCH_WRITE_ALIAS": d.admin.WriteAlias,
		"REINDEX_QUEUE": apptest.QueueName(d.queue), "LOG_LEVEL": "warn",
	}
	settingsFile := filepath.Join(root, "local.settings.json")
	apptest.WriteSettings(t, settingsFile, overrides)
	// The environment wins over local settings (as with func start), so
	// drop whatever of ours the test's environment happens to set.
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := overrides[k]; !ours {
			env = append(env, kv)
		}
	}

	h := &host{byMsg: map[string][]invocation{}}
	apptest.StartHost(t, devhost.Config{
		Root: root, SettingsFile: settingsFile, Handler: bin, Addr: "127.0.0.1:0", Env: env,
		EventGrid: devhost.EventGridConfig{Disabled: true},
		Logger:    slog.New(slog.NewJSONHandler(h, nil)),
		Stdout:    h, Stderr: h,
		StopTimeout: 10 * time.Second,
	}, waitLimit)
	return h
}

// buildHandler builds the real handler binary into dir.
func buildHandler(dir string) (string, error) {
	bin := filepath.Join(dir, "handler")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/mediaspecs/catalogue/shared/cmd/handler")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./shared/cmd/handler: %v\n%s", err, out)
	}
	return bin, nil
}
