package cosmos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
)

// Ingestion keeps, beside each title, a "deliveries" object: per supplier,
// the fingerprint of that supplier's last delivery that was written
// ("<hash of the delivered title>:<contentHash after the write>"). A
// re-delivered unchanged title is then recognised without merging it.
// Writers that do not know the field (catalog.Title has none) drop it, which
// only turns the shortcut off for that title until its next ingested
// change. Those writers go through Store.Upsert and Store.Replace, which
// record the title in the outside writes log (outside.go) before writing it.

// GetDelivered is a point read of a title with its ETag and its
// deliveries (nil when it has none).
func (s *Store) GetDelivered(ctx context.Context, id string) (_ *catalog.Title, etag string, deliveries map[string]string, err error) {
	defer apperr.Wrap(&err, "cosmos.GetDelivered(%q)", id)
	res, err := s.container.ReadItem(ctx, azcosmos.NewPartitionKeyString(id), id, nil)
	if err != nil {
		return nil, "", nil, translate(err)
	}
	var doc struct {
		catalog.Title
		Deliveries map[string]string `json:"deliveries"`
	}
	if err := json.Unmarshal(res.Value, &doc); err != nil {
		return nil, "", nil, fmt.Errorf("decoding title: %w", err)
	}
	return &doc.Title, string(res.ETag), doc.Deliveries, nil
}

// CreateDelivered writes t with its deliveries only if no document has its
// id yet: a concurrent creation gives Conflict, and the caller re-reads and
// merges.
func (s *Store) CreateDelivered(ctx context.Context, t *catalog.Title, deliveries map[string]string) (etag string, err error) {
	defer apperr.Wrap(&err, "cosmos.CreateDelivered(%q)", t.ID)
	body, err := withDeliveries(t, deliveries)
	if err != nil {
		return "", err
	}
	res, err := s.container.CreateItem(ctx, azcosmos.NewPartitionKeyString(t.ID), body, &azcosmos.ItemOptions{EnableContentResponseOnWrite: false})
	if err != nil {
		return "", translate(err)
	}
	return string(res.ETag), nil
}

// ReplaceDelivered writes t with its deliveries only if the stored document
// still has ifMatch as its ETag; a concurrent change gives Conflict.
func (s *Store) ReplaceDelivered(ctx context.Context, t *catalog.Title, deliveries map[string]string, ifMatch string) (etag string, err error) {
	defer apperr.Wrap(&err, "cosmos.ReplaceDelivered(%q)", t.ID)
	body, err := withDeliveries(t, deliveries)
	if err != nil {
		return "", err
	}
	e := azcore.ETag(ifMatch)
	res, err := s.container.ReplaceItem(ctx, azcosmos.NewPartitionKeyString(t.ID), t.ID, body, &azcosmos.ItemOptions{IfMatchEtag: &e, EnableContentResponseOnWrite: false})
	if err != nil {
		return "", translate(err)
	}
	return string(res.ETag), nil
}

// withDeliveries is the JSON of t with a top-level "deliveries" member.
func withDeliveries(t *catalog.Title, deliveries map[string]string) ([]byte, error) {
	body, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	if len(deliveries) == 0 {
		return body, nil
	}
	d, err := json.Marshal(deliveries)
	if err != nil {
		return nil, err
	}
	body = bytes.TrimSuffix(bytes.TrimSpace(body), []byte("}"))
	body = append(body, `,"deliveries":`...)
	body = append(body, d...)
	return append(body, '}'), nil
}

// WrittenOutside returns the epoch of the outside writes log and the titles
// written outside ingestion at or after since (OutsideWrites.Since). It
// fails when the Store keeps no log: nothing can then be vouched for.
func (s *Store) WrittenOutside(ctx context.Context, since time.Time) (epoch string, ids []string, err error) {
	if s.outside == nil {
		return "", nil, fmt.Errorf("cosmos.WrittenOutside: %w: this store keeps no outside writes log", apperr.Unavailable)
	}
	return s.outside.Since(ctx, since)
}
