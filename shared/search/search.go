package search

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Searcher runs searches and suggestions against the read alias.
type Searcher struct {
	ES    *elasticsearch.Client
	Index string // the read alias
}

// Result is one page of a search.
type Result struct {
	Total int64 `json:"total"`
	Hits  []Hit `json:"hits"`
	// Facets: filter name → value → count.
	Facets map[string][]Bucket `json:"facets"`
	// NextCursor fetches the next page; empty on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// Hit is one matching title with its highlights.
type Hit struct {
	Doc        Doc                 `json:"doc"`
	Score      float64             `json:"score,omitempty"`
	Highlights map[string][]string `json:"highlights,omitempty"`
}

// Bucket is one facet value with its count.
type Bucket struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Body returns the exact Elasticsearch request body Search sends for q
// (benchmarks send the same bytes straight to Elasticsearch as a baseline).
func (s *Searcher) Body(q Query) ([]byte, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	body, err := q.body()
	if err != nil {
		return nil, err
	}
	return json.Marshal(body)
}

// Search runs q. Invalid queries return an apperr.ParamError.
func (s *Searcher) Search(ctx context.Context, q Query) (_ *Result, err error) {
	defer apperr.Wrap(&err, "search.Search")
	if err := q.Validate(); err != nil {
		return nil, err
	}
	m, err := q.body()
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	res, err := s.ES.Search(s.ES.Search.WithContext(ctx), s.ES.Search.WithIndex(s.Index), s.ES.Search.WithBody(bytes.NewReader(body)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return nil, statusError(res.StatusCode, res.Body)
	}
	var raw struct {
		Hits struct {
			Total struct {
				Value int64 `json:"value"`
			} `json:"total"`
			Hits []struct {
				Source    Doc                 `json:"_source"`
				Score     *float64            `json:"_score"`
				Sort      []any               `json:"sort"`
				Highlight map[string][]string `json:"highlight"`
			} `json:"hits"`
		} `json:"hits"`
		// Filter aggregations holding terms aggregations named by facet
		// (facetAggs), beside the filter's own doc_count.
		Aggregations map[string]map[string]json.RawMessage `json:"aggregations"`
	}
	dec := json.NewDecoder(res.Body)
	dec.UseNumber() // sort values (longs) must round-trip exactly into the cursor
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decoding search response: %w", err)
	}
	out := &Result{Total: raw.Hits.Total.Value, Hits: make([]Hit, 0, len(raw.Hits.Hits)), Facets: map[string][]Bucket{}}
	for _, h := range raw.Hits.Hits {
		hit := Hit{Doc: h.Source, Highlights: h.Highlight}
		if h.Score != nil {
			hit.Score = *h.Score
		}
		out.Hits = append(out.Hits, hit)
	}
	if n := len(raw.Hits.Hits); n == q.PageSize && n > 0 {
		out.NextCursor = encodeCursor(q.Sort, raw.Hits.Hits[n-1].Sort)
	}
	for _, filterAgg := range raw.Aggregations {
		for name, sub := range filterAgg {
			if name == "doc_count" {
				continue
			}
			var terms struct {
				Buckets []struct {
					Key      any   `json:"key"`
					DocCount int64 `json:"doc_count"`
				} `json:"buckets"`
			}
			if err := json.Unmarshal(sub, &terms); err != nil {
				return nil, fmt.Errorf("decoding facet %s: %w", name, err)
			}
			buckets := make([]Bucket, 0, len(terms.Buckets))
			for _, b := range terms.Buckets {
				buckets = append(buckets, Bucket{Value: fmt.Sprint(b.Key), Count: b.DocCount})
			}
			out.Facets[name] = buckets
		}
	}
	return out, nil
}

// Suggestion is one name offered while the user types.
type Suggestion struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// MaxSuggestions bounds Suggest's answer.
const MaxSuggestions = 10

// Suggest returns active titles whose name or alternate names start with
// the words typed (accent- and case-insensitive), best first.
func (s *Searcher) Suggest(ctx context.Context, prefix string, size int) (_ []Suggestion, err error) {
	defer apperr.Wrap(&err, "search.Suggest")
	prefix = strings.TrimSpace(prefix)
	if prefix == "" {
		return nil, &apperr.ParamError{Param: "q", Reason: "type at least one character"}
	}
	if len([]rune(prefix)) > MaxQueryLength {
		return nil, &apperr.ParamError{Param: "q", Reason: fmt.Sprintf("at most %d characters", MaxQueryLength)}
	}
	if size < 1 || size > MaxSuggestions {
		size = MaxSuggestions
	}
	body := map[string]any{
		"size":    size,
		"_source": []string{"id", "name"},
		"query": map[string]any{"bool": map[string]any{
			"must": map[string]any{"multi_match": map[string]any{
				"query": prefix, "operator": "and",
				"fields": []string{"name.autocomplete^2", "alternateNames.autocomplete"},
			}},
			"should": map[string]any{"term": map[string]any{"name.exact": map[string]any{"value": prefix, "boost": 10}}},
			"filter": map[string]any{"term": map[string]any{"status": "active"}},
		}},
		"sort": []any{"_score", map[string]any{"name.sort": "asc"}},
	}
	res, err := s.ES.Search(s.ES.Search.WithContext(ctx), s.ES.Search.WithIndex(s.Index), s.ES.Search.WithBody(esutil.NewJSONReader(body)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return nil, statusError(res.StatusCode, res.Body)
	}
	var raw struct {
		Hits struct {
			Hits []struct {
				Source Suggestion `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(res.Body).Decode(&raw); err != nil {
		return nil, err
	}
	out := make([]Suggestion, 0, len(raw.Hits.Hits))
	for _, h := range raw.Hits.Hits {
		out = append(out, h.Source)
	}
	return out, nil
}
