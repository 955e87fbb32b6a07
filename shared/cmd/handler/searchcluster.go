package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// searchClusterHealth returns a function that reads GET /_cluster/health
// (within 2 seconds) for the cluster-status metrics
// (telemetry.ObserveSearchCluster): status and data-node count. Any failure
// is returned as an error, which the metric reports as "unreachable".
func searchClusterHealth(es *elasticsearch.Client) func(context.Context) (telemetry.SearchClusterHealth, error) {
	return func(ctx context.Context) (telemetry.SearchClusterHealth, error) {
		hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		res, err := es.Cluster.Health(es.Cluster.Health.WithContext(hctx))
		if err != nil {
			return telemetry.SearchClusterHealth{}, err
		}
		defer res.Body.Close()
		if res.IsError() {
			return telemetry.SearchClusterHealth{}, fmt.Errorf("_cluster/health: %s", res.Status())
		}
		var body struct {
			Status    string `json:"status"`
			DataNodes int    `json:"number_of_data_nodes"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			return telemetry.SearchClusterHealth{}, fmt.Errorf("_cluster/health: %w", err)
		}
		return telemetry.SearchClusterHealth{Status: body.Status, DataNodes: body.DataNodes}, nil
	}
}
