package search

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Admin manages the media indices: the template, versioned indices named
// <prefix>-<UTC timestamp>, and the two aliases. Searches read from ReadAlias;
// indexing writes to WriteAlias. A rebuild creates a new index, loads it, and
// swaps both aliases in one atomic request, so readers never see a half-built
// index.
type Admin struct {
	ES         *elasticsearch.Client
	Prefix     string // "media"; indices are Prefix-YYYYMMDDhhmmss
	ReadAlias  string
	WriteAlias string
}

// PutTemplate creates or replaces the index template.
func (a *Admin) PutTemplate(ctx context.Context) (err error) {
	defer apperr.Wrap(&err, "search.PutTemplate")
	body, err := Template()
	if err != nil {
		return err
	}
	var t map[string]any
	_ = json.Unmarshal(body, &t)
	t["index_patterns"] = []string{a.Prefix + "-*"}
	body, _ = json.Marshal(t)
	res, err := a.ES.Indices.PutIndexTemplate(TemplateName+"-"+a.Prefix, bytes.NewReader(body), a.ES.Indices.PutIndexTemplate.WithContext(ctx))
	return check(res, err)
}

// NewIndexName returns the name of a new versioned index for time t.
func (a *Admin) NewIndexName(t time.Time) string {
	return a.Prefix + "-" + t.UTC().Format("20060102150405")
}

// CreateIndex creates a versioned index from the template. settings, when
// non-nil, overrides index settings (a rebuild turns refresh and replicas off).
func (a *Admin) CreateIndex(ctx context.Context, name string, settings map[string]any) (err error) {
	defer apperr.Wrap(&err, "search.CreateIndex(%q)", name)
	var body io.Reader
	if settings != nil {
		b, _ := json.Marshal(map[string]any{"settings": settings})
		body = bytes.NewReader(b)
	}
	opts := []func(*esapi.IndicesCreateRequest){a.ES.Indices.Create.WithContext(ctx)}
	if body != nil {
		opts = append(opts, a.ES.Indices.Create.WithBody(body))
	}
	res, err := a.ES.Indices.Create(name, opts...)
	return check(res, err)
}

// AliasTargets returns the indices an alias points at (none if it does not exist).
func (a *Admin) AliasTargets(ctx context.Context, alias string) (_ []string, err error) {
	defer apperr.Wrap(&err, "search.AliasTargets(%q)", alias)
	res, err := a.ES.Indices.GetAlias(a.ES.Indices.GetAlias.WithName(alias), a.ES.Indices.GetAlias.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if res.IsError() {
		return nil, statusError(res.StatusCode, res.Body)
	}
	var m map[string]json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		return nil, err
	}
	var out []string
	for idx := range m {
		out = append(out, idx)
	}
	sort.Strings(out)
	return out, nil
}

// SwapAliases points both aliases at index in one atomic _aliases request,
// removing them from whatever they pointed at before.
func (a *Admin) SwapAliases(ctx context.Context, index string) (err error) {
	defer apperr.Wrap(&err, "search.SwapAliases(%q)", index)
	var actions []map[string]any
	for _, alias := range []string{a.ReadAlias, a.WriteAlias} {
		old, err := a.AliasTargets(ctx, alias)
		if err != nil {
			return err
		}
		for _, o := range old {
			if o != index {
				actions = append(actions, map[string]any{"remove": map[string]any{"index": o, "alias": alias}})
			}
		}
		add := map[string]any{"index": index, "alias": alias}
		if alias == a.WriteAlias {
			add["is_write_index"] = true
		}
		actions = append(actions, map[string]any{"add": add})
	}
	body, _ := json.Marshal(map[string]any{"actions": actions})
	res, err := a.ES.Indices.UpdateAliases(bytes.NewReader(body), a.ES.Indices.UpdateAliases.WithContext(ctx))
	return check(res, err)
}

// Bootstrap makes sure the template exists and, when no index serves the read
// alias yet, creates the first versioned index behind both aliases. It is
// idempotent and safe to run at every deployment.
func (a *Admin) Bootstrap(ctx context.Context, now time.Time) (index string, err error) {
	defer apperr.Wrap(&err, "search.Bootstrap")
	if err := a.PutTemplate(ctx); err != nil {
		return "", err
	}
	current, err := a.AliasTargets(ctx, a.ReadAlias)
	if err != nil {
		return "", err
	}
	if len(current) > 0 {
		return current[0], nil
	}
	index = a.NewIndexName(now)
	if err := a.CreateIndex(ctx, index, nil); err != nil {
		return "", err
	}
	return index, a.SwapAliases(ctx, index)
}

// check turns an Elasticsearch response into an error classified by apperr.
func check(res *esapi.Response, err error) error {
	if err != nil {
		return fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return statusError(res.StatusCode, res.Body)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return nil
}

// statusError classifies an Elasticsearch error status and keeps the
// server's reason (for logs; 5xx details never reach callers).
func statusError(status int, body io.Reader) error {
	b, _ := io.ReadAll(io.LimitReader(body, 4096))
	reason := strings.TrimSpace(string(b))
	switch {
	case status == http.StatusNotFound:
		return fmt.Errorf("%w: %s", apperr.NotFound, reason)
	case status == http.StatusConflict:
		return fmt.Errorf("%w: %s", apperr.Conflict, reason)
	case status == http.StatusTooManyRequests || status >= 500:
		return fmt.Errorf("%w: elasticsearch %d: %s", apperr.Unavailable, status, reason)
	default:
		return fmt.Errorf("elasticsearch %d: %s", status, reason)
	}
}

// PutSettings updates dynamic settings of an index (a nil value resets a
// setting to the template's or the default).
func (a *Admin) PutSettings(ctx context.Context, index string, settings map[string]any) (err error) {
	defer apperr.Wrap(&err, "search.PutSettings(%q)", index)
	body, _ := json.Marshal(map[string]any{"index": settings})
	res, err := a.ES.Indices.PutSettings(bytes.NewReader(body), a.ES.Indices.PutSettings.WithIndex(index), a.ES.Indices.PutSettings.WithContext(ctx))
	return check(res, err)
}

// Refresh makes everything written to index searchable.
func (a *Admin) Refresh(ctx context.Context, index string) (err error) {
	defer apperr.Wrap(&err, "search.Refresh(%q)", index)
	res, err := a.ES.Indices.Refresh(a.ES.Indices.Refresh.WithIndex(index), a.ES.Indices.Refresh.WithContext(ctx))
	return check(res, err)
}

// Count returns the number of documents in index (or alias).
func (a *Admin) Count(ctx context.Context, index string) (_ int64, err error) {
	defer apperr.Wrap(&err, "search.Count(%q)", index)
	res, err := a.ES.Count(a.ES.Count.WithIndex(index), a.ES.Count.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return 0, statusError(res.StatusCode, res.Body)
	}
	var out struct {
		Count int64 `json:"count"`
	}
	return out.Count, json.NewDecoder(res.Body).Decode(&out)
}

// Indices lists the versioned indices of this prefix, oldest first (the
// timestamp in the name sorts chronologically).
func (a *Admin) Indices(ctx context.Context) (_ []string, err error) {
	defer apperr.Wrap(&err, "search.Indices")
	res, err := a.ES.Indices.Get([]string{a.Prefix + "-*"}, a.ES.Indices.Get.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return nil, statusError(res.StatusCode, res.Body)
	}
	var m map[string]json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		return nil, err
	}
	var out []string
	for name := range m {
		if len(name) == len(a.Prefix)+15 { // prefix + "-" + 14-digit timestamp
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// DeleteIndex deletes one index by its exact name.
func (a *Admin) DeleteIndex(ctx context.Context, index string) (err error) {
	defer apperr.Wrap(&err, "search.DeleteIndex(%q)", index)
	res, err := a.ES.Indices.Delete([]string{index}, a.ES.Indices.Delete.WithContext(ctx))
	return check(res, err)
}

// Hashes calls fn with the id and content hash of every document in index,
// paging with search_after on the id (no 10,000-hit limit, no scroll context).
func (a *Admin) Hashes(ctx context.Context, index string, fn func(id, hash string)) (err error) {
	defer apperr.Wrap(&err, "search.Hashes(%q)", index)
	var after []any
	for {
		body := map[string]any{"size": 1000, "_source": []string{"contentHash"}, "sort": []any{map[string]any{"id": "asc"}},
			"query": map[string]any{"match_all": map[string]any{}}}
		if after != nil {
			body["search_after"] = after
		}
		b, _ := json.Marshal(body)
		res, err := a.ES.Search(a.ES.Search.WithIndex(index), a.ES.Search.WithBody(bytes.NewReader(b)), a.ES.Search.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("%w: %v", apperr.Unavailable, err)
		}
		var out struct {
			Hits struct {
				Hits []struct {
					ID     string `json:"_id"`
					Source struct {
						ContentHash string `json:"contentHash"`
					} `json:"_source"`
					Sort []any `json:"sort"`
				} `json:"hits"`
			} `json:"hits"`
		}
		if res.IsError() {
			err := statusError(res.StatusCode, res.Body)
			res.Body.Close()
			return err
		}
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if err != nil {
			return err
		}
		hits := out.Hits.Hits
		for _, h := range hits {
			fn(h.ID, h.Source.ContentHash)
		}
		if len(hits) < 1000 {
			return nil
		}
		after = hits[len(hits)-1].Sort
	}
}
