package cosmos_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func testStore(t *testing.T) *cosmos.Store {
	t.Helper()
	return cosmos.NewStore(stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("media")), nil)
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

func cacheTitle(id, name string, version int64) *catalog.Title {
	return &catalog.Title{ID: id, SchemaVersion: catalog.SchemaVersion, Status: catalog.StatusActive, Name: name,
		MediaType: catalog.MediaPrint, UpdatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Version: version}
}

func TestTitleCacheRevalidatesEveryRead(t *testing.T) {
	t.Parallel()
	container := stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("media"))
	store := cosmos.NewStore(container, nil)
	cache := cosmos.NewTitleCache(store, 10)
	ctx := t.Context()
	id := catalog.StableID("cache", "revalidate")
	if _, err := store.Upsert(ctx, cacheTitle(id, "Le Soir", 1)); err != nil {
		t.Fatal(err)
	}

	first, etag1, err := cache.Get(ctx, id)
	if err != nil || first.Name != "Le Soir" {
		t.Fatalf("first Get = %+v, %v", first, err)
	}
	again, etag, err := cache.Get(ctx, id)
	if err != nil || again != first || etag != etag1 {
		t.Fatalf("second Get = %p %q %v; want the cached %p with %q", again, etag, err, first, etag1)
	}
	if st := cache.Stats(); st.Fetched != 1 || st.Revalidated != 1 {
		t.Errorf("stats = %+v, want 1 fetched, 1 revalidated", st)
	}

	// A write elsewhere: the next read sees it, with the new ETag.
	etag2, err := store.Upsert(ctx, cacheTitle(id, "Le Soir Plus", 2))
	if err != nil {
		t.Fatal(err)
	}
	changed, etag, err := cache.Get(ctx, id)
	if err != nil || changed.Name != "Le Soir Plus" || changed.Version != 2 || etag != etag2 || etag == etag1 {
		t.Fatalf("after the write Get = %+v %q %v; want version 2 with %q", changed, etag, err, etag2)
	}
	if first.Name != "Le Soir" {
		t.Errorf("the title handed out before was modified: %+v", first)
	}

	// A title deleted elsewhere: NotFound, and no longer cached.
	if _, err := container.DeleteItem(ctx, azcosmos.NewPartitionKeyString(id), id, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cache.Get(ctx, id); !errors.Is(err, apperr.NotFound) {
		t.Errorf("after delete: err = %v, want NotFound", err)
	}
	if st := cache.Stats(); st.Len != 0 {
		t.Errorf("after delete the cache holds %d titles, want 0", st.Len)
	}
}

func TestTitleCacheEvictsLeastRecentlyRead(t *testing.T) {
	t.Parallel()
	store := testStore(t)
	ctx := t.Context()
	ids := map[string]string{}
	for _, key := range []string{"a", "b", "c"} {
		ids[key] = catalog.StableID("cache", key)
		if _, err := store.Upsert(ctx, cacheTitle(ids[key], key, 1)); err != nil {
			t.Fatal(err)
		}
	}
	cache := cosmos.NewTitleCache(store, 2)
	read := func(key string) {
		t.Helper()
		if got, _, err := cache.Get(ctx, ids[key]); err != nil || got.Name != key {
			t.Fatalf("Get(%s) = %+v, %v", key, got, err)
		}
	}
	// a, b, a again, then c: b is the least recently read, so c evicts it.
	for _, key := range []string{"a", "b", "a", "c"} {
		read(key)
	}
	if st := cache.Stats(); st.Len != 2 || st.Fetched != 3 || st.Revalidated != 1 {
		t.Fatalf("stats = %+v, want 2 held, 3 fetched, 1 revalidated", st)
	}
	read("a") // still cached
	read("c") // still cached
	read("b") // evicted: fetched again, evicting a
	if st := cache.Stats(); st.Len != 2 || st.Fetched != 4 || st.Revalidated != 3 {
		t.Errorf("stats = %+v, want 2 held, 4 fetched, 3 revalidated", st)
	}
}

// notModified answers conditional reads the way real Cosmos does (304, no
// body) on top of the local cosmosdb-server, which ignores If-None-Match on
// point reads and always answers 200 with the document.
type notModified struct{ served atomic.Int64 }

func (p *notModified) Do(req *policy.Request) (*http.Response, error) {
	res, err := req.Next()
	// The header is set by the pipeline's per-call header policy, after this one.
	inm := req.Raw().Header.Get("If-None-Match")
	if err != nil || inm == "" || res.StatusCode != http.StatusOK || res.Header.Get("Etag") != inm {
		return res, err
	}
	_ = res.Body.Close()
	p.served.Add(1)
	return &http.Response{Status: "304 Not Modified", StatusCode: http.StatusNotModified, Proto: res.Proto, ProtoMajor: res.ProtoMajor, ProtoMinor: res.ProtoMinor,
		Header: res.Header.Clone(), Body: http.NoBody, Request: res.Request}, nil
}

func TestTitleCacheOnNotModified(t *testing.T) {
	t.Parallel()
	db := stacktest.CosmosDatabase(t)
	if _, err := db.CreateContainer(t.Context(), cosmos.MediaContainerProperties("media"), nil); err != nil {
		t.Fatal(err)
	}
	fake304 := &notModified{}
	client, err := cosmos.NewClient(cosmos.ClientConfig{Endpoint: stacktest.CosmosEndpoint, Key: stacktest.CosmosKey,
		CAFile: stacktest.CosmosCAFile(), PerRetryPolicies: []policy.Policy{fake304}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	container, err := client.NewContainer(db.ID(), "media")
	if err != nil {
		t.Fatal(err)
	}
	store := cosmos.NewStore(container, nil)
	cache := cosmos.NewTitleCache(store, 10)
	ctx := t.Context()
	id := catalog.StableID("cache", "304")
	if _, err := store.Upsert(ctx, cacheTitle(id, "Knack", 1)); err != nil {
		t.Fatal(err)
	}
	first, etag1, err := cache.Get(ctx, id)
	if err != nil || fake304.served.Load() != 0 {
		t.Fatalf("first Get: %v (%d 304s); an uncached read must be unconditional", err, fake304.served.Load())
	}
	got, etag, err := cache.Get(ctx, id)
	if err != nil || got != first || etag != etag1 || fake304.served.Load() != 1 {
		t.Fatalf("revalidation = %p %q %v after %d 304s; want the cached title on one 304", got, etag, err, fake304.served.Load())
	}
	if _, err := store.Upsert(ctx, cacheTitle(id, "Knack Focus", 2)); err != nil {
		t.Fatal(err)
	}
	got, etag, err = cache.Get(ctx, id)
	if err != nil || got.Name != "Knack Focus" || etag == etag1 || fake304.served.Load() != 1 {
		t.Errorf("after a write Get = %+v %q %v (%d 304s); want the new title from a 200", got, etag, err, fake304.served.Load())
	}
}

// TestTitleCacheConcurrentReadsAndWrites runs readers over more titles than
// the cache holds while a writer updates them (run with -race); once the
// writes are done, every read returns the last version.
func TestTitleCacheConcurrentReadsAndWrites(t *testing.T) {
	t.Parallel()
	store := testStore(t)
	ctx := t.Context()
	const titles, versions = 5, 6
	var ids []string
	for i := range titles {
		id := catalog.StableID("cache", fmt.Sprint("concurrent", i))
		ids = append(ids, id)
		if _, err := store.Upsert(ctx, cacheTitle(id, "v1", 1)); err != nil {
			t.Fatal(err)
		}
	}
	cache := cosmos.NewTitleCache(store, 3)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for r := range 6 {
		wg.Go(func() {
			for i := range 20 {
				got, _, err := cache.Get(ctx, ids[(r+i)%titles])
				if err != nil {
					errs <- err
					return
				}
				if got.Name != fmt.Sprint("v", got.Version) {
					errs <- fmt.Errorf("title %s: name %q with version %d", got.ID, got.Name, got.Version)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for v := int64(2); v <= versions; v++ {
			for _, id := range ids {
				if _, err := store.Upsert(ctx, cacheTitle(id, fmt.Sprint("v", v), v)); err != nil {
					errs <- err
					return
				}
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range ids {
		if got, _, err := cache.Get(ctx, id); err != nil || got.Version != versions {
			t.Errorf("after the writes Get(%s) = %+v, %v; want version %d", id, got, err, versions)
		}
	}
	if st := cache.Stats(); st.Len > 3 {
		t.Errorf("the cache holds %d titles, capacity 3", st.Len)
	}
}

// TestTitleCacheFreshFor: within FreshFor of its last confirmation a title is
// served without asking Cosmos (a write elsewhere is not seen yet); after it,
// the read revalidates and sees the write.
func TestTitleCacheFreshFor(t *testing.T) {
	t.Parallel()
	container := stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("media"))
	store := cosmos.NewStore(container, nil)
	cache := cosmos.NewTitleCache(store, 10)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	cache.Now = func() time.Time { return now }
	cache.FreshFor = 5 * time.Second
	ctx := t.Context()
	id := catalog.StableID("cache", "fresh")
	if _, err := store.Upsert(ctx, cacheTitle(id, "Metro", 1)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cache.Get(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Upsert(ctx, cacheTitle(id, "Metro Brussel", 2)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(4 * time.Second)
	if got, _, err := cache.Get(ctx, id); err != nil || got.Name != "Metro" {
		t.Fatalf("within FreshFor: %+v, %v; want the cached version 1", got, err)
	}
	if st := cache.Stats(); st.Fresh != 1 || st.Fetched != 1 || st.Revalidated != 0 {
		t.Errorf("stats %+v, want 1 fetched and 1 fresh", st)
	}
	now = now.Add(2 * time.Second) // 6 s after the confirmation
	if got, _, err := cache.Get(ctx, id); err != nil || got.Name != "Metro Brussel" {
		t.Fatalf("after FreshFor: %+v, %v; want version 2", got, err)
	}
	// The reread confirmed version 2 just now: fresh again for 5 s.
	now = now.Add(time.Second)
	if got, _, _ := cache.Get(ctx, id); got.Name != "Metro Brussel" || cache.Stats().Fresh != 2 {
		t.Errorf("the reread did not restart the fresh window: %+v %+v", got, cache.Stats())
	}
}
