package maintenance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type memLocker struct {
	mu   sync.Mutex
	held map[string]string
}

func (m *memLocker) Acquire(_ context.Context, name, owner string, _ time.Duration) (func(context.Context) error, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h, ok := m.held[name]; ok {
		return nil, fmt.Errorf("held by %s", h)
	}
	m.held[name] = owner
	return func(context.Context) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.held, name)
		return nil
	}, nil
}

type memReports map[string][]byte

func (m memReports) WriteReport(_ context.Context, name string, body []byte) error {
	m[name] = body
	return nil
}

func TestJobRunsEveryStepAndReports(t *testing.T) {
	locks := &memLocker{held: map[string]string{}}
	reports := memReports{}
	var ran []string
	j := &Job{Name: "nightly", Leases: locks, LeaseTTL: time.Hour, Reports: reports, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Steps: []Step{
			{"rebuild", time.Second, func(ctx context.Context) (any, error) {
				ran = append(ran, "rebuild")
				return nil, errors.New("es down")
			}},
			{"drift", 20 * time.Millisecond, func(ctx context.Context) (any, error) {
				ran = append(ran, "drift")
				<-ctx.Done() // stuck: only its own timeout ends it
				return nil, ctx.Err()
			}},
			{"retention", time.Second, func(ctx context.Context) (any, error) {
				ran = append(ran, "retention")
				return map[string]int{"deleted": 2}, nil
			}},
		}}
	rep, err := j.Run(t.Context(), "manual")
	if err == nil || !strings.Contains(err.Error(), "rebuild: es down") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the rebuild and drift failures joined", err)
	}
	if strings.Join(ran, ",") != "rebuild,drift,retention" {
		t.Errorf("ran %v; a failed step must not skip the next ones", ran)
	}
	if rep.OK || len(rep.Steps) != 3 || !rep.Steps[2].OK {
		t.Errorf("report = %+v", rep)
	}
	if len(reports) != 1 {
		t.Fatalf("reports written: %d, want 1", len(reports))
	}
	for _, body := range reports {
		var got JobReport
		if err := json.Unmarshal(body, &got); err != nil || got.OK || got.Steps[0].Error != "es down" {
			t.Errorf("stored report = %s", body)
		}
	}
	if len(locks.held) != 0 {
		t.Error("the lease was not released")
	}
}

func TestJobRefusesToOverlap(t *testing.T) {
	locks := &memLocker{held: map[string]string{"nightly": "timer"}}
	ran := false
	j := &Job{Name: "nightly", Leases: locks, Reports: memReports{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Steps: []Step{{"rebuild", time.Second, func(context.Context) (any, error) { ran = true; return nil, nil }}}}
	if _, err := j.Run(t.Context(), "manual"); err == nil || ran {
		t.Fatalf("err = %v, ran = %v; a held lease must stop the run before any step", err, ran)
	}
}
