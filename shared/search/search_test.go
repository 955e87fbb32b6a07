package search_test

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/search/searchtest"
)

func i64(v int64) *int64 { return &v }

func fixture() []search.Doc { return searchtest.Fixture() }

func loaded(t *testing.T) (*search.Admin, *search.Searcher) { return searchtest.Load(t) }

func ids(r *search.Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Doc.ID)
	}
	return out
}

func TestSearchLanguageBehaviour(t *testing.T) {
	t.Parallel()
	_, s := loaded(t)
	for _, tc := range []struct {
		name, q, lang string
		wantFirst     string   // the best hit, when ranking matters
		wantAll       []string // ids that must be among the hits
		wantNone      []string // ids that must not be
	}{
		{name: "accents folded", q: "liberation", wantFirst: "fr-liberation"},
		{name: "accents kept", q: "Libération", wantFirst: "fr-liberation"},
		{name: "french elision", q: "echo", wantAll: []string{"be-lecho", "be-grenzecho"}},
		{name: "accented compound", q: "tele moustique", wantFirst: "be-telemoustique"},
		{name: "french stemming", q: "quotidiens economiques", lang: "fr", wantFirst: "be-lecho"},
		{name: "dutch stemming", q: "tijdschrift", lang: "nl", wantAll: []string{"be-knack"}},
		{name: "german stemming and umlauts", q: "grosste tageszeitungen", lang: "de", wantFirst: "lu-wort"},
		{name: "english stemming", q: "magazine", lang: "en", wantAll: []string{"be-bruzz"}},
		{name: "typo in a name", q: "Liberatoin", wantFirst: "fr-liberation"},
		{name: "first letter is never fuzzy", q: "iberation", wantNone: []string{"fr-liberation"}},
		{name: "exact name beats a fuzzy neighbour", q: "metro", wantFirst: "be-metro", wantAll: []string{"be-metra"}},
		{name: "synonym nl to fr/de labels", q: "krant", wantAll: []string{"fr-liberation", "be-destandaard", "be-grenzecho", "lu-wort"}},
		{name: "synonym fr to nl free sheet", q: "toutes-boîtes", wantFirst: "be-destreekkrant"},
		{name: "multi-word synonym en to fr", q: "bus shelter", wantFirst: "fr-abribus"},
		{name: "closed titles hidden by default", q: "soir magazine", wantNone: []string{"be-soirmag"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.Search(t.Context(), search.Query{Text: tc.q, Lang: tc.lang})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(res)
			if tc.wantFirst != "" && (len(got) == 0 || got[0] != tc.wantFirst) {
				t.Errorf("q=%q: hits %v, want %s first", tc.q, got, tc.wantFirst)
			}
			for _, id := range tc.wantAll {
				if !slices.Contains(got, id) {
					t.Errorf("q=%q: hits %v, want %s among them", tc.q, got, id)
				}
			}
			for _, id := range tc.wantNone {
				if slices.Contains(got, id) {
					t.Errorf("q=%q: hits %v, must not contain %s", tc.q, got, id)
				}
			}
		})
	}
}

func TestSearchFiltersFacetsAndRanges(t *testing.T) {
	t.Parallel()
	_, s := loaded(t)
	res, err := s.Search(t.Context(), search.Query{Filters: map[string][]string{"country": {"BE"}, "type": {"print"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.Doc.Coverage.Countries[0] != "BE" || h.Doc.MediaType != "print" || h.Doc.Status != "active" {
			t.Errorf("hit %s violates the filters: %+v", h.Doc.ID, h.Doc)
		}
	}
	// BE print active: L'Echo, De Standaard, Grenz-Echo, Knack, Télé-Moustique, De Streekkrant, Bruzz, Metro.
	if res.Total != 8 {
		t.Errorf("total = %d, want 8 (%v)", res.Total, ids(res))
	}
	counts := map[string]int64{}
	for _, b := range res.Facets["subtype"] {
		counts[b.Value] = b.Count
	}
	if counts["daily"] != 3 || counts["magazine"] != 3 || counts["free_sheet"] != 2 {
		t.Errorf("subtype facet = %v, want daily 3, magazine 3, free_sheet 2", res.Facets["subtype"])
	}

	res, err = s.Search(t.Context(), search.Query{Circulation: search.Range{Min: i64(50000)}, Sort: search.SortCirculation})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res); !slices.Equal(got, []string{"be-destandaard", "fr-liberation"}) {
		t.Errorf("circulation ≥ 50000 sorted = %v, want [be-destandaard fr-liberation]", got)
	}

	// Prices compare within one basis: the 18 EUR CPM must not pass a per-insertion range.
	res, err = s.Search(t.Context(), search.Query{Price: &search.PriceRange{Basis: "per_insertion", Currency: "EUR", Max: i64(3000000)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res); !slices.Equal(got, []string{"fr-liberation"}) {
		t.Errorf("per-insertion ≤ 30000 EUR = %v, want [fr-liberation]", got)
	}
}

func facetCounts(r *search.Result, facet string) map[string]int64 {
	counts := map[string]int64{}
	for _, b := range r.Facets[facet] {
		counts[b.Value] = b.Count
	}
	return counts
}

// TestSearchMultiSelectFacets: facet filters narrow the hits and the OTHER
// facets, never their own facet, so a UI can offer the values next to the
// one selected with the counts they would have.
func TestSearchMultiSelectFacets(t *testing.T) {
	t.Parallel()
	_, s := loaded(t)
	ctx := t.Context()
	res, err := s.Search(ctx, search.Query{Filters: map[string][]string{"type": {"print"}, "country": {"BE"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Hits honour every filter: the 8 active BE print titles.
	if res.Total != 8 {
		t.Errorf("total = %d, want 8 (%v)", res.Total, ids(res))
	}
	for _, h := range res.Hits {
		if h.Doc.MediaType != "print" || h.Doc.Coverage.Countries[0] != "BE" || h.Doc.Status != "active" {
			t.Errorf("hit %s violates the filters", h.Doc.ID)
		}
	}
	for _, tc := range []struct {
		facet string
		want  map[string]int64
	}{
		// The selected type still lists online (Metra, BE) as if type were
		// unselected; outdoor (Abribus) is FR, so country=BE leaves it out.
		{"type", map[string]int64{"print": 8, "online": 1}},
		// The selected country lists FR and LU under type=print only.
		{"country", map[string]int64{"BE": 8, "FR": 1, "LU": 1}},
		// Facets not selected are narrowed by both selections.
		{"subtype", map[string]int64{"daily": 3, "magazine": 3, "free_sheet": 2}},
		// Status is filtered to active by default, as a selection: the closed
		// BE print title is counted, not shown.
		{"status", map[string]int64{"active": 8, "closed": 1}},
	} {
		if got := facetCounts(res, tc.facet); !maps.Equal(got, tc.want) {
			t.Errorf("%s facet = %v, want %v", tc.facet, got, tc.want)
		}
	}

	// Selecting two values of one facet (OR) leaves that facet's counts as
	// they were, and the total is their sum.
	both, err := s.Search(ctx, search.Query{Filters: map[string][]string{"type": {"print", "online"}, "country": {"BE"}}})
	if err != nil {
		t.Fatal(err)
	}
	if both.Total != 9 || !maps.Equal(facetCounts(both, "type"), facetCounts(res, "type")) {
		t.Errorf("type=print,online: total %d, type facet %v; want 9 and %v", both.Total, facetCounts(both, "type"), facetCounts(res, "type"))
	}

	// Text and ranges are not facets: they narrow every facet, the selected one too.
	res, err = s.Search(ctx, search.Query{Text: "echo", Filters: map[string][]string{"country": {"BE"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := facetCounts(res, "country"), map[string]int64{"BE": 2}; !maps.Equal(got, want) {
		t.Errorf("q=echo country facet = %v, want %v", got, want)
	}
	res, err = s.Search(ctx, search.Query{Circulation: search.Range{Min: i64(50000)}, Filters: map[string][]string{"type": {"print"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := facetCounts(res, "country"), map[string]int64{"BE": 1, "FR": 1}; res.Total != 2 || !maps.Equal(got, want) {
		t.Errorf("circulation ≥ 50000: total %d, country facet %v; want 2 and %v", res.Total, got, want)
	}
}

// TestSearchCursorWithFacetFilters pages a facet-filtered search: the post
// filter applies on every page, each hit comes once, and the facet counts
// stay those of the whole result.
func TestSearchCursorWithFacetFilters(t *testing.T) {
	t.Parallel()
	_, s := loaded(t)
	q := search.Query{Filters: map[string][]string{"type": {"print"}}, Sort: search.SortName, PageSize: 3}
	var seen []string
	for page := 0; page < 10; page++ {
		res, err := s.Search(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := facetCounts(res, "type"), map[string]int64{"print": 10, "online": 1, "outdoor": 1}; res.Total != 10 || !maps.Equal(got, want) {
			t.Errorf("page %d: total %d, type facet %v; want 10 and %v", page, res.Total, got, want)
		}
		for _, h := range res.Hits {
			if h.Doc.MediaType != "print" {
				t.Errorf("page %d: %s is %s", page, h.Doc.ID, h.Doc.MediaType)
			}
			seen = append(seen, h.Doc.ID)
		}
		if res.NextCursor == "" {
			break
		}
		q.Cursor = res.NextCursor
	}
	unique := slices.Clone(seen)
	slices.Sort(unique)
	if len(seen) != 10 || len(slices.Compact(unique)) != 10 {
		t.Errorf("walked %v, want the 10 active print titles once each", seen)
	}
}

func TestSearchCursorWalksEveryHitOnce(t *testing.T) {
	t.Parallel()
	_, s := loaded(t)
	var seen []string
	cursor := ""
	for page := 0; page < 10; page++ {
		res, err := s.Search(t.Context(), search.Query{Sort: search.SortName, PageSize: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, ids(res)...)
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	if len(seen) != 12 { // 13 titles, one closed
		t.Fatalf("walked %d hits, want 12: %v", len(seen), seen)
	}
	unique := slices.Clone(seen)
	slices.Sort(unique)
	if len(slices.Compact(unique)) != len(seen) {
		t.Errorf("a hit came back twice: %v", seen)
	}
	// Folded name order: "De Standaard" < "De Streekkrant" < "Grenz-Echo" < "Knack" < "L'Echo" < ...
	if seen[0] != "be-bruzz" || seen[1] != "be-destandaard" {
		t.Errorf("name order starts %v, want [be-bruzz be-destandaard ...]", seen[:2])
	}
}

func TestSearchRejectsBadQueries(t *testing.T) {
	t.Parallel()
	s := &search.Searcher{} // validation happens before any request
	long := make([]rune, search.MaxQueryLength+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, tc := range []struct {
		name  string
		q     search.Query
		param string
	}{
		{"query too long", search.Query{Text: string(long)}, "q"},
		{"page size too big", search.Query{PageSize: 101}, "page_size"},
		{"unknown sort", search.Query{Sort: "price"}, "sort"},
		{"relevance without text", search.Query{Sort: "relevance"}, "sort"},
		{"unknown filter", search.Query{Filters: map[string][]string{"colour": {"red"}}}, "colour"},
		{"price without basis", search.Query{Price: &search.PriceRange{Currency: "EUR"}}, "price_basis"},
		{"forged cursor", search.Query{Sort: "name", Cursor: "bm90LWEtY3Vyc29y"}, "cursor"},
		{"cursor of another sort", search.Query{Sort: "reach", Cursor: "eyJzIjoibmFtZSIsImEiOlsiYSIsImIiXX0"}, "cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Search(t.Context(), tc.q)
			var pe *apperr.ParamError
			if !errors.As(err, &pe) || pe.Param != tc.param {
				t.Fatalf("err = %v, want a ParamError for %q", err, tc.param)
			}
			if apperr.Status(err) != 400 {
				t.Errorf("status = %d, want 400", apperr.Status(err))
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	_, s := loaded(t)
	for _, tc := range []struct{ prefix, want string }{
		{"lib", "fr-liberation"},
		{"tele", "be-telemoustique"},
		{"de str", "be-destreekkrant"},
		{"luxemb", "lu-wort"},
	} {
		got, err := s.Suggest(t.Context(), tc.prefix, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].ID != tc.want {
			t.Errorf("Suggest(%q) = %v, want %s first", tc.prefix, got, tc.want)
		}
	}
}

func TestBootstrapAndAliasSwap(t *testing.T) {
	t.Parallel()
	admin, s := loaded(t)
	ctx := t.Context()
	first, err := admin.AliasTargets(ctx, admin.ReadAlias)
	if err != nil || len(first) != 1 {
		t.Fatalf("read alias targets = %v, %v", first, err)
	}
	again, err := admin.Bootstrap(ctx, time.Now())
	if err != nil || again != first[0] {
		t.Fatalf("second Bootstrap = %q, %v; want the existing %q", again, err, first[0])
	}
	next := admin.NewIndexName(time.Now().Add(time.Hour))
	if err := admin.CreateIndex(ctx, next, nil); err != nil {
		t.Fatal(err)
	}
	if err := search.IndexBatch(ctx, admin.ES, next, fixture()[:2], true); err != nil {
		t.Fatal(err)
	}
	if err := admin.SwapAliases(ctx, next); err != nil {
		t.Fatal(err)
	}
	for _, alias := range []string{admin.ReadAlias, admin.WriteAlias} {
		got, err := admin.AliasTargets(ctx, alias)
		if err != nil || !slices.Equal(got, []string{next}) {
			t.Errorf("%s → %v, %v; want [%s]", alias, got, err, next)
		}
	}
	res, err := s.Search(ctx, search.Query{Sort: search.SortName})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 2 {
		t.Errorf("after the swap the read alias serves %d titles, want the new index's 2", res.Total)
	}
}

// TestAnalyzersStem checks the stemming itself, apart from fuzziness (which
// alone could bridge two-letter endings): each language analyzer must reduce
// a word and its inflected form to one shared token.
func TestAnalyzersStem(t *testing.T) {
	t.Parallel()
	admin, _ := loaded(t)
	for _, tc := range []struct{ analyzer, a, b string }{
		{"ms_fr", "quotidiens", "quotidien"},
		{"ms_fr", "économiques", "economique"},
		{"ms_nl", "tijdschriften", "tijdschrift"},
		{"ms_de", "Zeitschriften", "zeitschrift"},
		{"ms_de", "größte", "grosste"},
		{"ms_en", "magazines", "magazine"},
	} {
		ta, tb := analyze(t, admin, tc.analyzer, tc.a), analyze(t, admin, tc.analyzer, tc.b)
		shared := false
		for _, tok := range ta {
			shared = shared || slices.Contains(tb, tok)
		}
		if !shared {
			t.Errorf("%s: %q → %v and %q → %v share no token", tc.analyzer, tc.a, ta, tc.b, tb)
		}
	}
}

func analyze(t *testing.T, admin *search.Admin, analyzer, text string) []string {
	t.Helper()
	body := `{"analyzer":"` + analyzer + `","text":"` + text + `"}`
	res, err := admin.ES.Indices.Analyze(admin.ES.Indices.Analyze.WithIndex(admin.ReadAlias),
		admin.ES.Indices.Analyze.WithBody(strings.NewReader(body)), admin.ES.Indices.Analyze.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Tokens []struct {
			Token string `json:"token"`
		} `json:"tokens"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.IsError() {
		t.Fatalf("_analyze %s: %s %v", analyzer, res.Status(), err)
	}
	var toks []string
	for _, tok := range out.Tokens {
		toks = append(toks, tok.Token)
	}
	return toks
}
