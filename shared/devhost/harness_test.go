package devhost_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2/queueerror"

	"github.com/mediaspecs/catalogue/shared/devhost"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func TestMain(m *testing.M) {
	if os.Getenv("DEVHOST_TEST_HANDLER") == "1" {
		os.Exit(fakeHandler())
	}
	os.Exit(m.Run())
}

// waitTimeout bounds every wait for something devhost does asynchronously.
// It is a guard against a hang, not an assertion about speed.
const waitTimeout = 60 * time.Second

// harness is one devhost running a test app with the fake handler.
type harness struct {
	t      *testing.T
	host   *devhost.Host
	base   string // http://<addr>
	record string // the fake handler's record file
	work   *azqueue.QueueClient
	out    *azqueue.QueueClient
	pids   chan int
	cancel context.CancelFunc
	done   chan error
	log    *testWriter
}

// options configure a harness.
type options struct {
	app       string            // testdata/<app>; default "app"
	values    map[string]string // extra app settings
	env       map[string]string // extra environment (seen by the fake handler)
	eventGrid *devhost.EventGridConfig
	handler   string // handler executable; default this test binary
	httpOnly  bool
	root      string // app root override (real handler test)
	settings  string // settings file override
	noQueues  bool   // do not create WORK_QUEUE/OUT_QUEUE
}

// start runs devhost on an ephemeral port and waits until it is ready.
// Cleanup stops it and checks that Run returned nil.
func start(t *testing.T, o options) *harness {
	t.Helper()
	if o.app == "" {
		o.app = "app"
	}
	h := &harness{t: t, record: filepath.Join(t.TempDir(), "requests.jsonl"), pids: make(chan int, 16)}
	values := map[string]string{
		"FUNCTIONS_WORKER_RUNTIME": "custom",
		"AzureWebJobsStorage":      "UseDevelopmentStorage=true",
		"Storage":                  "UseDevelopmentStorage=true",
		"TICK_SCHEDULE":            "0 0 0 1 1 *",
	}
	if !o.noQueues {
		h.work = stacktest.Queue(t)
		h.out = stacktest.Queue(t)
		values["WORK_QUEUE"] = queueName(h.work)
		values["OUT_QUEUE"] = queueName(h.out)
		poison := stacktest.QueueService(t).NewQueueClient(queueName(h.work) + "-poison")
		t.Cleanup(func() { _, _ = poison.Delete(context.Background(), nil) })
	}
	maps.Copy(values, o.values)
	settingsFile := o.settings
	if settingsFile == "" {
		raw, err := json.Marshal(map[string]any{"IsEncrypted": false, "Values": values})
		if err != nil {
			t.Fatal(err)
		}
		settingsFile = filepath.Join(t.TempDir(), "local.settings.json")
		if err := os.WriteFile(settingsFile, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "DEVHOST_TEST_HANDLER=1", "DEVHOST_TEST_RECORD="+h.record)
	for k, v := range o.env {
		env = append(env, k+"="+v)
	}
	handler := o.handler
	if handler == "" {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		handler = exe
	}
	root := o.root
	if root == "" {
		root = filepath.Join("testdata", o.app)
	}
	eg := devhost.EventGridConfig{Disabled: true}
	if o.eventGrid != nil {
		eg = *o.eventGrid
	}
	logw := &testWriter{t: t}
	h.log = logw
	cfg := devhost.Config{
		Root:           root,
		SettingsFile:   settingsFile,
		Handler:        handler,
		Addr:           "127.0.0.1:0",
		Env:            env,
		HTTPOnly:       o.httpOnly,
		EventGrid:      eg,
		Logger:         slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Stdout:         logw,
		Stderr:         logw,
		StopTimeout:    10 * time.Second,
		OnHandlerReady: func(pid int) { h.pids <- pid },
	}
	host, err := devhost.New(cfg)
	if err != nil {
		t.Fatalf("devhost.New: %v", err)
	}
	h.host = host
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- host.Run(ctx) }()
	t.Cleanup(h.stop)
	select {
	case <-host.Ready():
	case err := <-h.done:
		t.Fatalf("devhost.Run returned before ready: %v", err)
	case <-time.After(waitTimeout):
		t.Fatal("devhost did not become ready")
	}
	h.base = "http://" + host.Addr()
	return h
}

// stop shuts devhost down and checks Run's result; it is idempotent.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("devhost.Run: %v", err)
		}
	case <-time.After(waitTimeout):
		h.t.Error("devhost did not stop")
	}
	h.log.close()
}

// records returns the requests the fake handler received so far.
func (h *harness) records() []record {
	h.t.Helper()
	f, err := os.Open(h.record)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	var out []record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			continue // a line being written
		}
		out = append(out, r)
	}
	return out
}

// recordsFor returns the records whose path is path.
func (h *harness) recordsFor(path string) []record {
	var out []record
	for _, r := range h.records() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// waitRecords waits until the fake handler has received at least n
// requests for path and returns them.
func (h *harness) waitRecords(path string, n int) []record {
	h.t.Helper()
	var got []record
	waitFor(h.t, func() bool {
		got = h.recordsFor(path)
		return len(got) >= n
	}, "%d requests to %s", n, path)
	return got
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for "+format, args...)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func queueName(q *azqueue.QueueClient) string {
	u := strings.TrimSuffix(q.URL(), "/")
	return u[strings.LastIndex(u, "/")+1:]
}

// enqueue adds text (already encoded) to q and returns the enqueue result.
func enqueueText(t *testing.T, q *azqueue.QueueClient, text string) *azqueue.EnqueueMessagesResponse {
	t.Helper()
	resp, err := q.EnqueueMessage(t.Context(), text, nil)
	if err != nil {
		t.Fatalf("EnqueueMessage: %v", err)
	}
	return &resp
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// drain dequeues and deletes every visible message of q, returning the texts.
func drain(t *testing.T, q *azqueue.QueueClient) []string {
	t.Helper()
	var texts []string
	for {
		resp, err := q.DequeueMessages(t.Context(), &azqueue.DequeueMessagesOptions{NumberOfMessages: to.Ptr(int32(32))})
		if err != nil {
			t.Fatalf("DequeueMessages: %v", err)
		}
		if len(resp.Messages) == 0 {
			return texts
		}
		for _, m := range resp.Messages {
			texts = append(texts, *m.MessageText)
			if _, err := q.DeleteMessage(t.Context(), *m.MessageID, *m.PopReceipt, nil); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
		}
	}
}

// peekAll returns the texts of up to 32 visible messages without
// dequeuing them; a queue that does not exist (yet) is empty.
func peekAll(t *testing.T, q *azqueue.QueueClient) []string {
	t.Helper()
	resp, err := q.PeekMessages(t.Context(), &azqueue.PeekMessagesOptions{NumberOfMessages: to.Ptr(int32(32))})
	if queueerror.HasCode(err, queueerror.QueueNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("PeekMessages: %v", err)
	}
	var out []string
	for _, m := range resp.Messages {
		out = append(out, *m.MessageText)
	}
	return out
}

// testWriter sends devhost's log and the handler's output to t.Log, line
// by line, until closed (t.Log must not be called after the test ends).
type testWriter struct {
	t      *testing.T
	mu     sync.Mutex
	buf    bytes.Buffer
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return len(p), nil
	}
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.t.Log(strings.TrimRight(line, "\n"))
	}
}

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}
