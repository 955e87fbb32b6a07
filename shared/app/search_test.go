package app

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/health"
	"github.com/mediaspecs/catalogue/shared/search/searchtest"
)

func searchServer(t *testing.T) http.Handler {
	t.Helper()
	_, searcher := searchtest.Load(t)
	labels := func(facet, value, lang string) string {
		if facet == "subtype" && value == "daily" && lang == "nl" {
			return "Dagblad"
		}
		return value
	}
	return New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Health: health.New(time.Second, nil),
		Search: searcher, Labels: labels, Auth: fakeAuth}).Handler()
}

func get(t *testing.T, h http.Handler, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Authorization", asViewer)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSearchAPI(t *testing.T) {
	t.Parallel()
	h := searchServer(t)

	t.Run("text query in the requested language", func(t *testing.T) {
		rec := get(t, h, "/api/search?q=liberation&lang=fr", nil)
		var out searchResponse
		decodeOK(t, rec, &out)
		if len(out.Hits) == 0 || out.Hits[0].ID != "fr-liberation" || out.Hits[0].Description == "" {
			t.Fatalf("hits = %+v", out.Hits)
		}
		if rec.Header().Get("Content-Language") != "fr" {
			t.Errorf("Content-Language = %q", rec.Header().Get("Content-Language"))
		}
		if len(out.Hits[0].Highlights["name"]) == 0 {
			t.Errorf("no name highlight: %+v", out.Hits[0].Highlights)
		}
	})

	t.Run("Accept-Language picks labels and falls back per field", func(t *testing.T) {
		rec := get(t, h, "/api/search?type=print&subtype=daily&country=BE", map[string]string{"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"})
		var out searchResponse
		decodeOK(t, rec, &out)
		if out.Lang != "nl" {
			t.Errorf("lang = %q, want nl", out.Lang)
		}
		for _, b := range out.Facets["subtype"] {
			if b.Value == "daily" && b.Label != "Dagblad" {
				t.Errorf("daily label = %q, want Dagblad", b.Label)
			}
		}
		byID := map[string]searchHit{}
		for _, h := range out.Hits {
			byID[h.ID] = h
		}
		// L'Echo has only French text: the nl response falls back to it.
		if byID["be-lecho"].Description == "" || byID["be-destandaard"].Description != "Vlaamse krant met nieuws en opinie" {
			t.Errorf("descriptions = %q / %q", byID["be-lecho"].Description, byID["be-destandaard"].Description)
		}
	})

	t.Run("comma-joined and repeated filter values are the same", func(t *testing.T) {
		var a, b searchResponse
		decodeOK(t, get(t, h, "/api/search?country=FR,LU", nil), &a)
		decodeOK(t, get(t, h, "/api/search?country=FR&country=LU", nil), &b)
		if a.Total != 3 || a.Total != b.Total {
			t.Errorf("totals = %d and %d, want 3 and 3", a.Total, b.Total)
		}
	})

	t.Run("a selected facet keeps its other values", func(t *testing.T) {
		var out searchResponse
		decodeOK(t, get(t, h, "/api/search?type=print&country=BE", nil), &out)
		counts := func(facet string) map[string]int64 {
			m := map[string]int64{}
			for _, b := range out.Facets[facet] {
				m[b.Value] = b.Count
			}
			return m
		}
		// Hits: the 8 active BE print titles; the type facet still offers
		// online (Metra), the country facet FR and LU among print titles.
		if out.Total != 8 {
			t.Errorf("total = %d, want 8", out.Total)
		}
		if got := counts("type"); got["print"] != 8 || got["online"] != 1 {
			t.Errorf("type facet = %v, want print 8 and online 1", got)
		}
		if got := counts("country"); got["BE"] != 8 || got["FR"] != 1 || got["LU"] != 1 {
			t.Errorf("country facet = %v, want BE 8, FR 1, LU 1", got)
		}
	})

	t.Run("cursor pages through everything", func(t *testing.T) {
		seen := map[string]bool{}
		target := "/api/search?sort=name&page_size=5"
		for i := 0; i < 5; i++ {
			var out searchResponse
			decodeOK(t, get(t, h, target, nil), &out)
			for _, hit := range out.Hits {
				if seen[hit.ID] {
					t.Fatalf("%s returned twice", hit.ID)
				}
				seen[hit.ID] = true
			}
			if out.NextCursor == "" {
				break
			}
			target = "/api/search?sort=name&page_size=5&cursor=" + url.QueryEscape(out.NextCursor)
		}
		if len(seen) != 12 {
			t.Errorf("paged through %d titles, want 12", len(seen))
		}
	})

	for _, tc := range []struct{ name, target, param string }{
		{"page size over the limit", "/api/search?page_size=101", "page_size"},
		{"page size zero", "/api/search?page_size=0", "page_size"},
		{"price not a number", "/api/search?price_basis=cpm&price_max=cheap", "price_max"},
		{"price with three decimals", "/api/search?price_basis=cpm&price_max=1.005", "price_max"},
		{"price without basis", "/api/search?price_max=100", "price_basis"},
		{"negative circulation", "/api/search?circulation_min=-5", "circulation_min"},
		{"unknown language", "/api/search?lang=es", "lang"},
		{"unknown sort", "/api/search?sort=price", "sort"},
		{"broken cursor", "/api/search?sort=name&cursor=not-a-cursor", "cursor"},
		{"suggest without text", "/api/suggest?q=", "q"},
		{"suggest size", "/api/suggest?q=li&size=500", "size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Validation does not depend on the role; price filters need a subscriber.
			rec := get(t, h, tc.target, map[string]string{"Authorization": asSubscriber})
			if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s → %d %q: %s", tc.target, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			var p apperr.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Param != tc.param || p.Detail == "" {
				t.Errorf("problem = %+v, want param %q with a reason", p, tc.param)
			}
		})
	}

	t.Run("suggest", func(t *testing.T) {
		var out struct {
			Suggestions []struct{ ID, Name string } `json:"suggestions"`
		}
		decodeOK(t, get(t, h, "/api/suggest?q=t%C3%A9l%C3%A9", nil), &out)
		if len(out.Suggestions) == 0 || out.Suggestions[0].ID != "be-telemoustique" {
			t.Errorf("suggestions = %+v", out.Suggestions)
		}
	})
}

func decodeOK(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatal(err)
	}
}
