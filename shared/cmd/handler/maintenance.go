package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/elastic/go-elasticsearch/v8"

	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/maintenance"
	"github.com/mediaspecs/catalogue/shared/reindex"
	"github.com/mediaspecs/catalogue/shared/search"
)

// newMaintenance builds the NightlyMaintenance job: rebuild, drift repair and
// retention, each with its own timeout, under a Cosmos lease, reported to blob
// storage.
func newMaintenance(cfg *config.Config, db *azcosmos.DatabaseClient, es *elasticsearch.Client, storage *blob.Clients,
	store *cosmos.Store, indexer *reindex.Indexer, logger *slog.Logger) (*maintenance.Job, error) {
	leases, err := db.NewContainer(cfg.Maintenance.LeaseContainer)
	if err != nil {
		return nil, fmt.Errorf("cosmos NewContainer(%s): %w", cfg.Maintenance.LeaseContainer, err)
	}
	admin := &search.Admin{ES: es, Prefix: cfg.Elasticsearch.IndexPrefix, ReadAlias: cfg.Elasticsearch.ReadAlias, WriteAlias: cfg.Elasticsearch.WriteAlias}
	rebuild := &maintenance.Rebuilder{Admin: admin, Titles: store, Catchup: indexer, Logger: logger, Keep: cfg.Maintenance.KeepIndices}
	drift := &maintenance.Drift{Admin: admin, Titles: store, Repair: indexer}
	m := cfg.Maintenance
	return &maintenance.Job{
		Name:     "nightly-maintenance",
		Leases:   cosmos.NewLeases(leases),
		LeaseTTL: m.RebuildTimeout + m.DriftTimeout + m.RetentionTimeout + 10*time.Minute,
		Reports:  &blob.Reports{Client: storage.Blob, Container: m.ReportsContainer},
		Logger:   logger,
		Steps: []maintenance.Step{
			{Name: "rebuild", Timeout: m.RebuildTimeout, Run: func(ctx context.Context) (any, error) {
				return rebuild.Rebuild(ctx, time.Now())
			}},
			{Name: "drift", Timeout: m.DriftTimeout, Run: func(ctx context.Context) (any, error) {
				return drift.CheckAndRepair(ctx, true)
			}},
			{Name: "retention", Timeout: m.RetentionTimeout, Run: func(ctx context.Context) (any, error) {
				deleted := map[string]int{}
				for _, target := range []struct {
					container, prefix string
					days              int
				}{
					{cfg.Storage.SupplierContainer, "processed/", m.ProcessedRetentionDays},
					{cfg.Storage.SupplierContainer, "rejected/", m.RejectedRetentionDays},
					{cfg.Storage.ReportsContainer, "", m.ReportRetentionDays},
					{m.ReportsContainer, "", m.ReportRetentionDays},
				} {
					cutoff := time.Now().AddDate(0, 0, -target.days)
					n, err := blob.DeleteOlderThan(ctx, storage.Blob, target.container, target.prefix, cutoff)
					deleted[target.container+"/"+target.prefix] = n
					if err != nil {
						return deleted, err
					}
				}
				return deleted, nil
			}},
		},
	}, nil
}
