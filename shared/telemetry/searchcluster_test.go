package telemetry

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestObserveSearchClusterReportsTheCurrentStatus(t *testing.T) {
	tel, err := New(context.Background(), Config{SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tel.Shutdown(context.Background()) }()
	health := SearchClusterHealth{Status: "yellow", DataNodes: 1}
	var readErr error
	if err := tel.ObserveSearchCluster(func(context.Context) (SearchClusterHealth, error) { return health, readErr }); err != nil {
		t.Fatal(err)
	}
	expect := func(want ...string) {
		t.Helper()
		body := scrape(t, tel)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("metrics lack %q:\n%s", w, grepMetrics(body, "mediaspecs_search_"))
			}
		}
	}
	expect(`mediaspecs_search_cluster_status{status="yellow"} 1`, `mediaspecs_search_cluster_status{status="green"} 0`,
		`mediaspecs_search_cluster_status{status="unreachable"} 0`, `mediaspecs_search_data_nodes 1`)

	health = SearchClusterHealth{Status: "green", DataNodes: 3}
	expect(`mediaspecs_search_cluster_status{status="green"} 1`, `mediaspecs_search_cluster_status{status="yellow"} 0`,
		`mediaspecs_search_data_nodes 3`)

	readErr = errors.New("connection refused")
	expect(`mediaspecs_search_cluster_status{status="unreachable"} 1`, `mediaspecs_search_cluster_status{status="green"} 0`,
		`mediaspecs_search_cluster_status{status="red"} 0`)
}
