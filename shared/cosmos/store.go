package cosmos

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
)

// Store reads and writes media titles in the media container. Every method
// translates Cosmos failures into apperr kinds: 404 → NotFound,
// 409/412 → Conflict, 429 and 5xx → Unavailable.
type Store struct {
	container *azcosmos.ContainerClient
	outside   *OutsideWrites
}

// NewStore returns a Store over the media container. outside is the log of
// titles written outside ingestion: Upsert and Replace record to it, and
// WrittenOutside reads it. Every deployed Store has one (cmd/handler); nil
// is for tests and benchmarks that seed a container no manifest relies on,
// and turns the ingest manifest's shortcut off (WrittenOutside fails).
func NewStore(container *azcosmos.ContainerClient, outside *OutsideWrites) *Store {
	return &Store{container: container, outside: outside}
}

// Get is a point read by id (the partition key is /id): 1 RU per KB, never a query.
func (s *Store) Get(ctx context.Context, id string) (_ *catalog.Title, etag string, err error) {
	t, etag, _, err := s.GetDelivered(ctx, id)
	return t, etag, err
}

// getIfNoneMatch is a conditional point read: it asks Cosmos to answer
// 304 Not Modified, without a body, when the stored document still has etag.
// unchanged is true then, and also when the server ignores If-None-Match on
// reads but answers the same ETag (the local cosmosdb-server does: it always
// sends 200 with the document), so the caller keeps its decoded copy either
// way. Otherwise body is the current document and newETag its ETag.
func (s *Store) getIfNoneMatch(ctx context.Context, id, etag string) (body []byte, newETag string, unchanged bool, err error) {
	ctx = policy.WithHTTPHeader(ctx, http.Header{"If-None-Match": []string{etag}})
	res, err := s.container.ReadItem(ctx, azcosmos.NewPartitionKeyString(id), id, nil)
	if err != nil {
		return nil, "", false, translate(err)
	}
	if res.RawResponse != nil && res.RawResponse.StatusCode == http.StatusNotModified {
		return nil, etag, true, nil
	}
	if string(res.ETag) == etag {
		return nil, etag, true, nil
	}
	return res.Value, string(res.ETag), false, nil
}

// Upsert writes t whatever is stored, and returns the new ETag. It is a
// write outside ingestion: t is recorded in the outside writes log first.
func (s *Store) Upsert(ctx context.Context, t *catalog.Title) (etag string, err error) {
	defer apperr.Wrap(&err, "cosmos.Upsert(%q)", t.ID)
	body, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	ctx, cancel, err := s.recordOutside(ctx, t.ID)
	if err != nil {
		return "", err
	}
	defer cancel()
	res, err := s.container.UpsertItem(ctx, azcosmos.NewPartitionKeyString(t.ID), body, &azcosmos.ItemOptions{EnableContentResponseOnWrite: false})
	if err != nil {
		return "", translate(err)
	}
	return string(res.ETag), nil
}

// Replace writes t only if the stored document still has ifMatch as its ETag
// (optimistic concurrency for merges); a concurrent change gives Conflict.
// Like Upsert it is a write outside ingestion, recorded first.
func (s *Store) Replace(ctx context.Context, t *catalog.Title, ifMatch string) (etag string, err error) {
	defer apperr.Wrap(&err, "cosmos.Replace(%q)", t.ID)
	body, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	ctx, cancel, err := s.recordOutside(ctx, t.ID)
	if err != nil {
		return "", err
	}
	defer cancel()
	e := azcore.ETag(ifMatch)
	res, err := s.container.ReplaceItem(ctx, azcosmos.NewPartitionKeyString(t.ID), t.ID, body, &azcosmos.ItemOptions{IfMatchEtag: &e})
	if err != nil {
		return "", translate(err)
	}
	return string(res.ETag), nil
}

// recordOutside records id in the outside writes log (when the Store has
// one) and returns the context of the write that follows, bounded by
// OutsideWriteDeadline so that the entry's time stays close to the write's.
func (s *Store) recordOutside(ctx context.Context, id string) (context.Context, context.CancelFunc, error) {
	if s.outside == nil {
		return ctx, func() {}, nil
	}
	if err := s.outside.Record(ctx, id); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, OutsideWriteDeadline)
	return ctx, cancel, nil
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

// TitleCache serves point reads of titles from a bounded in-process cache of
// decoded titles, revalidated on every read: each Get sends a conditional
// point read (If-None-Match with the cached _etag), so a title is never
// served without Cosmos confirming it is current. Real Cosmos answers an
// unchanged title with 304 and no body (about 1 RU); what the cache saves is
// the transfer and the JSON decoding of the document, never the round trip.
//
// FreshFor, when set, serves a title confirmed by Cosmos less than FreshFor
// ago without asking again (micro-caching): the one place where a read may be
// stale, by at most FreshFor. The detail route tells clients
// "Cache-Control: private, max-age=60", so a few seconds here never weakens
// the freshness the API already promises; the handler sets it from
// DETAIL_FRESH_FOR (0 turns it off: every read revalidates).
//
// At most Capacity titles are kept; the least recently read is evicted.
// The titles it returns are shared between callers and must not be modified.
// TitleCache is safe for concurrent use.
type TitleCache struct {
	store    *Store
	capacity int
	// FreshFor is set before the first Get; see above.
	FreshFor time.Duration
	// Now is time.Now unless a test sets it before the first Get.
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element // id → element holding a *cachedTitle
	recency *list.List               // front: most recently read

	revalidated, fetched, fresh atomic.Int64
}

type cachedTitle struct {
	id    string
	etag  string
	title *catalog.Title
	// confirmed is when Cosmos last said etag is current.
	confirmed time.Time
}

// NewTitleCache returns a cache of at most capacity titles over store
// (capacity < 1 means 1).
func NewTitleCache(store *Store, capacity int) *TitleCache {
	return &TitleCache{store: store, capacity: max(1, capacity), Now: time.Now, entries: map[string]*list.Element{}, recency: list.New()}
}

// Get returns the current title with its ETag, like Store.Get: from the
// cache when Cosmos confirms the cached ETag is current, else decoded from
// the document Cosmos returned (and cached). A title Cosmos no longer has
// is dropped from the cache and gives NotFound.
func (c *TitleCache) Get(ctx context.Context, id string) (_ *catalog.Title, etag string, err error) {
	defer apperr.Wrap(&err, "cosmos.TitleCache.Get(%q)", id)
	cached, ok := c.lookup(id)
	asked := c.Now()
	if !ok {
		t, etag, err := c.store.Get(ctx, id)
		if err != nil {
			return nil, "", err
		}
		c.fetched.Add(1)
		c.put(id, etag, t, asked)
		return t, etag, nil
	}
	if c.FreshFor > 0 && asked.Sub(cached.confirmed) < c.FreshFor {
		c.fresh.Add(1)
		return cached.title, cached.etag, nil
	}
	body, etag, unchanged, err := c.store.getIfNoneMatch(ctx, id, cached.etag)
	if err != nil {
		if errors.Is(err, apperr.NotFound) {
			c.remove(id)
		}
		return nil, "", err
	}
	if unchanged {
		c.revalidated.Add(1)
		c.put(id, cached.etag, cached.title, asked)
		return cached.title, cached.etag, nil
	}
	var t catalog.Title
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, "", fmt.Errorf("decoding title: %w", err)
	}
	c.fetched.Add(1)
	c.put(id, etag, &t, asked)
	return &t, etag, nil
}

// TitleCacheStats counts what the cache did.
type TitleCacheStats struct {
	// Revalidated reads served the cached title after Cosmos confirmed its ETag.
	Revalidated int64
	// Fresh reads served the cached title within FreshFor of its last
	// confirmation, without a round trip.
	Fresh int64
	// Fetched reads decoded a title: not cached, or changed since.
	Fetched int64
	// Len is the number of titles held now.
	Len int
}

// Stats returns the counts so far.
func (c *TitleCache) Stats() TitleCacheStats {
	c.mu.Lock()
	n := c.recency.Len()
	c.mu.Unlock()
	return TitleCacheStats{Revalidated: c.revalidated.Load(), Fresh: c.fresh.Load(), Fetched: c.fetched.Load(), Len: n}
}

// lookup returns a copy of id's entry (marking it most recently read).
func (c *TitleCache) lookup(id string) (cachedTitle, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[id]
	if !ok {
		return cachedTitle{}, false
	}
	c.recency.MoveToFront(el)
	return *el.Value.(*cachedTitle), true
}

// put stores t as id's current title and evicts the least recently read
// titles beyond capacity. Two concurrent reads may store in either order: an
// older version left behind is only a cache miss for the next read, which
// revalidates it against Cosmos like any other.
func (c *TitleCache) put(id, etag string, t *catalog.Title, confirmed time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[id]; ok {
		el.Value = &cachedTitle{id: id, etag: etag, title: t, confirmed: confirmed}
		c.recency.MoveToFront(el)
		return
	}
	c.entries[id] = c.recency.PushFront(&cachedTitle{id: id, etag: etag, title: t, confirmed: confirmed})
	for c.recency.Len() > c.capacity {
		oldest := c.recency.Back()
		c.recency.Remove(oldest)
		delete(c.entries, oldest.Value.(*cachedTitle).id)
	}
}

func (c *TitleCache) remove(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[id]; ok {
		c.recency.Remove(el)
		delete(c.entries, id)
	}
}
