package cosmos_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func testStore(t *testing.T) *cosmos.Store {
	t.Helper()
	return cosmos.NewStore(stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("media")))
}

func TestStoreRoundTripAndConcurrency(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	ctx := t.Context()
	title := &catalog.Title{ID: catalog.StableID("rossel", "LS-01"), SchemaVersion: catalog.SchemaVersion,
		Status: catalog.StatusActive, Name: "Le Soir", MediaType: catalog.MediaPrint, SubType: catalog.SubDaily,
		UpdatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Version: 1}
	title.Description.Set(catalog.FR, "Quotidien belge francophone", false)

	if _, _, err := s.Get(ctx, title.ID); !errors.Is(err, apperr.NotFound) {
		t.Fatalf("Get before write: err = %v, want NotFound", err)
	}
	etag, err := s.Upsert(ctx, title)
	if err != nil || etag == "" {
		t.Fatalf("Upsert = %q, %v", etag, err)
	}
	got, readTag, err := s.Get(ctx, title.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Le Soir" || got.SubType != catalog.SubDaily || readTag != etag {
		t.Errorf("Get = %+v etag %q; want the stored title with etag %q", got, readTag, etag)
	}
	if d, _, ok := got.Description.Best(catalog.FR); !ok || d.Text != "Quotidien belge francophone" {
		t.Errorf("description = %+v", got.Description)
	}

	got.Version = 2
	newTag, err := s.Replace(ctx, got, readTag)
	if err != nil {
		t.Fatalf("Replace with the current ETag: %v", err)
	}
	got.Version = 3
	if _, err := s.Replace(ctx, got, readTag); !errors.Is(err, apperr.Conflict) {
		t.Errorf("Replace with a stale ETag: err = %v, want Conflict", err)
	}
	if newTag == readTag {
		t.Error("the ETag did not change on replace")
	}
}

func TestStoreScanPagesThroughEverything(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	ctx := t.Context()
	const n = 1234 // more than two pages of 500
	start := time.Now().Add(-2 * time.Second).Unix()
	for i := range n {
		title := &catalog.Title{ID: catalog.StableID("scan", fmt.Sprint(i)), Name: fmt.Sprintf("Title %d", i),
			Status: catalog.StatusActive, MediaType: catalog.MediaPrint}
		if _, err := s.Upsert(ctx, title); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	err := s.Scan(ctx, 0, func(t *catalog.Title) error {
		seen[t.ID] = true
		return nil
	})
	if err != nil || len(seen) != n {
		t.Fatalf("Scan saw %d titles (err %v), want %d", len(seen), err, n)
	}
	recent := 0
	if err := s.Scan(ctx, start, func(*catalog.Title) error { recent++; return nil }); err != nil || recent != n {
		t.Errorf("Scan since start saw %d (err %v), want %d", recent, err, n)
	}
	future := 0
	if err := s.Scan(ctx, time.Now().Add(time.Hour).Unix(), func(*catalog.Title) error { future++; return nil }); err != nil || future != 0 {
		t.Errorf("Scan since the future saw %d (err %v), want 0", future, err)
	}
}
