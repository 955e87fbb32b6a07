// Package loadtest drives open-loop load: requests start at a fixed arrival
// rate whatever the latency of earlier ones, so a slow server cannot slow the
// generator down and hide its own queueing (the coordinated-omission trap of
// closed loops). It records each request's latency from its scheduled start.
package loadtest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// Target is one request; it returns an error when the response is not a success.
type Target func(ctx context.Context, i int) error

// Result summarises one run.
type Result struct {
	Name     string        `json:"name"`
	Rate     float64       `json:"rate"`     // requested arrivals per second
	Duration time.Duration `json:"duration"` // wall time until the last response
	Requests int           `json:"requests"`
	Errors   int           `json:"errors"`
	Dropped  int           `json:"dropped"`  // arrivals not started because MaxInFlight was reached
	Achieved float64       `json:"achieved"` // successful responses per second
	P50      time.Duration `json:"p50"`
	P90      time.Duration `json:"p90"`
	P99      time.Duration `json:"p99"`
	Max      time.Duration `json:"max"`
	FirstErr string        `json:"firstError,omitempty"`
}

// Options bound a run. Runs always stop by themselves: after Duration of
// arrivals, and the context bounds the wait for the stragglers.
type Options struct {
	Rate        float64       // arrivals per second, > 0
	Duration    time.Duration // how long arrivals keep coming
	MaxInFlight int           // 0 means 1024
	Timeout     time.Duration // per request; 0 means 10s
}

// Run sends requests to target at opts.Rate for opts.Duration.
func Run(ctx context.Context, name string, opts Options, target Target) Result {
	if opts.MaxInFlight == 0 {
		opts.MaxInFlight = 1024
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	interval := time.Duration(float64(time.Second) / opts.Rate)
	total := int(opts.Duration / interval)
	lat := make([]time.Duration, total)
	errs := make([]error, total)
	sem := make(chan struct{}, opts.MaxInFlight)
	var wg sync.WaitGroup
	dropped := 0
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				total = i
			}
		}
		if ctx.Err() != nil {
			total = i
			break
		}
		select {
		case sem <- struct{}{}:
		default:
			dropped++
			errs[i] = fmt.Errorf("dropped: %d requests in flight", opts.MaxInFlight)
			continue
		}
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			defer func() { <-sem }()
			rctx, cancel := context.WithTimeout(ctx, opts.Timeout)
			defer cancel()
			errs[i] = target(rctx, i)
			// Latency counts from the scheduled arrival, not from when the
			// goroutine happened to run.
			lat[i] = time.Since(due)
		}(i, due)
	}
	wg.Wait()
	elapsed := time.Since(start)
	return summarise(name, opts.Rate, elapsed, lat[:total], errs[:total], dropped)
}

func summarise(name string, rate float64, elapsed time.Duration, lat []time.Duration, errs []error, dropped int) Result {
	r := Result{Name: name, Rate: rate, Duration: elapsed, Requests: len(lat), Dropped: dropped}
	ok := make([]time.Duration, 0, len(lat))
	for i, e := range errs {
		if e != nil {
			r.Errors++
			if r.FirstErr == "" {
				r.FirstErr = e.Error()
			}
			continue
		}
		ok = append(ok, lat[i])
	}
	if elapsed > 0 {
		r.Achieved = float64(len(ok)) / elapsed.Seconds()
	}
	slices.Sort(ok)
	r.P50, r.P90, r.P99 = Percentile(ok, 50), Percentile(ok, 90), Percentile(ok, 99)
	if len(ok) > 0 {
		r.Max = ok[len(ok)-1]
	}
	return r
}

// Percentile returns the p-th percentile (nearest rank) of sorted latencies.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}
