package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/health"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func sampleTitle() *catalog.Title {
	t := &catalog.Title{ID: catalog.StableID("rossel", "LS-01"), SchemaVersion: catalog.SchemaVersion,
		Status: catalog.StatusActive, Name: "Le Soir", MediaType: catalog.MediaPrint, SubType: catalog.SubDaily,
		Coverage:   catalog.Coverage{Countries: []string{"BE"}},
		Headline:   map[string]catalog.Headline{"readership": {Value: 412000, Universe: "BE 15+", Period: "2024"}},
		Contacts:   []catalog.Contact{{Role: "sales", Name: "Marie Dubois", Email: "marie.dubois@example.be"}},
		AdProducts: []catalog.AdProduct{{ID: "ap_1", Channel: catalog.MediaPrint, Kind: "display", Prices: []catalog.Price{{AmountMinor: 1250000, Currency: "EUR", Basis: "per_insertion"}}}},
		UpdatedAt:  time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Version: 3}
	t.Description.Set(catalog.FR, "Quotidien belge francophone", false)
	t.Description.Set(catalog.NL, "Franstalig Belgisch dagblad", true)
	return t
}

// countingReader is a MediaReader over the real Cosmos store that counts reads.
type countingReader struct {
	MediaReader
	reads int
}

func (c *countingReader) Get(ctx context.Context, id string) (*catalog.Title, string, error) {
	c.reads++
	return c.MediaReader.Get(ctx, id)
}

func mediaServer(t *testing.T) (http.Handler, *countingReader) {
	t.Helper()
	store := cosmos.NewStore(stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("media")), nil)
	if _, err := store.Upsert(t.Context(), sampleTitle()); err != nil {
		t.Fatal(err)
	}
	reader := &countingReader{MediaReader: store}
	return New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Health: health.New(time.Second, nil), Media: reader, Auth: fakeAuth}).Handler(), reader
}

func TestGetMedia(t *testing.T) {
	t.Parallel()
	h, reader := mediaServer(t)
	id := sampleTitle().ID

	rec := get(t, h, "/api/media/"+id+"?lang=nl", nil)
	var v mediaView
	decodeOK(t, rec, &v)
	if v.Name != "Le Soir" || v.SubType.Label != "Dagblad" || v.MediaType.Label != "Print" {
		t.Errorf("view = %+v", v)
	}
	// The Dutch text is machine-translated: human French text wins.
	if v.Description == nil || v.Description.Lang != "fr" || v.Description.MachineTranslated {
		t.Errorf("description = %+v, want the human French text", v.Description)
	}
	if len(v.Audience) != 1 || v.Audience[0].Value != 412000 {
		t.Errorf("audience = %+v", v.Audience)
	}
	body := rec.Body.String()
	for _, withheld := range []string{"Marie", "example.be", "1250000", "amountMinor"} {
		if strings.Contains(body, withheld) {
			t.Errorf("a viewer's detail leaks %q: %s", withheld, body)
		}
	}
	etag := rec.Header().Get("ETag")
	if !strings.HasPrefix(etag, `"`) || rec.Header().Get("Cache-Control") == "" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, rec.Header().Get("Cache-Control"))
	}

	// Revalidation: same language and ETag → 304 without a body.
	rec = get(t, h, "/api/media/"+id+"?lang=nl", map[string]string{"If-None-Match": etag})
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("revalidation = %d with %d bytes, want 304 and no body", rec.Code, rec.Body.Len())
	}
	// Another language is another representation: full answer.
	rec = get(t, h, "/api/media/"+id+"?lang=fr", map[string]string{"If-None-Match": etag})
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") == etag {
		t.Errorf("other language = %d etag %q, want 200 with a different ETag", rec.Code, rec.Header().Get("ETag"))
	}
	if reader.reads != 3 {
		t.Errorf("reads = %d, want one point read per request", reader.reads)
	}
	// A subscriber sees contacts and prices: another representation, so the
	// viewer's ETag does not revalidate it.
	rec = get(t, h, "/api/media/"+id+"?lang=nl", map[string]string{"Authorization": asSubscriber, "If-None-Match": etag})
	var sv mediaView
	decodeOK(t, rec, &sv)
	if rec.Header().Get("ETag") == etag {
		t.Errorf("subscriber and viewer representations share the ETag %s", etag)
	}
	if len(sv.Contacts) != 1 || sv.Contacts[0].Email != "marie.dubois@example.be" {
		t.Errorf("subscriber contacts = %+v", sv.Contacts)
	}
	if len(sv.AdProducts) != 1 || len(sv.AdProducts[0].Prices) != 1 || sv.AdProducts[0].Prices[0].AmountMinor != 1250000 {
		t.Errorf("subscriber ad products = %+v", sv.AdProducts)
	}

	for _, tc := range []struct {
		path   string
		status int
		param  string
	}{
		{"/api/media/mt_doesnotexist0000000", http.StatusNotFound, ""},
		{"/api/media/" + strings.Repeat("x", 65), http.StatusBadRequest, "id"},
		{"/api/media/bad%20id", http.StatusBadRequest, "id"},
	} {
		rec := get(t, h, tc.path, nil)
		var p apperr.Problem
		if rec.Code != tc.status || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Param != tc.param {
			t.Errorf("%s = %d %s, want %d param %q", tc.path, rec.Code, rec.Body, tc.status, tc.param)
		}
	}
}

// TestGetMediaThroughTitleCache: with the ETag-revalidated title cache as
// its reader, the detail route answers a title changed since it was cached
// with the new version and a new ETag, and revalidates the new one with 304.
func TestGetMediaThroughTitleCache(t *testing.T) {
	t.Parallel()
	store := cosmos.NewStore(stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("media")), nil)
	title := sampleTitle()
	if _, err := store.Upsert(t.Context(), title); err != nil {
		t.Fatal(err)
	}
	cache := cosmos.NewTitleCache(store, 8)
	h := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Health: health.New(time.Second, nil), Media: cache, Auth: fakeAuth}).Handler()
	target := "/api/media/" + title.ID + "?lang=fr"

	var v mediaView
	rec := get(t, h, target, nil)
	decodeOK(t, rec, &v)
	oldETag := rec.Header().Get("ETag")
	if rec = get(t, h, target, map[string]string{"If-None-Match": oldETag}); rec.Code != http.StatusNotModified {
		t.Fatalf("revalidating the cached title = %d, want 304", rec.Code)
	}

	title.Name, title.Version = "Le Soir Week-end", 4
	if _, err := store.Upsert(t.Context(), title); err != nil {
		t.Fatal(err)
	}
	rec = get(t, h, target, map[string]string{"If-None-Match": oldETag})
	decodeOK(t, rec, &v)
	newETag := rec.Header().Get("ETag")
	if v.Name != "Le Soir Week-end" || v.Version != 4 || newETag == oldETag {
		t.Errorf("after a write: %q version %d ETag %s (before %s); want the new title and a new ETag", v.Name, v.Version, newETag, oldETag)
	}
	if rec = get(t, h, target, map[string]string{"If-None-Match": newETag}); rec.Code != http.StatusNotModified {
		t.Errorf("revalidating the new ETag = %d, want 304", rec.Code)
	}
	if st := cache.Stats(); st.Fetched != 2 || st.Revalidated != 2 {
		t.Errorf("cache stats = %+v, want 2 fetched (first read, after the write) and 2 revalidated", st)
	}
}

func TestEtagMatches(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{`"abc"`, true}, {`W/"abc"`, true}, {`"x", "abc"`, true}, {`*`, true}, {`"abd"`, false}, {``, false},
	} {
		if got := etagMatches(tc.header, `"abc"`); got != tc.want {
			t.Errorf("etagMatches(%s) = %v, want %v", tc.header, got, tc.want)
		}
	}
}
