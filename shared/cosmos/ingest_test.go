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
// Cosmos: conditional create and replace with deliveries, and the point
// read that returns them.
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

	got, etag, deliveries, err := s.GetDelivered(ctx, a.ID)
	if err != nil || got.Name != "Alpha" || got.ContentHash != "h1" || etag != etagA || deliveries["acme"] != "d1:h1" {
		t.Errorf("GetDelivered(A) = %+v, etag %q (want %q), deliveries %v, %v", got, etag, etagA, deliveries, err)
	}
	if _, _, deliveries, err := s.GetDelivered(ctx, b.ID); err != nil || deliveries != nil {
		t.Errorf("GetDelivered(B) deliveries = %v, %v; want none", deliveries, err)
	}
	if _, _, _, err := s.GetDelivered(ctx, "missing"); !errors.Is(err, apperr.NotFound) {
		t.Errorf("GetDelivered(missing) = %v, want NotFound", err)
	}

	a.Name, a.ContentHash, a.Version = "Alpha 2", "h3", 2
	if _, err := s.ReplaceDelivered(ctx, a, map[string]string{"acme": "d2:h3"}, etagA); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceDelivered(ctx, a, nil, etagA); !errors.Is(err, apperr.Conflict) {
		t.Errorf("replace with a stale ETag: %v, want Conflict", err)
	}
	got, _, deliveries, err = s.GetDelivered(ctx, a.ID)
	if err != nil || got.Name != "Alpha 2" || deliveries["acme"] != "d2:h3" {
		t.Errorf("after replace: %+v, deliveries %v, %v", got, deliveries, err)
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

// TestChangeCreateAndDelete: the conditional create and the ETag-guarded
// delete of a change record, against the local Cosmos.
func TestChangeCreateAndDelete(t *testing.T) {
	ctx := t.Context()
	c := cosmos.NewChanges(stacktest.CosmosContainer(t, cosmos.ChangesContainerProperties("changes")))
	ch := catalog.Change{ID: "mt_x:1", TitleID: "mt_x", Version: 1, Kind: "created", NewHash: "h1"}
	etag, err := c.Create(ctx, ch)
	if err != nil || etag == "" {
		t.Fatalf("Create = %q, %v", etag, err)
	}
	if _, err := c.Create(ctx, ch); !errors.Is(err, apperr.Conflict) {
		t.Errorf("second Create = %v, want Conflict", err)
	}
	if err := c.Put(ctx, ch); err != nil { // replaced since: a new ETag
		t.Fatal(err)
	}
	if err := c.Delete(ctx, ch, etag); !errors.Is(err, apperr.Conflict) {
		t.Errorf("Delete with the stale ETag = %v, want Conflict", err)
	}
	etag, err = c.Create(ctx, catalog.Change{ID: "mt_y:1", TitleID: "mt_y", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, catalog.Change{ID: "mt_y:1", TitleID: "mt_y"}, etag); err != nil {
		t.Errorf("Delete with the current ETag = %v", err)
	}
	if err := c.Delete(ctx, catalog.Change{ID: "mt_y:1", TitleID: "mt_y"}, etag); !errors.Is(err, apperr.NotFound) {
		t.Errorf("Delete of a deleted record = %v, want NotFound", err)
	}
}
