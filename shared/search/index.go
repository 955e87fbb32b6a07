package search

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// IndexBatch writes docs to index (an index or the write alias) in one bulk
// request and returns an error naming every document that failed. refresh
// makes them searchable before returning (tests; the pipeline relies on the
// refresh interval instead).
func IndexBatch(ctx context.Context, es *elasticsearch.Client, index string, docs []Doc, refresh bool) (err error) {
	defer apperr.Wrap(&err, "search.IndexBatch")
	if len(docs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, d := range docs {
		if err := enc.Encode(map[string]any{"index": map[string]any{"_id": d.ID}}); err != nil {
			return err
		}
		if err := enc.Encode(d); err != nil {
			return err
		}
	}
	opts := []func(*esapi.BulkRequest){es.Bulk.WithContext(ctx), es.Bulk.WithIndex(index)}
	if refresh {
		opts = append(opts, es.Bulk.WithRefresh("wait_for"))
	}
	res, err := es.Bulk(&buf, opts...)
	if err != nil {
		return fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return statusError(res.StatusCode, res.Body)
	}
	var out struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			ID     string `json:"_id"`
			Status int    `json:"status"`
			Error  *struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		} `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return err
	}
	if !out.Errors {
		return nil
	}
	var failed []string
	for _, item := range out.Items {
		for _, r := range item {
			if r.Error != nil {
				failed = append(failed, fmt.Sprintf("%s: %d %s: %s", r.ID, r.Status, r.Error.Type, r.Error.Reason))
			}
		}
	}
	return fmt.Errorf("bulk: %d of %d documents failed: %s", len(failed), len(docs), strings.Join(failed, "; "))
}
