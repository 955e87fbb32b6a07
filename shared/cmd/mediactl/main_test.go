package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func TestProvisionIsIdempotent(t *testing.T) {
	stacktest.Require(t, stacktest.Azurite)
	stacktest.Require(t, stacktest.Cosmos)
	name := stacktest.Name(t)
	es := stacktest.ElasticsearchClient(t)
	prefix := stacktest.IndexName(t, es) // its indices are deleted when the test ends
	cfg := &config.Config{
		Cosmos: config.Cosmos{Endpoint: stacktest.CosmosEndpoint, Key: stacktest.CosmosKey, CAFile: stacktest.CosmosCAFile(),
			Database: name, Container: "media", ChangesContainer: "changes"},
		Storage: config.Storage{ConnectionString: stacktest.AzuriteConnectionString,
			SupplierContainer: name + "-drop", ReportsContainer: name + "-reports",
			IngestQueue: name + "-ingest", ReindexQueue: name + "-reindex", MaintenanceQueue: name + "-maint-req"},
		Elasticsearch: config.Elasticsearch{URL: stacktest.ElasticsearchURL, IndexPrefix: prefix,
			ReadAlias: prefix + "-read", WriteAlias: prefix + "-write"},
		Maintenance: config.Maintenance{LeaseContainer: "maintenance", ReportsContainer: name + "-maint"},
	}
	t.Cleanup(func() { cleanup(t, cfg) })

	var first, second bytes.Buffer
	if err := provision(t.Context(), cfg, &first); err != nil {
		t.Fatalf("first provision: %v", err)
	}
	if got := strings.Count(first.String(), "created "); got != 13 {
		t.Errorf("first run created %d resources, want 13:\n%s", got, first.String())
	}
	if err := provision(t.Context(), cfg, &second); err != nil {
		t.Fatalf("second provision: %v", err)
	}
	if strings.Contains(second.String(), "created ") || strings.Count(second.String(), "exists ") != 13 {
		t.Errorf("second run was not a no-op:\n%s", second.String())
	}
}

// cleanup runs after t.Context is cancelled, so it has its own deadline.
func cleanup(t *testing.T, cfg *config.Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := stacktest.BlobService(t)
	q := stacktest.QueueService(t)
	c := stacktest.CosmosClient(t)
	s := cfg.Storage
	for _, name := range []string{s.SupplierContainer, s.ReportsContainer, cfg.Maintenance.ReportsContainer} {
		_, _ = b.DeleteContainer(ctx, name, nil)
	}
	for _, name := range []string{s.IngestQueue, s.IngestQueue + "-poison", s.ReindexQueue, s.ReindexQueue + "-poison", s.MaintenanceQueue, s.MaintenanceQueue + "-poison"} {
		_, _ = q.DeleteQueue(ctx, name, nil)
	}
	if db, err := c.NewDatabase(cfg.Cosmos.Database); err == nil {
		_, _ = db.Delete(ctx, nil)
	}
	es := stacktest.ElasticsearchClient(t)
	if res, err := es.Indices.DeleteIndexTemplate(search.TemplateName+"-"+cfg.Elasticsearch.IndexPrefix, es.Indices.DeleteIndexTemplate.WithContext(ctx)); err == nil {
		res.Body.Close()
	}
}
