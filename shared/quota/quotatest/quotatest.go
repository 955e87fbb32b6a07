// Package quotatest holds the conformance suite every quota.Ledger must
// pass, run against the in-memory ledger and the Cosmos one alike.
package quotatest

import (
	"context"
	"sync"
	"testing"

	"github.com/mediaspecs/catalogue/shared/quota"
)

// TestLedger checks ledger's contract: Add returns the running total,
// concurrent Adds end at the exact sum, n = 0 reads, and clients and days
// are counted apart. client should be unique to the test run (the ledger
// may be shared).
func TestLedger(t *testing.T, ledger quota.Ledger, client string) {
	t.Helper()
	ctx := t.Context()
	const day = "2026-11-26"

	add := func(client, day string, n int64) int64 {
		t.Helper()
		total, err := ledger.Add(ctx, client, day, n)
		if err != nil {
			t.Fatalf("Add(%q, %q, %d): %v", client, day, n, err)
		}
		return total
	}
	if got := add(client, day, 0); got != 0 {
		t.Fatalf("reading an unknown count = %d, want 0", got)
	}
	if got := add(client, day, 5); got != 5 {
		t.Fatalf("first Add(5) = %d, want 5", got)
	}
	if got := add(client, day, 3); got != 8 {
		t.Fatalf("second Add(3) = %d, want 8", got)
	}
	if got := add(client, day, 0); got != 8 {
		t.Fatalf("Add(0) = %d, want 8", got)
	}

	// Concurrent adders, as several instances flushing at once; the first
	// Adds of the fresh day race to create the count.
	const workers, adds = 8, 10
	fresh := "2026-11-27"
	var wg sync.WaitGroup
	errs := make(chan error, workers*adds)
	start := make(chan struct{}) // release all workers together
	for w := range workers {
		wg.Go(func() {
			<-start
			for i := range adds {
				if _, err := ledger.Add(context.WithoutCancel(ctx), client, fresh, int64(w+i+1)); err != nil {
					errs <- err
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Add: %v", err)
	}
	var want int64
	for w := range workers {
		for i := range adds {
			want += int64(w + i + 1)
		}
	}
	if got := add(client, fresh, 0); got != want {
		t.Errorf("after %d concurrent Adds, total = %d, want %d", workers*adds, got, want)
	}

	// Days and clients are separate counts.
	if got := add(client, day, 0); got != 8 {
		t.Errorf("day %s changed to %d by another day's Adds", day, got)
	}
	if got := add(client+"-other", day, 1); got != 1 {
		t.Errorf("another client's first Add = %d, want 1", got)
	}
}
