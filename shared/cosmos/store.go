package cosmos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
)

// Store reads and writes media titles in the media container. Every method
// translates Cosmos failures into apperr kinds: 404 → NotFound,
// 409/412 → Conflict, 429 and 5xx → Unavailable.
type Store struct {
	container *azcosmos.ContainerClient
}

// NewStore returns a Store over the media container.
func NewStore(container *azcosmos.ContainerClient) *Store { return &Store{container: container} }

// Get is a point read by id (the partition key is /id): 1 RU per KB, never a query.
func (s *Store) Get(ctx context.Context, id string) (_ *catalog.Title, etag string, err error) {
	defer apperr.Wrap(&err, "cosmos.Get(%q)", id)
	res, err := s.container.ReadItem(ctx, azcosmos.NewPartitionKeyString(id), id, nil)
	if err != nil {
		return nil, "", translate(err)
	}
	var t catalog.Title
	if err := json.Unmarshal(res.Value, &t); err != nil {
		return nil, "", fmt.Errorf("decoding title: %w", err)
	}
	return &t, string(res.ETag), nil
}

// Upsert writes t whatever is stored, and returns the new ETag.
func (s *Store) Upsert(ctx context.Context, t *catalog.Title) (etag string, err error) {
	defer apperr.Wrap(&err, "cosmos.Upsert(%q)", t.ID)
	body, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	res, err := s.container.UpsertItem(ctx, azcosmos.NewPartitionKeyString(t.ID), body, &azcosmos.ItemOptions{EnableContentResponseOnWrite: false})
	if err != nil {
		return "", translate(err)
	}
	return string(res.ETag), nil
}

// Replace writes t only if the stored document still has ifMatch as its ETag
// (optimistic concurrency for merges); a concurrent change gives Conflict.
func (s *Store) Replace(ctx context.Context, t *catalog.Title, ifMatch string) (etag string, err error) {
	defer apperr.Wrap(&err, "cosmos.Replace(%q)", t.ID)
	body, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	e := azcore.ETag(ifMatch)
	res, err := s.container.ReplaceItem(ctx, azcosmos.NewPartitionKeyString(t.ID), t.ID, body, &azcosmos.ItemOptions{IfMatchEtag: &e})
	if err != nil {
		return "", translate(err)
	}
	return string(res.ETag), nil
}

// translate maps an azcosmos error to an apperr kind, keeping the original
// for logs.
func translate(err error) error {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	switch {
	case re.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %d", apperr.NotFound, re.StatusCode)
	case re.StatusCode == http.StatusConflict || re.StatusCode == http.StatusPreconditionFailed:
		return fmt.Errorf("%w: cosmos %d", apperr.Conflict, re.StatusCode)
	case re.StatusCode == http.StatusTooManyRequests || re.StatusCode >= 500:
		return fmt.Errorf("%w: cosmos %d", apperr.Unavailable, re.StatusCode)
	default:
		return fmt.Errorf("cosmos %d: %w", re.StatusCode, err)
	}
}

// Scan calls fn for every title whose server timestamp (_ts, seconds) is at
// least since (0: every title), page by page through a cross-partition query
// with continuation tokens, so memory stays flat however large the catalogue.
// fn's error stops the scan and is returned.
func (s *Store) Scan(ctx context.Context, since int64, fn func(*catalog.Title) error) (err error) {
	defer apperr.Wrap(&err, "cosmos.Scan")
	pager := s.container.NewQueryItemsPager("SELECT * FROM c WHERE c._ts >= @since", azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{QueryParameters: []azcosmos.QueryParameter{{Name: "@since", Value: since}}, PageSizeHint: 500})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return translate(err)
		}
		for _, item := range page.Items {
			var t catalog.Title
			if err := json.Unmarshal(item, &t); err != nil {
				return fmt.Errorf("decoding title: %w", err)
			}
			if err := fn(&t); err != nil {
				return err
			}
		}
	}
	return nil
}
