// Package health runs dependency checks concurrently, each bounded by a
// timeout, and reports one verdict with a state and latency per dependency.
package health

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"
)

// Check probes one dependency; nil means healthy. It must honour ctx.
type Check func(ctx context.Context) error

// Checker runs a fixed set of named checks.
type Checker struct {
	checks  map[string]Check
	timeout time.Duration
}

// New returns a Checker whose every check is bounded by timeout.
func New(timeout time.Duration, checks map[string]Check) *Checker {
	return &Checker{checks: checks, timeout: timeout}
}

// States of a dependency and of the whole report.
const (
	StateUp      = "up"
	StateDown    = "down"
	StateTimeout = "timeout"
)

// Dependency is one check's outcome. Err is kept for logs; it is never
// serialised, so host names and internal messages do not reach callers.
type Dependency struct {
	State     string  `json:"state"`
	LatencyMS float64 `json:"latencyMs"`
	Err       error   `json:"-"`
}

// Report is the outcome of all checks.
type Report struct {
	// Status is "up" when every dependency is up, else "down".
	Status       string                `json:"status"`
	Dependencies map[string]Dependency `json:"dependencies"`
}

// Healthy reports whether every dependency is up.
func (r Report) Healthy() bool { return r.Status == StateUp }

// Run runs every check concurrently and waits for all of them.
func (c *Checker) Run(ctx context.Context) Report {
	rep := Report{Status: StateUp, Dependencies: make(map[string]Dependency, len(c.checks))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range c.checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, c.timeout)
			defer cancel()
			start := time.Now()
			err := check(cctx)
			d := Dependency{State: StateUp, LatencyMS: float64(time.Since(start).Microseconds()) / 1000, Err: err}
			switch {
			case err == nil:
			case errors.Is(err, context.DeadlineExceeded) || errors.Is(cctx.Err(), context.DeadlineExceeded):
				d.State = StateTimeout
			default:
				d.State = StateDown
			}
			mu.Lock()
			rep.Dependencies[name] = d
			if d.State != StateUp {
				rep.Status = StateDown
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return rep
}

// Names lists the dependencies checked, sorted.
func (c *Checker) Names() []string {
	names := make([]string, 0, len(c.checks))
	for n := range c.checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Cached runs the checks at most once per ttl and serves the last report in
// between, so frequent probes (platform, load balancer, monitors) cannot
// multiply the load on the dependencies. Concurrent callers share one run.
type Cached struct {
	checker *Checker
	ttl     time.Duration
	mu      sync.Mutex
	at      time.Time
	last    Report
}

// NewCached wraps c with a report cache of ttl.
func NewCached(c *Checker, ttl time.Duration) *Cached { return &Cached{checker: c, ttl: ttl} }

// Run returns a report no older than ttl.
func (c *Cached) Run(ctx context.Context) Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < c.ttl {
		return c.last
	}
	c.last = c.checker.Run(ctx)
	c.at = time.Now()
	return c.last
}
