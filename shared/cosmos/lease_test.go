package cosmos_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func TestLeasesExcludeEachOther(t *testing.T) {
	t.Parallel()
	c := stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("maintenance"))
	clock := time.Date(2026, 11, 26, 2, 30, 0, 0, time.UTC)
	l := cosmos.NewLeases(c)
	l.Now = func() time.Time { return clock }
	ctx := t.Context()

	release, err := l.Acquire(ctx, "nightly", "timer", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire(ctx, "nightly", "manual", 10*time.Minute); !errors.Is(err, apperr.Conflict) {
		t.Fatalf("second holder: err = %v, want Conflict", err)
	}
	if _, err := l.Acquire(ctx, "other-job", "manual", time.Minute); err != nil {
		t.Errorf("another lease name is independent: %v", err)
	}
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	release2, err := l.Acquire(ctx, "nightly", "manual", 10*time.Minute)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	_ = release2

	// A holder that died: its lease expires and can be taken over.
	clock = clock.Add(11 * time.Minute)
	if _, err := l.Acquire(ctx, "nightly", "timer", 10*time.Minute); err != nil {
		t.Errorf("taking over an expired lease: %v", err)
	}
	// The dead holder's late release must not free the new holder's lease.
	if err := release2(ctx); err == nil {
		t.Error("a stale holder released a lease it no longer holds")
	}
}
