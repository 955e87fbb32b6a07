package cosmos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Leases are named, expiring locks kept as documents in a container (partition
// key /id), so that the nightly timer and a manual run of the same job never
// overlap, across instances. Expiry frees a lease whose holder died.
type Leases struct {
	container *azcosmos.ContainerClient
	// Now is the clock; nil means time.Now (tests set it).
	Now func() time.Time
}

// NewLeases returns Leases over container.
func NewLeases(container *azcosmos.ContainerClient) *Leases {
	return &Leases{container: container}
}

func (l *Leases) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

type leaseDoc struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Acquire takes the lease name for owner until ttl from now. It fails with
// apperr.Conflict naming the holder when someone else holds an unexpired
// lease. release gives it back (only if still held by owner).
func (l *Leases) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (release func(context.Context) error, err error) {
	defer apperr.Wrap(&err, "cosmos.Leases.Acquire(%q)", name)
	pk := azcosmos.NewPartitionKeyString(name)
	doc, _ := json.Marshal(leaseDoc{ID: name, Owner: owner, ExpiresAt: l.now().Add(ttl).UTC()})
	res, err := l.container.CreateItem(ctx, pk, doc, nil)
	if err == nil {
		return l.releaser(name, owner, res.ETag), nil
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 409 {
		return nil, translate(err)
	}
	// Someone has (or had) it: take it over only if it expired, and only if
	// nobody else took it over in between (If-Match).
	cur, err := l.container.ReadItem(ctx, pk, name, nil)
	if err != nil {
		return nil, translate(err)
	}
	var held leaseDoc
	if err := json.Unmarshal(cur.Value, &held); err != nil {
		return nil, err
	}
	if l.now().Before(held.ExpiresAt) {
		return nil, fmt.Errorf("%w: held by %s until %s", apperr.Conflict, held.Owner, held.ExpiresAt.Format(time.RFC3339))
	}
	etag := cur.ETag
	res, err = l.container.ReplaceItem(ctx, pk, name, doc, &azcosmos.ItemOptions{IfMatchEtag: &etag})
	if err != nil {
		return nil, translate(err)
	}
	return l.releaser(name, owner, res.ETag), nil
}

func (l *Leases) releaser(name, owner string, etag azcore.ETag) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := l.container.DeleteItem(ctx, azcosmos.NewPartitionKeyString(name), name, &azcosmos.ItemOptions{IfMatchEtag: &etag})
		if err != nil {
			return fmt.Errorf("releasing lease %s held by %s: %w", name, owner, translate(err))
		}
		return nil
	}
}
