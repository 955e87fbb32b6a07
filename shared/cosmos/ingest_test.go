package cosmos_test

import (
	"errors"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// TestIngestionReadsAndWrites runs the ingestion methods against the local
// Cosmos: conditional create and replace with deliveries, the fingerprint
// projection and the batched read.
func TestIngestionReadsAndWrites(t *testing.T) {
	ctx := t.Context()
	s := cosmos.NewStore(stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("media")), nil)

	a := &catalog.Title{ID: catalog.StableID("acme", "1"), Name: "Alpha", ContentHash: "h1", Version: 1}
	b := &catalog.Title{ID: catalog.StableID("acme", "2"), Name: "Beta", ContentHash: "h2", Version: 1}
	etagA, err := s.CreateDelivered(ctx, a, map[string]string{"acme": "d1:h1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDelivered(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDelivered(ctx, a, nil); !errors.Is(err, apperr.Conflict) {
		t.Errorf("creating an existing title: %v, want Conflict", err)
	}

	hashes, deliveries, err := s.Fingerprints(ctx, []string{a.ID, b.ID, "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hashes) != 2 || hashes[a.ID] != "h1" || hashes[b.ID] != "h2" {
		t.Errorf("content hashes = %v", hashes)
	}
	if deliveries[a.ID]["acme"] != "d1:h1" || deliveries[b.ID] != nil {
		t.Errorf("deliveries = %v", deliveries)
	}

	titles, etags, err := s.GetMany(ctx, []string{a.ID, b.ID, "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(titles) != 2 || titles[a.ID].Name != "Alpha" || etags[a.ID] != etagA {
		t.Errorf("GetMany = %d titles, A %+v etag %q (want %q)", len(titles), titles[a.ID], etags[a.ID], etagA)
	}

	a.Name, a.ContentHash, a.Version = "Alpha 2", "h3", 2
	if _, err := s.ReplaceDelivered(ctx, a, map[string]string{"acme": "d2:h3"}, etagA); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceDelivered(ctx, a, nil, etagA); !errors.Is(err, apperr.Conflict) {
		t.Errorf("replace with a stale ETag: %v, want Conflict", err)
	}
	got, _, err := s.Get(ctx, a.ID)
	if err != nil || got.Name != "Alpha 2" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	_, deliveries, _ = s.Fingerprints(ctx, []string{a.ID})
	if deliveries[a.ID]["acme"] != "d2:h3" {
		t.Errorf("deliveries after replace = %v", deliveries)
	}

	cc := stacktest.CosmosContainer(t, cosmos.ChangesContainerProperties("changes"))
	ch := catalog.Change{ID: a.ID + ":2", TitleID: a.ID, Version: 2, Kind: "updated", NewHash: "h3"}
	for range 2 { // idempotent
		if err := cosmos.NewChanges(cc).Put(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cc.ReadItem(ctx, azcosmos.NewPartitionKeyString(a.ID), ch.ID, nil); err != nil {
		t.Errorf("reading the change record by /titleId: %v", err)
	}
}
