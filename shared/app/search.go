package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/search"
)

// Labeler returns the display label of a facet value in a language; it
// returns the value itself when it knows no label.
type Labeler func(facet, value, lang string) string

// supportedLangs are the UI languages, first is the default.
var supportedLangs = []language.Tag{language.French, language.Dutch, language.German, language.English}

var langMatcher = language.NewMatcher(supportedLangs)

// requestLang picks the response language: the lang parameter when valid,
// else the best Accept-Language match, else French.
func requestLang(r *http.Request) (string, error) {
	if l := r.URL.Query().Get("lang"); l != "" {
		for _, t := range supportedLangs {
			if b, _ := t.Base(); b.String() == l {
				return l, nil
			}
		}
		return "", &apperr.ParamError{Param: "lang", Reason: "one of fr, nl, de, en"}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, idx, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return "fr", nil
	}
	b, _ := supportedLangs[idx].Base()
	return b.String(), nil
}

// listParam splits a filter parameter. The host rebuilds repeated query keys
// as one comma-joined value (functions-protocol.md §3), so both
// ?type=print&type=tv and ?type=print,tv mean the same.
func listParam(v url.Values, name string) []string {
	var out []string
	for _, raw := range v[name] {
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func intParam(v url.Values, name string) (*int64, error) {
	s := v.Get(name)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return nil, &apperr.ParamError{Param: name, Reason: fmt.Sprintf("a whole number ≥ 0, got %q", s)}
	}
	return &n, nil
}

// centsParam reads an amount in euros with at most two decimals ("12.5",
// "12,50", "1250") into cents, without floating point.
func centsParam(v url.Values, name string) (*int64, error) {
	s := strings.Replace(v.Get(name), ",", ".", 1)
	if s == "" {
		return nil, nil
	}
	bad := &apperr.ParamError{Param: name, Reason: fmt.Sprintf("an amount like 1250 or 1250.50, got %q", v.Get(name))}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return nil, bad
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || w > 1<<40 {
		return nil, bad
	}
	c := w*100 + f
	return &c, nil
}

// parseSearch turns the request's parameters into a search.Query.
func parseSearch(r *http.Request) (search.Query, error) {
	v := r.URL.Query()
	lang, err := requestLang(r)
	if err != nil {
		return search.Query{}, err
	}
	q := search.Query{Text: strings.TrimSpace(v.Get("q")), Lang: lang, Sort: v.Get("sort"), Cursor: v.Get("cursor"), Filters: map[string][]string{}}
	for name := range search.FilterFields {
		if vals := listParam(v, name); len(vals) > 0 {
			q.Filters[name] = vals
		}
	}
	if ps := v.Get("page_size"); ps != "" {
		n, err := strconv.Atoi(ps)
		if err != nil {
			return q, &apperr.ParamError{Param: "page_size", Reason: fmt.Sprintf("a whole number, got %q", ps)}
		}
		if n == 0 {
			n = -1 // an explicit 0 is out of range, not "use the default"
		}
		q.PageSize = n
	}
	for _, p := range []struct {
		name string
		dst  **int64
	}{
		{"circulation_min", &q.Circulation.Min}, {"circulation_max", &q.Circulation.Max},
		{"reach_min", &q.Reach.Min}, {"reach_max", &q.Reach.Max},
	} {
		if *p.dst, err = intParam(v, p.name); err != nil {
			return q, err
		}
	}
	minP, err := centsParam(v, "price_min")
	if err != nil {
		return q, err
	}
	maxP, err := centsParam(v, "price_max")
	if err != nil {
		return q, err
	}
	basis, currency := v.Get("price_basis"), v.Get("price_currency")
	if minP != nil || maxP != nil || basis != "" {
		if currency == "" {
			currency = "EUR"
		}
		q.Price = &search.PriceRange{Basis: basis, Currency: currency, Min: minP, Max: maxP}
	}
	return q, nil
}

// searchResponse is the public shape of a search page.
type searchResponse struct {
	Total      int64                    `json:"total"`
	Lang       string                   `json:"lang"`
	Hits       []searchHit              `json:"hits"`
	Facets     map[string][]facetBucket `json:"facets"`
	NextCursor string                   `json:"nextCursor,omitempty"`
}

type searchHit struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Description string              `json:"description,omitempty"`
	MediaType   string              `json:"mediaType,omitempty"`
	SubType     string              `json:"subType,omitempty"`
	Countries   []string            `json:"countries,omitempty"`
	Publisher   *search.Org         `json:"publisher,omitempty"`
	SalesHouse  *search.Org         `json:"salesHouse,omitempty"`
	Metrics     search.Metrics      `json:"metrics"`
	Highlights  map[string][]string `json:"highlights,omitempty"`
}

type facetBucket struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Count int64  `json:"count"`
}

// localized picks the text in lang, else the first language that has text.
func localized(l search.Localized, lang string) string {
	if t := l[lang]; t != "" {
		return t
	}
	for _, other := range search.Languages {
		if t := l[other]; t != "" {
			return t
		}
	}
	return ""
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Search == nil {
		return fmt.Errorf("%w: search is not configured", apperr.Unavailable)
	}
	q, err := parseSearch(r)
	if err != nil {
		return err
	}
	if err := checkSearchAccess(r, q); err != nil {
		return err
	}
	res, err := s.deps.Search.Search(r.Context(), q)
	if err != nil {
		return err
	}
	out := searchResponse{Total: res.Total, Lang: q.Lang, Hits: make([]searchHit, 0, len(res.Hits)), Facets: map[string][]facetBucket{}, NextCursor: res.NextCursor}
	for _, h := range res.Hits {
		d := h.Doc
		out.Hits = append(out.Hits, searchHit{ID: d.ID, Name: d.Name, Description: localized(d.Description, q.Lang),
			MediaType: d.MediaType, SubType: d.SubType, Countries: d.Coverage.Countries,
			Publisher: d.Publisher, SalesHouse: d.SalesHouse, Metrics: d.Metrics, Highlights: h.Highlights})
	}
	label := s.deps.Labels
	if label == nil {
		label = func(_, value, _ string) string { return value }
	}
	for name, buckets := range res.Facets {
		fb := make([]facetBucket, 0, len(buckets))
		for _, b := range buckets {
			fb = append(fb, facetBucket{Value: b.Value, Label: label(name, b.Value, q.Lang), Count: b.Count})
		}
		out.Facets[name] = fb
	}
	w.Header().Set("Content-Language", q.Lang)
	w.Header().Set("Vary", "Accept-Language")
	return writeJSONCache(w, http.StatusOK, out, "private, max-age=30")
}

func (s *Server) suggest(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Search == nil {
		return fmt.Errorf("%w: search is not configured", apperr.Unavailable)
	}
	size := search.MaxSuggestions
	if v := r.URL.Query().Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > search.MaxSuggestions {
			return &apperr.ParamError{Param: "size", Reason: fmt.Sprintf("between 1 and %d", search.MaxSuggestions)}
		}
		size = n
	}
	got, err := s.deps.Search.Suggest(r.Context(), r.URL.Query().Get("q"), size)
	if err != nil {
		return err
	}
	return writeJSONCache(w, http.StatusOK, map[string]any{"suggestions": got}, "private, max-age=60")
}
