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
	"go.opentelemetry.io/otel/trace"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/config"
)

// NewClient returns a go-elasticsearch client for cfg. Retries cover 429 and
// the gateway errors, which the bulk indexer does not retry by itself.
// Options add telemetry (WithTracing, WithTransport).
func NewClient(cfg config.Elasticsearch, opts ...ClientOption) (*elasticsearch.Client, error) {
	ecfg := elasticsearch.Config{
		Addresses:     []string{cfg.URL},
		APIKey:        cfg.APIKey,
		RetryOnStatus: []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		MaxRetries:    3,
		RetryBackoff:  func(attempt int) time.Duration { return time.Duration(attempt) * 100 * time.Millisecond },
	}
	for _, o := range opts {
		o(&ecfg)
	}
	c, err := elasticsearch.NewClient(ecfg)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch.NewClient: %w", err)
	}
	return c, nil
}

// ClientOption adjusts the client NewClient builds.
type ClientOption func(*elasticsearch.Config)

// WithTracing makes a client span per Elasticsearch API call with tp
// (go-elasticsearch's own OpenTelemetry instrumentation: the span is named
// after the endpoint, "search", "bulk", …, with db.system, db.operation, the
// index and the URL). Request bodies are never recorded: queries carry what
// users typed. A nil tp leaves the client untraced.
func WithTracing(tp trace.TracerProvider) ClientOption {
	return func(c *elasticsearch.Config) {
		if tp != nil {
			c.Instrumentation = elasticsearch.NewOpenTelemetryInstrumentation(tp, false)
		}
	}
}

// WithTransport wraps the client's HTTP transport (a clone of
// http.DefaultTransport, as go-elasticsearch uses by default), e.g. with
// telemetry.Telemetry.HTTPDependency, which sees every attempt, retries
// included. A nil wrap changes nothing.
func WithTransport(wrap func(http.RoundTripper) http.RoundTripper) ClientOption {
	return func(c *elasticsearch.Config) {
		if wrap == nil {
			return
		}
		next := c.Transport
		if next == nil {
			next = http.DefaultTransport.(*http.Transport).Clone()
		}
		c.Transport = wrap(next)
	}
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
