package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
)

func TestSearchClusterHealthReadsStatusAndNodes(t *testing.T) {
	answer := `{"status":"yellow","number_of_data_nodes":2}`
	code := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_cluster/health" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(answer))
	}))
	defer srv.Close()
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{srv.URL}, MaxRetries: -1, DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	read := searchClusterHealth(es)
	h, err := read(context.Background())
	if err != nil || h.Status != "yellow" || h.DataNodes != 2 {
		t.Errorf("got %+v, %v; want yellow with 2 data nodes", h, err)
	}
	code, answer = http.StatusServiceUnavailable, `{"error":"x"}`
	if _, err := read(context.Background()); err == nil {
		t.Error("a 503 from _cluster/health must be an error (reported as unreachable)")
	}
	srv.Close()
	if _, err := read(context.Background()); err == nil {
		t.Error("an unreachable cluster must be an error")
	}
}
