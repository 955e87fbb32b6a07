package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Elasticsearch cluster health, read at collection time (the Elasticsearch
// not-green alerts in infra/observability/rules/catalogue.yml):
//
//	mediaspecs.search.cluster_status -> mediaspecs_search_cluster_status{status}:
//	  1 for the status of the last read, 0 for the others; status is one of
//	  SearchClusterStatuses ("unreachable": _cluster/health did not answer).
//	mediaspecs.search.data_nodes -> mediaspecs_search_data_nodes: data nodes
//	  in the cluster (a single-node cluster is yellow whenever an index has
//	  replicas, which the yellow alert leaves alone).
const (
	MetricSearchClusterStatus = "mediaspecs.search.cluster_status"
	MetricSearchDataNodes     = "mediaspecs.search.data_nodes"
)

// SearchUnreachable is the status reported when the cluster does not answer.
const SearchUnreachable = "unreachable"

// SearchClusterStatuses are the values of the status label, each always
// exported (0 or 1) so a status change is a value change, not a new series.
var SearchClusterStatuses = []string{"green", "yellow", "red", SearchUnreachable}

// SearchClusterHealth is what one read of GET /_cluster/health says.
type SearchClusterHealth struct {
	Status    string // green, yellow or red
	DataNodes int
}

// ObserveSearchCluster reports, at each collection, the cluster health that
// read returns; an error (or a status outside green, yellow, red) is
// reported as "unreachable", without a data-node sample.
func (t *Telemetry) ObserveSearchCluster(read func(ctx context.Context) (SearchClusterHealth, error)) error {
	if t == nil {
		return nil
	}
	status, err := t.meter.Int64ObservableGauge(MetricSearchClusterStatus,
		metric.WithDescription("Elasticsearch cluster health: 1 for the current status (green, yellow, red, unreachable), 0 for the others."))
	if err != nil {
		return err
	}
	nodes, err := t.meter.Int64ObservableGauge(MetricSearchDataNodes, metric.WithUnit("{node}"),
		metric.WithDescription("Data nodes in the Elasticsearch cluster."))
	if err != nil {
		return err
	}
	_, err = t.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		h, err := read(ctx)
		current := h.Status
		if err != nil || (current != "green" && current != "yellow" && current != "red") {
			current = SearchUnreachable
		} else {
			o.ObserveInt64(nodes, int64(h.DataNodes))
		}
		for _, s := range SearchClusterStatuses {
			v := int64(0)
			if s == current {
				v = 1
			}
			o.ObserveInt64(status, v, metric.WithAttributeSet(attribute.NewSet(attribute.String("status", s))))
		}
		return nil
	}, status, nodes)
	return err
}
