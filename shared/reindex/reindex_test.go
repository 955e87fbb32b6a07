package reindex_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/reindex"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// memTitles is an in-memory TitleReader.
type memTitles map[string]*catalog.Title

func (m memTitles) Get(_ context.Context, id string) (*catalog.Title, string, error) {
	t, ok := m[id]
	if !ok {
		return nil, "", fmt.Errorf("%w: %s", apperr.NotFound, id)
	}
	return t, "etag", nil
}

func title(id, name string, status catalog.Status) *catalog.Title {
	return &catalog.Title{ID: id, Name: name, Status: status, MediaType: catalog.MediaPrint, SubType: catalog.SubDaily,
		UpdatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

func docIDs(t *testing.T, es *elasticsearch.Client, index string) map[string]string {
	t.Helper()
	res, err := es.Search(es.Search.WithIndex(index), es.Search.WithSize(100), es.Search.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Hits struct {
			Hits []struct {
				ID     string     `json:"_id"`
				Source search.Doc `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, h := range out.Hits.Hits {
		m[h.ID] = h.Source.Name
	}
	return m
}

func TestReindexConvergesToCosmos(t *testing.T) {
	t.Parallel()
	es := stacktest.ElasticsearchClient(t)
	prefix := stacktest.IndexName(t, es)
	admin := &search.Admin{ES: es, Prefix: prefix, ReadAlias: prefix + "-read", WriteAlias: prefix + "-write"}
	t.Cleanup(func() {
		if res, err := es.Indices.DeleteIndexTemplate(search.TemplateName + "-" + prefix); err == nil {
			res.Body.Close()
		}
	})
	if _, err := admin.Bootstrap(t.Context(), time.Now()); err != nil {
		t.Fatal(err)
	}
	// The index holds a stale version of "a" and a title Cosmos no longer has.
	stale := []search.Doc{{ID: "a", Name: "Old name", Status: "active"}, {ID: "gone", Name: "Removed", Status: "active"}}
	if err := search.IndexBatch(t.Context(), es, admin.WriteAlias, stale, true); err != nil {
		t.Fatal(err)
	}
	titles := memTitles{
		"a": title("a", "Le Soir", catalog.StatusActive),
		"b": title("b", "De Morgen", catalog.StatusActive),
		"c": title("c", "La Dernière Heure (closed)", catalog.StatusClosed),
	}
	x := &reindex.Indexer{ES: es, Alias: admin.WriteAlias, Titles: titles}
	st, err := x.Reindex(t.Context(), []string{"a", "b", "c", "gone", "a", "never-existed"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Indexed != 2 || st.Deleted != 3 {
		t.Errorf("stats = %+v, want 2 indexed and 3 deleted (closed, gone, never existed)", st)
	}
	if res, err := es.Indices.Refresh(es.Indices.Refresh.WithIndex(admin.WriteAlias)); err == nil {
		res.Body.Close()
	}
	got := docIDs(t, es, admin.ReadAlias)
	want := map[string]string{"a": "Le Soir", "b": "De Morgen"}
	if len(got) != len(want) || got["a"] != want["a"] || got["b"] != want["b"] {
		t.Errorf("index holds %v, want %v", got, want)
	}
	// Idempotent: the same batch again changes nothing.
	if _, err := x.Reindex(t.Context(), []string{"a", "b", "c", "gone"}); err != nil {
		t.Fatal(err)
	}
	if again := docIDs(t, es, admin.ReadAlias); len(again) != 2 {
		t.Errorf("after a second run the index holds %v", again)
	}
}

func TestReindexFailsWhenElasticsearchIsDown(t *testing.T) {
	t.Parallel()
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{"http://127.0.0.1:1"}, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	x := &reindex.Indexer{ES: es, Alias: "media-write", Titles: memTitles{"a": title("a", "Le Soir", catalog.StatusActive)}, Attempts: 2, Backoff: time.Millisecond}
	_, err = x.Reindex(t.Context(), []string{"a"})
	if !errors.Is(err, apperr.Unavailable) {
		t.Fatalf("err = %v, want Unavailable so the invocation fails and the host retries", err)
	}
}

func TestReindexFailsWhenCosmosFails(t *testing.T) {
	t.Parallel()
	x := &reindex.Indexer{Titles: failingTitles{}, Alias: "x"}
	if _, err := x.Reindex(t.Context(), []string{"a"}); err == nil || apperr.Status(err) != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want an Unavailable failure", err)
	}
}

type failingTitles struct{}

func (failingTitles) Get(context.Context, string) (*catalog.Title, string, error) {
	return nil, "", fmt.Errorf("%w: cosmos 503", apperr.Unavailable)
}

// flakyBulk answers bulk requests itself: the first round rejects every item
// with 429 (as a busy cluster does per item), later rounds accept them.
type flakyBulk struct{ rounds int }

func (f *flakyBulk) RoundTrip(req *http.Request) (*http.Response, error) {
	f.rounds++
	var items []string
	dec := json.NewDecoder(req.Body)
	for {
		var line map[string]map[string]any
		if err := dec.Decode(&line); err != nil {
			break
		}
		if meta, ok := line["index"]; ok {
			status := 201
			if f.rounds == 1 {
				status = 429
			}
			errPart := ""
			if status == 429 {
				errPart = `,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}`
			}
			items = append(items, fmt.Sprintf(`{"index":{"_id":%q,"status":%d%s}}`, meta["_id"], status, errPart))
			var doc map[string]any
			_ = dec.Decode(&doc)
		}
	}
	body := fmt.Sprintf(`{"took":1,"errors":%v,"items":[%s]}`, f.rounds == 1, strings.Join(items, ","))
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}, "X-Elastic-Product": {"Elasticsearch"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func TestReindexRetriesRejectedItems(t *testing.T) {
	t.Parallel()
	fb := &flakyBulk{}
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{"http://127.0.0.1:9"}, Transport: fb})
	if err != nil {
		t.Fatal(err)
	}
	rejected := 0
	x := &reindex.Indexer{ES: es, Alias: "media-write", Backoff: time.Millisecond,
		Titles:     memTitles{"a": title("a", "Le Soir", catalog.StatusActive), "b": title("b", "De Morgen", catalog.StatusActive)},
		OnRejected: func(_ context.Context, n int) { rejected += n }}
	st, err := x.Reindex(t.Context(), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if rejected != 2 {
		t.Errorf("rejections reported = %d, want the 2 of the first round", rejected)
	}
	if st.Indexed != 2 || st.Retried != 2 || fb.rounds != 2 {
		t.Errorf("stats = %+v after %d rounds, want both indexed on the second round", st, fb.rounds)
	}
}
