// Command handler is the Azure Functions custom handler: one HTTP server that
// the Functions host starts, that listens on FUNCTIONS_CUSTOMHANDLER_PORT and
// serves every function of the app (see shared/app for the routes).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/app"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/health"
	"github.com/mediaspecs/catalogue/shared/maintenance"
	"github.com/mediaspecs/catalogue/shared/pipeline"
	"github.com/mediaspecs/catalogue/shared/quota"
	"github.com/mediaspecs/catalogue/shared/reindex"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := realMain(ctx)
	stop()
	if err != nil {
		// stderr is logged by the host at error level.
		fmt.Fprintln(os.Stderr, "handler:", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context) error {
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.LogLevel)

	// OpenTelemetry: traces and metrics, /metrics locally, OTLP when
	// OTEL_EXPORTER_OTLP_ENDPOINT is set. The OTEL_* variables are the
	// standard ones the SDK's exporters read themselves; the sample ratio
	// is ours (TRACE_SAMPLE_RATIO, shared/config).
	tcfg := telemetry.ConfigFromEnv(os.LookupEnv)
	tcfg.SampleRatio = cfg.Telemetry.TraceSampleRatio
	tel, err := telemetry.Setup(ctx, tcfg)
	if err != nil {
		return err
	}
	defer func() {
		// Flush pending spans and metrics after the server has drained.
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(fctx); err != nil {
			logger.Warn("telemetry shutdown", slog.Any("err", err))
		}
	}()

	var cred azcore.TokenCredential
	if cfg.Cosmos.Key == "" || cfg.Storage.ConnectionString == "" {
		// Azure: the user-assigned managed identity named by AZURE_CLIENT_ID
		// (read by azidentity itself); no keys or connection strings.
		cred, err = azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return fmt.Errorf("azidentity.NewDefaultAzureCredential: %w", err)
		}
	}
	cosmosClient, err := cosmos.NewClient(cosmos.ClientConfig{
		Endpoint: cfg.Cosmos.Endpoint, Key: cfg.Cosmos.Key, CAFile: cfg.Cosmos.CAFile,
		MaxRetries:       int32(cfg.Cosmos.MaxRetries),
		PerRetryPolicies: []policy.Policy{tel.AzurePolicy("cosmos")},
		// A span per operation (with its request charge) and per attempt.
		TracingProvider: tel.AzureTracing(),
	}, credUnlessKey(cred, cfg.Cosmos.Key))
	if err != nil {
		return fmt.Errorf("cosmos.NewClient: %w", err)
	}
	db, err := cosmosClient.NewDatabase(cfg.Cosmos.Database)
	if err != nil {
		return fmt.Errorf("cosmos NewDatabase: %w", err)
	}
	mediaContainer, err := db.NewContainer(cfg.Cosmos.Container)
	if err != nil {
		return fmt.Errorf("cosmos NewContainer: %w", err)
	}
	// Dependency spans and metrics: a span per Elasticsearch call and per
	// Storage operation and attempt, each attempt counted.
	es, err := search.NewClient(cfg.Elasticsearch, search.WithTracing(tel.TracerProvider()),
		search.WithTransport(func(rt http.RoundTripper) http.RoundTripper { return tel.HTTPDependency("elasticsearch", rt) }))
	if err != nil {
		return fmt.Errorf("search.NewClient: %w", err)
	}
	storage, err := blob.NewClientsWithOptions(cfg.Storage, cred, policy.ClientOptions{
		TracingProvider: tel.AzureTracing(), PerRetryPolicies: []policy.Policy{tel.AzurePolicy("storage")}})
	if err != nil {
		return fmt.Errorf("blob.NewClients: %w", err)
	}
	// The metric callbacks below read queues and the cluster at every
	// collection, outside any request: through untraced clients, so that a
	// scrape does not start a trace of its own every 15 seconds.
	esProbe, err := search.NewClient(cfg.Elasticsearch)
	if err != nil {
		return fmt.Errorf("search.NewClient: %w", err)
	}
	storageProbe, err := blob.NewClients(cfg.Storage, cred)
	if err != nil {
		return fmt.Errorf("blob.NewClients: %w", err)
	}

	// Queue depths (mediaspecs_queue_messages) for the poison-message alert, read at
	// each metrics collection; the host creates a poison queue on its first
	// message, so a missing one simply has no sample.
	if err := tel.ObserveQueues(queueDepths(storageProbe, cfg.Storage.IngestQueue, cfg.Storage.ReindexQueue, cfg.Storage.MaintenanceQueue)); err != nil {
		return fmt.Errorf("telemetry: queue depths: %w", err)
	}
	// Age of the oldest waiting message (queue age alert, dashboards) and the
	// generation of the index behind the read alias, read at collection time
	// like the depths (metrics.go).
	if addr := os.Getenv(telemetry.MetricsListenAddrEnv); addr != "" {
		// A fixed local scrape port for the local Prometheus (never set in Azure).
		if err := tel.ServeMetrics(ctx, addr); err != nil {
			return err
		}
	}
	if err := tel.ObserveQueueAges(oldestMessageAges(storageProbe, cfg.Storage.IngestQueue, cfg.Storage.ReindexQueue, cfg.Storage.MaintenanceQueue)); err != nil {
		return fmt.Errorf("telemetry: queue ages: %w", err)
	}
	if err := tel.ObserveIndexGeneration(indexGeneration(&search.Admin{ES: esProbe, Prefix: cfg.Elasticsearch.IndexPrefix,
		ReadAlias: cfg.Elasticsearch.ReadAlias, WriteAlias: cfg.Elasticsearch.WriteAlias})); err != nil {
		return fmt.Errorf("telemetry: index generation: %w", err)
	}
	// Elasticsearch cluster status and data nodes (the not-green alerts),
	// read at collection time (searchcluster.go).
	if err := tel.ObserveSearchCluster(searchClusterHealth(esProbe)); err != nil {
		return fmt.Errorf("telemetry: search cluster health: %w", err)
	}

	checks := health.New(cfg.HealthTimeout, map[string]health.Check{
		"cosmos": func(ctx context.Context) error {
			_, err := db.Read(ctx, nil)
			return err
		},
		"elasticsearch": func(ctx context.Context) error { return search.ClusterHealth(ctx, es) },
		"storage": func(ctx context.Context) error {
			_, err := storage.Blob.ServiceClient().NewContainerClient(cfg.Storage.SupplierContainer).GetProperties(ctx, nil)
			return err
		},
	})
	// Titles written outside ingestion are logged in the maintenance
	// container, so that the ingest manifest never vouches for them.
	maintenanceContainer, err := db.NewContainer(cfg.Maintenance.LeaseContainer)
	if err != nil {
		return fmt.Errorf("cosmos NewContainer(%s): %w", cfg.Maintenance.LeaseContainer, err)
	}
	outside := cosmos.NewOutsideWrites(maintenanceContainer)
	store := cosmos.NewStore(mediaContainer, outside)
	ingester, err := newIngester(cfg, db, storage, outside, logger)
	if err != nil {
		return err
	}
	indexer := &reindex.Indexer{ES: es, Alias: cfg.Elasticsearch.WriteAlias, Titles: store, Logger: logger,
		OnRejected: tel.RecordBulkRejections}
	nightly, err := newMaintenance(cfg, db, es, storage, store, indexer, logger)
	if err != nil {
		return err
	}
	// B2B limits: per-instance token buckets, daily counts shared through
	// the maintenance container (shared/quota, cosmos.QuotaLedger).
	limits, err := quota.ParseLimits(cfg.B2B.Limits)
	if err != nil {
		return err
	}
	limiter := quota.New(limits, cosmos.NewQuotaLedger(maintenanceContainer), time.Now)
	limiter.Logger = logger
	b2bLimiter := func(ctx context.Context, clientID string) (app.Admission, error) {
		d, err := limiter.Allow(ctx, clientID)
		return app.Admission{Allowed: d.Allowed, RetryAfter: d.RetryAfter, Reason: d.Reason}, err
	}
	changesContainer, err := db.NewContainer(cfg.Cosmos.ChangesContainer)
	if err != nil {
		return fmt.Errorf("cosmos NewContainer(%s): %w", cfg.Cosmos.ChangesContainer, err)
	}
	manualRuns := &maintenance.Runs{Job: nightly,
		Status: &blob.Reports{Client: storage.Blob, Container: cfg.Maintenance.ReportsContainer},
		Queue:  &blob.QueueSender{Client: storage.Queue.NewQueueClient(cfg.Storage.MaintenanceQueue)}}
	// GetMedia's reads: decoded titles, revalidated by ETag, served without
	// a round trip within DETAIL_FRESH_FOR of their last confirmation.
	detailCache := cosmos.NewTitleCache(store, cfg.Cosmos.DetailCacheTitles)
	detailCache.FreshFor = cfg.Cosmos.DetailFreshFor
	// Access tokens: one verifier for the process, built with the process
	// context. OIDC discovery is a network call, so auth.New does not wait
	// for it: it starts discovery (and the key fetch) in the background and
	// returns at once, so the handler listens within the host's start-up
	// budget even when Keycloak is slow or down. Requests that need a token
	// wait for discovery (5 s at most) or answer 503, and a later request
	// retries it; public routes (health, docs) never depend on Keycloak.
	verifier, err := auth.New(ctx, auth.Config{Issuer: cfg.OIDC.Issuer, Audience: cfg.OIDC.Audience})
	if err != nil {
		return err
	}
	srv := app.New(app.Deps{
		Logger:      logger,
		Health:      health.NewCached(checks, 5*time.Second),
		Search:      &search.Searcher{ES: es, Index: cfg.Elasticsearch.ReadAlias},
		Labels:      func(facet, value, lang string) string { return catalog.Label(facet, value, catalog.Lang(lang)) },
		Media:       detailCache,
		Reindex:     indexer.Func,
		Ingest:      ingester.Ingest,
		Maintenance: nightly.Func,
		Auth:        verifier,

		Limiter:        b2bLimiter,
		Changes:        changesFeed(cosmos.NewChanges(changesContainer)),
		IngestReports:  &blob.Reports{Client: storage.Blob, Container: cfg.Storage.ReportsContainer},
		Validate:       pipeline.DryRun,
		Runs:           manualRuns,
		RunMaintenance: manualRuns.Func,
	})

	// The host always calls http://127.0.0.1:<port>; nothing else may reach the handler.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("net.Listen: %w", err)
	}
	server := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	logger.Info("handler listening", slog.String("addr", ln.Addr().String()))

	errc := make(chan error, 1)
	go func() { errc <- server.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http.Server.Serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := server.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http.Server.Shutdown: %w", err)
	}
	// The B2B calls counted since the last flush join the shared daily counts.
	limiter.Flush(sctx)
	return nil
}

// changesFeed serves the B2B changes feed from the change records.
func changesFeed(c *cosmos.Changes) app.ChangeFeed {
	return func(ctx context.Context, cursor string, limit int) (app.ChangesPage, error) {
		p, err := c.Since(ctx, cursor, limit, time.Now())
		return app.ChangesPage{Changes: p.Changes, Next: p.Next, More: p.More}, err
	}
}

// newIngester builds the IngestSupplierFile pipeline over the media and
// changes containers and the storage account.
func newIngester(cfg *config.Config, db *azcosmos.DatabaseClient, storage *blob.Clients, outside *cosmos.OutsideWrites, logger *slog.Logger) (*pipeline.Pipeline, error) {
	media, err := db.NewContainer(cfg.Cosmos.Container)
	if err != nil {
		return nil, fmt.Errorf("cosmos NewContainer(%s): %w", cfg.Cosmos.Container, err)
	}
	changes, err := db.NewContainer(cfg.Cosmos.ChangesContainer)
	if err != nil {
		return nil, fmt.Errorf("cosmos NewContainer(%s): %w", cfg.Cosmos.ChangesContainer, err)
	}
	p, err := pipeline.New(pipeline.Config{
		DropContainer:    cfg.Storage.SupplierContainer,
		ReportsContainer: cfg.Storage.ReportsContainer,
		Writers:          cfg.Cosmos.IngestWriters,
		InFlightBytes:    cfg.Cosmos.IngestInFlightMiB << 20,
		Reindex:          blob.NewMessages(storage.Queue.NewQueueClient(cfg.Storage.ReindexQueue)),
		Manifests:        blob.NewManifests(storage.Blob, cfg.Storage.ReportsContainer, "_manifests/"),
	}, cosmos.NewStore(media, outside), cosmos.NewChanges(changes), blob.NewFiles(storage.Blob), logger)
	if err != nil {
		return nil, fmt.Errorf("pipeline.New: %w", err)
	}
	return p, nil
}

func credUnlessKey(cred azcore.TokenCredential, key string) azcore.TokenCredential {
	if key != "" {
		return nil
	}
	return cred
}

// newLogger writes JSON lines to stdout, which the host collects, with
// secrets and personal data redacted and trace ids added
// (telemetry.NewLogger).
func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return telemetry.NewLogger(os.Stdout, l)
}

// queueDepths returns a function that reads the approximate message count of
// each queue and of its poison queue, each within 2 seconds.
func queueDepths(storage *blob.Clients, queues ...string) func(context.Context) map[string]int64 {
	var names []string
	for _, q := range queues {
		names = append(names, q, q+"-poison")
	}
	return func(ctx context.Context) map[string]int64 {
		out := make(map[string]int64, len(names))
		for _, name := range names {
			qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			props, err := storage.Queue.NewQueueClient(name).GetProperties(qctx, nil)
			cancel()
			if err == nil && props.ApproximateMessagesCount != nil {
				out[name] = int64(*props.ApproximateMessagesCount)
			}
		}
		return out
	}
}
