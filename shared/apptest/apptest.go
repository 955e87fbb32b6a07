// Package apptest runs the function app the way production runs it, for
// tests: the real handler binary under devhost (the Functions host
// stand-in), in an app root holding the repository's host.json and a chosen
// set of functions, with local.settings.sample.json plus per-test overrides;
// and a real Prometheus from the local stack's cache scraping it.
//
// The tests of several packages (pipeline, cmd/handler, dashboard, drill,
// alertdrill) share it so the way an app is started is written once.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/mediaspecs/catalogue/shared/devhost"
)

// RepoRoot is the repository root (the folder of go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// FreeAddr returns a loopback address with a port free at the time of the call.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// QueueName is the name of the queue q addresses.
func QueueName(q *azqueue.QueueClient) string {
	u := strings.TrimSuffix(q.URL(), "/")
	return u[strings.LastIndex(u, "/")+1:]
}

// CopyFile copies from to to (creating folders), through edit when not nil.
func CopyFile(t testing.TB, from, to string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		b = edit(b)
	}
	WriteFile(t, to, b)
}

// WriteFile writes b to path, creating its folder.
func WriteFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// QueuesFromSettings points the trigger and output queues of the app's
// function.json files at the INGEST_QUEUE, REINDEX_QUEUE and
// MAINTENANCE_QUEUE settings, so each test has queues of its own.
func QueuesFromSettings(b []byte) []byte {
	for name, setting := range map[string]string{"ingest-events": "INGEST_QUEUE", "reindex": "REINDEX_QUEUE", "maintenance-requests": "MAINTENANCE_QUEUE"} {
		b = bytes.ReplaceAll(b, []byte(`"queueName": "`+name+`"`), []byte(`"queueName": "%`+setting+`%"`))
	}
	return b
}

// Root makes an app root in a temporary folder: the repository's host.json
// (through editHost when not nil) and the named functions' function.json,
// with their queues named by settings (QueuesFromSettings).
func Root(t testing.TB, editHost func([]byte) []byte, functions ...string) string {
	t.Helper()
	root, app := RepoRoot(), t.TempDir()
	CopyFile(t, filepath.Join(root, "host.json"), filepath.Join(app, "host.json"), editHost)
	for _, fn := range functions {
		CopyFile(t, filepath.Join(root, "functions", fn, "function.json"), filepath.Join(app, "functions", fn, "function.json"), QueuesFromSettings)
	}
	return app
}

// WriteSettings writes file: local.settings.sample.json with values
// overridden.
func WriteSettings(t testing.TB, file string, values map[string]string) {
	t.Helper()
	sample, err := os.ReadFile(filepath.Join(RepoRoot(), "local.settings.sample.json"))
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
	for k, v := range values {
		settings.Values[k] = v
	}
	raw, _ := json.Marshal(settings)
	WriteFile(t, file, raw)
}

// BuildHandler builds the handler binary (shared/cmd/handler) into dir and
// returns its path.
func BuildHandler(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "handler")
	cmd := exec.Command("go", "build", "-o", bin, "./shared/cmd/handler")
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./shared/cmd/handler: %v\n%s", err, out)
	}
	return bin
}

// Host is a running devhost.
type Host struct {
	*devhost.Host
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	t      testing.TB
}

// StartHost runs devhost with cfg until the test ends (or Stop), and waits
// up to readyWithin for it to be ready.
func StartHost(t testing.TB, cfg devhost.Config, readyWithin time.Duration) *Host {
	t.Helper()
	dh, err := devhost.New(cfg)
	if err != nil {
		t.Fatalf("devhost.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Host{Host: dh, cancel: cancel, done: make(chan error, 1), t: t}
	go func() { h.done <- dh.Run(ctx) }()
	t.Cleanup(h.Stop)
	select {
	case <-dh.Ready():
	case err := <-h.done:
		t.Fatalf("devhost stopped before ready: %v", err)
	case <-time.After(readyWithin):
		t.Fatalf("devhost not ready after %s", readyWithin)
	}
	return h
}

// URL is the base URL the host serves the app on.
func (h *Host) URL() string { return "http://" + h.Addr() }

// Stop stops devhost and its handler and waits for both (idempotent).
func (h *Host) Stop() {
	h.once.Do(func() {
		h.cancel()
		select {
		case err := <-h.done:
			if err != nil {
				h.t.Logf("devhost.Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			h.t.Error("devhost did not stop")
		}
	})
}

// Log writes what it gets to the test log until the test ends (a process
// may still write after that, which the testing package forbids).
type Log struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

// NewLog returns a Log for t, closed when t ends.
func NewLog(t testing.TB) *Log {
	l := &Log{t: t}
	t.Cleanup(func() { l.mu.Lock(); l.closed = true; l.mu.Unlock() })
	return l
}

func (l *Log) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.Log(strings.TrimSpace(string(b)))
	}
	return len(b), nil
}

var _ io.Writer = (*Log)(nil)
