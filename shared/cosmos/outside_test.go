package cosmos_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func maintenanceContainer(t *testing.T) *azcosmos.ContainerClient {
	t.Helper()
	return stacktest.CosmosContainer(t, azcosmos.ContainerProperties{ID: "maintenance",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/id"}}})
}

// TestOutsideWritesListsUpsertAndReplace: titles written through Upsert and
// Replace are listed from the time of their write on; titles written by
// ingestion (CreateDelivered, ReplaceDelivered) are not; the epoch is stable.
func TestOutsideWritesListsUpsertAndReplace(t *testing.T) {
	ctx := t.Context()
	s := cosmos.NewStore(stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("media")), cosmos.NewOutsideWrites(maintenanceContainer(t)))
	title := func(key string) *catalog.Title {
		return &catalog.Title{ID: catalog.StableID("acme", key), Name: key, ContentHash: "h-" + key, Version: 1}
	}
	epoch, ids, err := s.WrittenOutside(ctx, time.Time{})
	if err != nil || epoch == "" || ids != nil {
		t.Fatalf("first question: epoch %q, ids %v, %v; want a new epoch and no ids", epoch, ids, err)
	}
	before := time.Now().Add(-2 * time.Second)
	ingested, upserted, replaced := title("ingested"), title("upserted"), title("replaced")
	etag, err := s.CreateDelivered(ctx, ingested, map[string]string{"acme": "d:h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceDelivered(ctx, ingested, map[string]string{"acme": "d:h"}, etag); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Upsert(ctx, upserted); err != nil {
		t.Fatal(err)
	}
	etag, err = s.CreateDelivered(ctx, replaced, nil)
	if err != nil {
		t.Fatal(err)
	}
	replaced.Name = "edited"
	if _, err := s.Replace(ctx, replaced, etag); err != nil {
		t.Fatal(err)
	}
	again, ids, err := s.WrittenOutside(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	want := []string{upserted.ID, replaced.ID}
	slices.Sort(want)
	if again != epoch || !slices.Equal(ids, want) {
		t.Errorf("since before the writes: epoch %q (first %q), ids %v; want the same epoch and %v (upserted, replaced)", again, epoch, ids, want)
	}
	if _, ids, err := s.WrittenOutside(ctx, time.Now().Add(time.Hour)); err != nil || len(ids) != 0 {
		t.Errorf("since the future: %v, %v; want none", ids, err)
	}
}

// TestOutsideWritesBounded: entries past the age or count bound are dropped,
// and the log then refuses to answer for the time it no longer covers.
func TestOutsideWritesBounded(t *testing.T) {
	ctx := t.Context()
	log := cosmos.NewOutsideWrites(maintenanceContainer(t))
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	log.Now = func() time.Time { return now }
	if err := log.Record(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	recorded := now
	now = now.Add(90 * 24 * time.Hour) // past the 60-day bound
	if err := log.Record(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := log.Since(ctx, recorded); !errors.Is(err, cosmos.ErrOutsideWritesIncomplete) {
		t.Errorf("since the dropped entry: %v, want ErrOutsideWritesIncomplete", err)
	}
	if _, ids, err := log.Since(ctx, recorded.Add(time.Hour)); err != nil || !slices.Equal(ids, []string{"new"}) {
		t.Errorf("since after the dropped entry: %v, %v; want [new]", ids, err)
	}

	// Count bound: 5,001 titles at once keep 5,000.
	now = now.Add(time.Hour)
	many := make([]string, 5_001)
	for i := range many {
		many[i] = fmt.Sprintf("t%05d", i)
	}
	if err := log.Record(ctx, many...); err != nil {
		t.Fatal(err)
	}
	if _, _, err := log.Since(ctx, now); !errors.Is(err, cosmos.ErrOutsideWritesIncomplete) {
		t.Errorf("after dropping one of a batch: %v, want ErrOutsideWritesIncomplete", err)
	}
	if _, ids, err := log.Since(ctx, now.Add(time.Second)); err != nil || len(ids) != 0 {
		t.Errorf("since after the batch: %d ids, %v; want none", len(ids), err)
	}
}

// TestOutsideWritesConcurrentRecords: writers recording at once all end up
// listed (If-Match retries against the real Cosmos), and a log deleted and
// begun again has another epoch.
func TestOutsideWritesConcurrentRecords(t *testing.T) {
	ctx := t.Context()
	c := maintenanceContainer(t)
	log := cosmos.NewOutsideWrites(c)
	epoch, _, err := log.Since(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 4 {
				if err := log.Record(ctx, fmt.Sprintf("w%d-%d", w, i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	_, ids, err := log.Since(ctx, time.Now().Add(-time.Minute))
	if err != nil || len(ids) != 24 {
		t.Fatalf("after 24 concurrent records: %d ids, %v; want 24", len(ids), err)
	}
	if _, err := c.DeleteItem(ctx, azcosmos.NewPartitionKeyString("outside-title-writes"), "outside-title-writes", nil); err != nil {
		t.Fatal(err)
	}
	if again, ids, err := log.Since(ctx, time.Now().Add(-time.Minute)); err != nil || again == epoch || len(ids) != 0 {
		t.Errorf("after deletion: epoch %q (was %q), %d ids, %v; want a new epoch and none", again, epoch, len(ids), err)
	}
}

// TestWrittenOutsideWithoutLog: a Store built without a log cannot vouch for
// anything.
func TestWrittenOutsideWithoutLog(t *testing.T) {
	s := cosmos.NewStore(stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("media")), nil)
	if _, _, err := s.WrittenOutside(t.Context(), time.Now()); err == nil {
		t.Error("WrittenOutside without a log succeeded")
	}
}
