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
// re-delivered unchanged title is then recognised from a small projection
// (Fingerprints) without reading the document. Writers that do not know the
// field (catalog.Title has none) drop it, which only turns the shortcut off
// for that title until its next ingested change. Those writers go through
// Store.Upsert and Store.Replace, which record the title in the outside
// writes log (outside.go) before writing it.

// Fingerprints returns, for the ids that have a document, its content hash
// and its deliveries, in one query (an indexed equality on id, fanned out
// to the partitions; the local emulator has no ReadMany).
func (s *Store) Fingerprints(ctx context.Context, ids []string) (contentHashes map[string]string, deliveries map[string]map[string]string, err error) {
	defer apperr.Wrap(&err, "cosmos.Fingerprints(%d ids)", len(ids))
	contentHashes = make(map[string]string, len(ids))
	deliveries = make(map[string]map[string]string, len(ids))
	err = s.query(ctx, "SELECT c.id, c.contentHash, c.deliveries FROM c WHERE ARRAY_CONTAINS(@ids, c.id)", ids, func(item []byte) error {
		var row struct {
			ID          string            `json:"id"`
			ContentHash string            `json:"contentHash"`
			Deliveries  map[string]string `json:"deliveries"`
		}
		if err := json.Unmarshal(item, &row); err != nil {
			return fmt.Errorf("decoding fingerprint: %w", err)
		}
		contentHashes[row.ID] = row.ContentHash
		if row.Deliveries != nil {
			deliveries[row.ID] = row.Deliveries
		}
		return nil
	})
	return contentHashes, deliveries, err
}

// GetMany reads the titles with the given ids (at most a few hundred) in
// one query, with their ETags; ids without a document are absent.
func (s *Store) GetMany(ctx context.Context, ids []string) (titles map[string]*catalog.Title, etags map[string]string, err error) {
	defer apperr.Wrap(&err, "cosmos.GetMany(%d ids)", len(ids))
	titles = make(map[string]*catalog.Title, len(ids))
	etags = make(map[string]string, len(ids))
	err = s.query(ctx, "SELECT * FROM c WHERE ARRAY_CONTAINS(@ids, c.id)", ids, func(item []byte) error {
		var t catalog.Title
		if err := json.Unmarshal(item, &t); err != nil {
			return fmt.Errorf("decoding title: %w", err)
		}
		var sys struct {
			ETag string `json:"_etag"`
		}
		if err := json.Unmarshal(item, &sys); err != nil {
			return fmt.Errorf("decoding _etag: %w", err)
		}
		titles[t.ID], etags[t.ID] = &t, sys.ETag
		return nil
	})
	return titles, etags, err
}

func (s *Store) query(ctx context.Context, q string, ids []string, fn func([]byte) error) error {
	if len(ids) == 0 {
		return nil
	}
	pager := s.container.NewQueryItemsPager(q, azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{QueryParameters: []azcosmos.QueryParameter{{Name: "@ids", Value: ids}}, PageSizeHint: int32(len(ids))})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return translate(err)
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
	}
	return nil
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
