package maintenance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/funchost"
)

// statusBlobs is a StatusStore in memory.
type statusBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *statusBlobs) WriteReport(_ context.Context, name string, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = slices.Clone(body)
	return nil
}

func (s *statusBlobs) ReadReport(_ context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", apperr.NotFound, name)
	}
	return b, nil
}

type memQueue struct {
	msgs [][]byte
	err  error
}

func (q *memQueue) Enqueue(_ context.Context, body []byte) error {
	if q.err != nil {
		return q.err
	}
	q.msgs = append(q.msgs, body)
	return nil
}

// conflictLocker is a held lease, as cosmos.Leases reports it.
type conflictLocker struct{}

func (conflictLocker) Acquire(context.Context, string, string, time.Duration) (func(context.Context) error, error) {
	return nil, fmt.Errorf("%w: lease nightly held by other-host/1 until 03:00", apperr.Conflict)
}

func testRuns(t *testing.T, ran *[]string, stepErr error) (*Runs, *memQueue, *statusBlobs) {
	t.Helper()
	step := func(name string) Step {
		return Step{Name: name, Timeout: time.Second, Run: func(context.Context) (any, error) {
			*ran = append(*ran, name)
			if name == "drift" {
				return map[string]int{"missing": 0}, stepErr
			}
			return nil, nil
		}}
	}
	job := &Job{Name: "nightly", Leases: &memLocker{held: map[string]string{}}, LeaseTTL: time.Hour, Reports: memReports{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Steps: []Step{step("rebuild"), step("drift"), step("retention")}}
	q := &memQueue{}
	st := &statusBlobs{m: map[string][]byte{}}
	now := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	return &Runs{Job: job, Status: st, Queue: q, Now: func() time.Time { return now }}, q, st
}

// deliver hands the queued message to Func the way the host does.
func deliver(t *testing.T, r *Runs, msg []byte) int {
	t.Helper()
	data, _ := json.Marshal(map[string]any{"Data": map[string]string{"request": string(mustJSON(t, string(msg)))},
		"Metadata": map[string]any{"DequeueCount": "1"}})
	req := httptest.NewRequest(http.MethodPost, "/RunMaintenance", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	funchost.Handle("RunMaintenance", r.Func, slog.New(slog.NewTextHandler(io.Discard, nil))).ServeHTTP(rec, req)
	return rec.Code
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestManualRunQueuedThenRun(t *testing.T) {
	var ran []string
	r, q, _ := testRuns(t, &ran, nil)
	ctx := t.Context()
	st, err := r.Start(ctx, []string{"drift", "rebuild"}, "admin-sub")
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != RunQueued || !slices.Equal(st.Steps, []string{"rebuild", "drift"}) || !runID.MatchString(st.ID) {
		t.Fatalf("started %+v; want queued, steps in job order, a valid id", st)
	}
	if got, err := r.Get(ctx, st.ID); err != nil || got.Status != RunQueued {
		t.Fatalf("Get before the run = %+v, %v", got, err)
	}
	if len(q.msgs) != 1 || len(ran) != 0 {
		t.Fatalf("%d messages queued, %v ran; want 1 and nothing run yet", len(q.msgs), ran)
	}
	if code := deliver(t, r, q.msgs[0]); code != http.StatusOK {
		t.Fatalf("invocation status %d", code)
	}
	if !slices.Equal(ran, []string{"rebuild", "drift"}) {
		t.Errorf("ran %v, want only the requested steps in order", ran)
	}
	got, err := r.Get(ctx, st.ID)
	if err != nil || got.Status != RunSucceeded || got.Report == nil || len(got.Report.Steps) != 2 || got.RequestedBy != "admin-sub" {
		t.Errorf("after the run: %+v, %v", got, err)
	}
}

func TestManualRunFailureIsRecordedNotRetried(t *testing.T) {
	var ran []string
	r, q, _ := testRuns(t, &ran, errors.New("3 titles could not be indexed"))
	st, err := r.Start(t.Context(), []string{"drift"}, "admin-sub")
	if err != nil {
		t.Fatal(err)
	}
	if code := deliver(t, r, q.msgs[0]); code != http.StatusOK {
		t.Errorf("a failed run failed the invocation (%d): the host would retry a manual run", code)
	}
	got, _ := r.Get(t.Context(), st.ID)
	if got.Status != RunFailed || !strings.Contains(got.Reason, "3 titles could not be indexed") || got.Report == nil {
		t.Errorf("failed run recorded as %+v", got)
	}
}

func TestManualRunSkippedWhenLeaseHeld(t *testing.T) {
	var ran []string
	r, q, _ := testRuns(t, &ran, nil)
	r.Job.Leases = conflictLocker{}
	st, _ := r.Start(t.Context(), []string{"rebuild"}, "admin-sub")
	if code := deliver(t, r, q.msgs[0]); code != http.StatusOK {
		t.Errorf("invocation status %d", code)
	}
	got, _ := r.Get(t.Context(), st.ID)
	if got.Status != RunSkipped || len(ran) != 0 {
		t.Errorf("with the lease held: %+v, ran %v; want skipped and nothing run", got, ran)
	}
}

func TestManualRunRequestErrors(t *testing.T) {
	var ran []string
	r, q, st := testRuns(t, &ran, nil)
	for _, steps := range [][]string{nil, {"rebuild", "reboot"}} {
		_, err := r.Start(t.Context(), steps, "admin-sub")
		var pe *apperr.ParamError
		if !errors.As(err, &pe) || pe.Param != "steps" {
			t.Errorf("Start(%v) = %v, want a ParamError on steps", steps, err)
		}
	}
	if len(q.msgs) != 0 || len(st.m) != 0 {
		t.Errorf("refused requests left %d messages and %d status documents", len(q.msgs), len(st.m))
	}
	q.err = errors.New("queue unreachable")
	_, err := r.Start(t.Context(), []string{"drift"}, "admin-sub")
	if !errors.Is(err, apperr.Unavailable) {
		t.Errorf("Start with the queue down = %v, want Unavailable", err)
	}
	for name, body := range st.m {
		var got RunStatus
		_ = json.Unmarshal(body, &got)
		if got.Status != RunFailed {
			t.Errorf("%s: a run that was never queued is %q, want failed", name, got.Status)
		}
	}
	for _, id := range []string{"", "../../etc", "20261126T093000Z-0a1b2c3"} {
		var pe *apperr.ParamError
		if _, err := r.Get(t.Context(), id); !errors.As(err, &pe) {
			t.Errorf("Get(%q) = %v, want a ParamError", id, err)
		}
	}
	if _, err := r.Get(t.Context(), "20261126T093000Z-0a1b2c3d"); !errors.Is(err, apperr.NotFound) {
		t.Errorf("Get(unknown) = %v, want NotFound", err)
	}
	if code := deliver(t, r, []byte(`{"id":"../x","steps":["drift"]}`)); code == http.StatusOK {
		t.Errorf("a message with a bad run id was accepted")
	}
}

// TestRunLinesCarryTheInvocation: the job's own lines and the lines its steps
// log through the context (the rebuild's progress) carry the function and
// the invocation id, though the job was built with the process logger.
func TestRunLinesCarryTheInvocation(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	out := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil))
	job := &Job{Name: "nightly", Leases: &memLocker{held: map[string]string{}}, LeaseTTL: time.Hour, Reports: memReports{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Steps: []Step{{Name: "rebuild", Timeout: time.Second, Run: func(ctx context.Context) (any, error) {
			loggerFrom(ctx, nil).InfoContext(ctx, "rebuild progress")
			return nil, nil
		}}}}
	body := []byte(`{"Data":{"timer":"{\"IsPastDue\":false}"},"Metadata":{}}`)
	req := httptest.NewRequest(http.MethodPost, "/NightlyMaintenance", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(funchost.HeaderInvocationID, "0b5e8f6e-1c1d-4c0e-9a39-6b1f0f0a0a0a")
	rec := httptest.NewRecorder()
	funchost.Handle("NightlyMaintenance", job.Func, out).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("invocation %d: %s", rec.Code, rec.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	found := map[string]bool{}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		msg, _ := rec["msg"].(string)
		found[msg] = true
		if rec["function"] != "NightlyMaintenance" || rec["invocation_id"] != "0b5e8f6e-1c1d-4c0e-9a39-6b1f0f0a0a0a" {
			t.Errorf("line without the invocation: %s", l)
		}
	}
	for _, want := range []string{"rebuild progress", "maintenance step done"} {
		if !found[want] {
			t.Errorf("no %q line among %q", want, lines)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
