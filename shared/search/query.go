package search

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Limits on what one query may ask; each breach is an InvalidArgument naming
// the parameter.
const (
	MaxQueryLength   = 200
	MaxFilterValues  = 20
	MaxPageSize      = 100
	DefaultPageSize  = 20
	maxCursorBytes   = 2048
	facetBucketCount = 50
)

// Sort orders a search can ask for.
const (
	SortRelevance   = "relevance"
	SortName        = "name"
	SortReach       = "reach"
	SortCirculation = "circulation"
	SortUpdated     = "updated"
)

// Query is one search, already parsed from the request. The zero value
// matches every title.
type Query struct {
	Text string
	// Lang is the caller's language (fr, nl, de, en): its description field is
	// boosted and its labels are returned.
	Lang string
	// Filters by facet: field name → accepted values (OR within a field, AND
	// across fields). Keys are FilterFields.
	Filters map[string][]string
	// Ranges on headline metrics; nil bounds are open.
	Circulation, Reach Range
	// Price limits prices of one basis and currency (never CPM against per-insertion).
	Price    *PriceRange
	Sort     string
	PageSize int
	Cursor   string
}

// Range is an inclusive numeric range.
type Range struct{ Min, Max *int64 }

// PriceRange is an inclusive range over ad product prices of one basis.
type PriceRange struct {
	Basis    string
	Currency string
	Min, Max *int64 // cents
}

// FilterFields maps the API's filter names to index fields.
var FilterFields = map[string]string{
	"type":       "mediaType",
	"subtype":    "subType",
	"country":    "coverage.countries",
	"region":     "coverage.regions",
	"language":   "contentLanguages",
	"salesHouse": "salesHouse.id",
	"publisher":  "publisher.id",
	"topic":      "topics",
	"status":     "status",
}

// FacetNames are the filters whose counts a search returns, in order.
var FacetNames = []string{"type", "subtype", "country", "region", "language", "salesHouse", "publisher", "topic", "status"}

// cursor is what the opaque cursor string carries: the sort that produced the
// page and the last hit's sort values, for search_after. The sort ends with
// the id tiebreak, so pages are stable and go past the 10,000-hit window.
type cursor struct {
	Sort  string `json:"s"`
	After []any  `json:"a"`
}

func encodeCursor(sort string, after []any) string {
	b, _ := json.Marshal(cursor{Sort: sort, After: after})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string) ([]any, error) {
	bad := &apperr.ParamError{Param: "cursor", Reason: "not a cursor returned by this search; start again without it"}
	if len(s) > maxCursorBytes {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || len(c.After) == 0 {
		return nil, bad
	}
	if c.Sort != sort {
		return nil, &apperr.ParamError{Param: "cursor", Reason: fmt.Sprintf("the cursor belongs to sort %q, not %q", c.Sort, sort)}
	}
	return c.After, nil
}

// Validate checks the query's limits and normalises defaults.
func (q *Query) Validate() error {
	if len([]rune(q.Text)) > MaxQueryLength {
		return &apperr.ParamError{Param: "q", Reason: fmt.Sprintf("at most %d characters", MaxQueryLength)}
	}
	for name, vals := range q.Filters {
		if _, ok := FilterFields[name]; !ok {
			return &apperr.ParamError{Param: name, Reason: "unknown filter"}
		}
		if len(vals) > MaxFilterValues {
			return &apperr.ParamError{Param: name, Reason: fmt.Sprintf("at most %d values", MaxFilterValues)}
		}
	}
	switch {
	case q.PageSize == 0:
		q.PageSize = DefaultPageSize
	case q.PageSize < 1 || q.PageSize > MaxPageSize:
		return &apperr.ParamError{Param: "page_size", Reason: fmt.Sprintf("must be between 1 and %d", MaxPageSize)}
	}
	if q.Sort == "" {
		q.Sort = SortRelevance
		if q.Text == "" {
			q.Sort = SortName
		}
	}
	if !slices.Contains([]string{SortRelevance, SortName, SortReach, SortCirculation, SortUpdated}, q.Sort) {
		return &apperr.ParamError{Param: "sort", Reason: "one of relevance, name, reach, circulation, updated"}
	}
	if q.Sort == SortRelevance && q.Text == "" {
		return &apperr.ParamError{Param: "sort", Reason: "relevance needs a query text (q)"}
	}
	if q.Price != nil && (q.Price.Basis == "" || q.Price.Currency == "") {
		return &apperr.ParamError{Param: "price_basis", Reason: "a price range needs price_basis and price_currency: prices compare only within one basis"}
	}
	if !slices.Contains(Languages, q.Lang) {
		q.Lang = "fr"
	}
	return nil
}

// body builds the Elasticsearch request body. User text only ever reaches
// match/multi_match/term queries on explicit fields, never query_string.
//
// Facets are multi-select, as a faceted UI expects: the query holds the text
// and the filters that are not facets (ranges, price); the facet filters go
// to post_filter, so hits and total honour every filter while the
// aggregations see the query alone. Each facet's counts are then taken under
// the OTHER facets' filters only: selecting type=print narrows the country
// counts to print titles, yet the type facet still lists tv and outdoor with
// the counts they would have.
func (q *Query) body() (map[string]any, error) {
	facetFilters := q.facetFilters()
	filters := []any{}
	for field, r := range map[string]Range{"metrics.circulation": q.Circulation, "metrics.reach": q.Reach} {
		if rq := rangeQuery(r.Min, r.Max); rq != nil {
			filters = append(filters, map[string]any{"range": map[string]any{field: rq}})
		}
	}
	if p := q.Price; p != nil {
		must := []any{
			map[string]any{"term": map[string]any{"adProducts.prices.basis": p.Basis}},
			map[string]any{"term": map[string]any{"adProducts.prices.currency": p.Currency}},
		}
		if rq := rangeQuery(p.Min, p.Max); rq != nil {
			must = append(must, map[string]any{"range": map[string]any{"adProducts.prices.amountCents": rq}})
		}
		filters = append(filters, map[string]any{"nested": map[string]any{
			"path": "adProducts",
			"query": map[string]any{"nested": map[string]any{
				"path":  "adProducts.prices",
				"query": map[string]any{"bool": map[string]any{"filter": must}},
			}},
		}})
	}

	boolQ := map[string]any{"filter": filters}
	if q.Text != "" {
		boolQ["must"] = q.textQuery()
	}
	body := map[string]any{
		"query":            map[string]any{"bool": boolQ},
		"size":             q.PageSize,
		"track_total_hits": true,
		"sort":             q.sortClause(),
		"post_filter":      map[string]any{"bool": map[string]any{"filter": facetFilterList(facetFilters, "")}},
		"aggs":             facetAggs(facetFilters),
		"_source":          map[string]any{"excludes": []string{"contentHash"}},
	}
	if q.Text != "" {
		body["highlight"] = map[string]any{
			"pre_tags": []string{"<em>"}, "post_tags": []string{"</em>"},
			"fields": map[string]any{
				"name":                  map[string]any{"number_of_fragments": 0},
				"description." + q.Lang: map[string]any{"fragment_size": 160, "number_of_fragments": 1},
				"alternateNames":        map[string]any{"number_of_fragments": 0},
			},
		}
	}
	if q.Cursor != "" {
		after, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return nil, err
		}
		body["search_after"] = after
	}
	return body, nil
}

// textQuery matches the user's words: an exact (case- and accent-folded) name
// match ranks first and is never fuzzy; names, descriptions and labels follow
// with typo tolerance (fuzziness AUTO, first letter fixed).
func (q *Query) textQuery() map[string]any {
	descFields := []string{"description." + q.Lang + "^2", "kindLabels." + q.Lang + "^2"}
	for _, l := range Languages {
		if l != q.Lang {
			descFields = append(descFields, "description."+l, "kindLabels."+l)
		}
	}
	return map[string]any{"bool": map[string]any{
		"should": []any{
			map[string]any{"term": map[string]any{"name.exact": map[string]any{"value": q.Text, "boost": 20}}},
			map[string]any{"term": map[string]any{"alternateNames.exact": map[string]any{"value": q.Text, "boost": 15}}},
			map[string]any{"multi_match": map[string]any{
				"query": q.Text, "type": "best_fields", "operator": "and",
				"fields":    []string{"name^5", "alternateNames^4", "publisher.name", "salesHouse.name"},
				"fuzziness": "AUTO", "prefix_length": 1, "max_expansions": 30,
			}},
			map[string]any{"multi_match": map[string]any{
				"query": q.Text, "type": "best_fields",
				"fields":    descFields,
				"fuzziness": "AUTO", "prefix_length": 1, "max_expansions": 30,
			}},
			map[string]any{"nested": map[string]any{"path": "adProducts", "score_mode": "max", "query": map[string]any{
				"multi_match": map[string]any{"query": q.Text, "fields": []string{"adProducts.name.*"}},
			}}},
		},
		"minimum_should_match": 1,
	}}
}

func (q *Query) sortClause() []any {
	tiebreak := map[string]any{"id": "asc"}
	switch q.Sort {
	case SortName:
		return []any{map[string]any{"name.sort": "asc"}, tiebreak}
	case SortReach:
		return []any{map[string]any{"metrics.reach": map[string]any{"order": "desc", "missing": "_last"}}, tiebreak}
	case SortCirculation:
		return []any{map[string]any{"metrics.circulation": map[string]any{"order": "desc", "missing": "_last"}}, tiebreak}
	case SortUpdated:
		return []any{map[string]any{"updatedAt": "desc"}, tiebreak}
	default:
		return []any{map[string]any{"_score": "desc"}, tiebreak}
	}
}

func rangeQuery(min, max *int64) map[string]any {
	if min == nil && max == nil {
		return nil
	}
	r := map[string]any{}
	if min != nil {
		r["gte"] = *min
	}
	if max != nil {
		r["lte"] = *max
	}
	return r
}

// facetFilters returns the terms filter of every facet the query filters on,
// by facet name. Status always has one: closed and merged titles only show
// when asked for, so an unset status means status=active (as a facet
// selection, the status counts still show how many closed titles there are).
func (q *Query) facetFilters() map[string]any {
	out := map[string]any{}
	for _, name := range FacetNames {
		if vals := q.Filters[name]; len(vals) > 0 {
			out[name] = map[string]any{"terms": map[string]any{FilterFields[name]: vals}}
		}
	}
	if _, ok := out["status"]; !ok {
		out["status"] = map[string]any{"term": map[string]any{"status": "active"}}
	}
	return out
}

// facetFilterList lists the facet filters except the one of facet except
// ("" keeps all), in FacetNames order so the body is deterministic.
func facetFilterList(facetFilters map[string]any, except string) []any {
	list := []any{}
	for _, name := range FacetNames {
		if f, ok := facetFilters[name]; ok && name != except {
			list = append(list, f)
		}
	}
	return list
}

// facetAggs counts each facet's values under every filter but its own.
// Facets without a filter of their own all count under the full set of
// facet filters, so they share one filter aggregation; each filtered facet
// has its own, under the others' filters. Every top-level aggregation is a
// filter aggregation whose sub-aggregations are terms named by facet.
func facetAggs(facetFilters map[string]any) map[string]any {
	unfiltered := map[string]any{}
	aggs := map[string]any{}
	for _, name := range FacetNames {
		values := map[string]any{"terms": map[string]any{"field": FilterFields[name], "size": facetBucketCount}}
		if _, filtered := facetFilters[name]; !filtered {
			unfiltered[name] = values
			continue
		}
		aggs[facetAggPrefix+name] = map[string]any{
			"filter": map[string]any{"bool": map[string]any{"filter": facetFilterList(facetFilters, name)}},
			"aggs":   map[string]any{name: values},
		}
	}
	if len(unfiltered) > 0 {
		aggs[facetAggPrefix+"unfiltered"] = map[string]any{
			"filter": map[string]any{"bool": map[string]any{"filter": facetFilterList(facetFilters, "")}},
			"aggs":   unfiltered,
		}
	}
	return aggs
}

// facetAggPrefix names the filter aggregations that hold the facets.
const facetAggPrefix = "facets_"
