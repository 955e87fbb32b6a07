package loadtest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var xs []time.Duration
	for i := 1; i <= 100; i++ {
		xs = append(xs, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {1, time.Millisecond}} {
		if got := Percentile(xs, tc.p); got != tc.want {
			t.Errorf("Percentile(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("Percentile of nothing is not 0")
	}
}

// TestRunIsOpenLoop: a target slower than the arrival interval must not slow
// the arrivals down; every scheduled request still starts.
func TestRunIsOpenLoop(t *testing.T) {
	var started atomic.Int64
	res := Run(t.Context(), "slow", Options{Rate: 200, Duration: 250 * time.Millisecond}, func(ctx context.Context, i int) error {
		started.Add(1)
		time.Sleep(50 * time.Millisecond) // 10× the interval
		if i%10 == 0 {
			return errors.New("every tenth fails")
		}
		return nil
	})
	if res.Requests != 50 || started.Load() != 50 {
		t.Fatalf("requests = %d, started = %d; want 50 scheduled and started", res.Requests, started.Load())
	}
	if res.Errors != 5 || res.FirstErr == "" {
		t.Errorf("errors = %d (%q), want 5", res.Errors, res.FirstErr)
	}
	if res.P50 < 50*time.Millisecond {
		t.Errorf("p50 = %v is below the target's own 50ms", res.P50)
	}
}

func TestRunDropsBeyondMaxInFlight(t *testing.T) {
	release := make(chan struct{})
	res := Run(context.Background(), "stuck", Options{Rate: 1000, Duration: 20 * time.Millisecond, MaxInFlight: 5}, func(ctx context.Context, i int) error {
		select {
		case <-release:
		case <-time.After(100 * time.Millisecond):
		}
		return nil
	})
	close(release)
	if res.Dropped == 0 || res.Errors != res.Dropped || res.Requests-res.Dropped > 5+res.Requests/2 {
		t.Errorf("dropped = %d, errors = %d, requests = %d", res.Dropped, res.Errors, res.Requests)
	}
}
