package devhost_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// nextPID waits for the next handler-ready notification.
func (h *harness) nextPID(t *testing.T) int {
	t.Helper()
	select {
	case pid := <-h.pids:
		return pid
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for a handler to become ready")
		return 0
	}
}

// TestHandlerRestart proves that devhost restarts the handler when it
// exits: a request that makes the handler exit fails with 500, a new
// process becomes ready, and the next request reaches it.
func TestHandlerRestart(t *testing.T) {
	h := start(t, options{})
	first := h.nextPID(t)
	status, _, _ := call(t, "GET", h.base+"/api/echo/1", nil, map[string]string{"X-Test-Exit": "1"})
	if status != 500 {
		t.Errorf("status when the handler dies mid-request = %d, want 500", status)
	}
	second := h.nextPID(t)
	if second == first {
		t.Fatalf("restarted handler has the same pid %d", first)
	}
	status, hdr, body := call(t, "GET", h.base+"/api/echo/2", nil, nil)
	if status != 200 || hdr.Get("X-Fake-Pid") != strconv.Itoa(second) {
		t.Errorf("after restart: %d from pid %s (%s), want 200 from pid %d", status, hdr.Get("X-Fake-Pid"), body, second)
	}
}

// TestReadinessWaits proves that devhost waits for the handler: the fake
// handler sleeps before it even listens (connection refused meanwhile),
// yet devhost reports ready only after the handler's "listening" marker
// exists, and the first request succeeds.
func TestReadinessWaits(t *testing.T) {
	h := start(t, options{env: map[string]string{"DEVHOST_TEST_LISTEN_DELAY": "700ms"}})
	if n := len(h.recordsFor("(listening)")); n != 1 {
		t.Fatalf("ready before the handler listened: %d listening markers, want 1", n)
	}
	if status, _, body := call(t, "GET", h.base+"/api/echo/1", nil, nil); status != 200 {
		t.Errorf("first request = %d %s, want 200", status, body)
	}
}

// buildHandler builds the real handler binary (shared/cmd/handler) into dir.
func buildHandler(tb testing.TB, dir string) string {
	tb.Helper()
	out := filepath.Join(dir, "handler")
	cmd := exec.Command("go", "build", "-o", out, "github.com/mediaspecs/catalogue/shared/cmd/handler")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = os.Environ()
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./shared/cmd/handler: %v\n%s", err, b)
	}
	return out
}

// TestGracefulShutdown proves the shutdown order: when devhost is told to
// stop while a queue invocation is in flight, that invocation still
// completes — its output is written and its message deleted — before the
// handler is stopped, and Run returns nil.
func TestGracefulShutdown(t *testing.T) {
	h := start(t, options{})
	msg := `{"devhostTest":{"delayMs":700,"body":{"Outputs":{"out":{"done":true}}}}}`
	resp := enqueueText(t, h.work, b64(msg))
	h.recordWith(t, "/QueueWork", *resp.Messages[0].MessageID) // in flight now
	h.stop()
	if got := drain(t, h.out); len(got) != 1 {
		t.Errorf("output messages after shutdown = %q, want the in-flight invocation's one message", got)
	}
	if n := approxCount(t, h.work); n != 0 {
		t.Errorf("%d messages left in the work queue, want 0 (the in-flight one deleted)", n)
	}
}
