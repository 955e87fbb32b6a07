// Package search is the Elasticsearch adapter: the client, and as the search
// capability grows, the index template, queries and bulk indexing. Only this
// package looks at go-elasticsearch types and Elasticsearch status codes.
package search

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/config"
)

// NewClient returns a go-elasticsearch client for cfg. Retries cover 429 and
// the gateway errors, which the bulk indexer does not retry by itself.
func NewClient(cfg config.Elasticsearch) (*elasticsearch.Client, error) {
	c, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses:     []string{cfg.URL},
		APIKey:        cfg.APIKey,
		RetryOnStatus: []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		MaxRetries:    3,
		RetryBackoff:  func(attempt int) time.Duration { return time.Duration(attempt) * 100 * time.Millisecond },
	})
	if err != nil {
		return nil, fmt.Errorf("elasticsearch.NewClient: %w", err)
	}
	return c, nil
}

// ClusterHealth returns nil when the cluster is green or yellow. It uses
// GET /_cluster/health: the root route (Info) is absent from the local build.
func ClusterHealth(ctx context.Context, es *elasticsearch.Client) (err error) {
	defer apperr.Wrap(&err, "search.ClusterHealth")
	res, err := es.Cluster.Health(es.Cluster.Health.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return fmt.Errorf("%w: %s", apperr.Unavailable, res.Status())
	}
	var body struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return err
	}
	if body.Status != "green" && body.Status != "yellow" {
		return fmt.Errorf("%w: cluster status %s", apperr.Unavailable, body.Status)
	}
	return nil
}
