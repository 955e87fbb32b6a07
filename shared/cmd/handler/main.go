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
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/app"
	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/health"
	"github.com/mediaspecs/catalogue/shared/pipeline"
	"github.com/mediaspecs/catalogue/shared/reindex"
	"github.com/mediaspecs/catalogue/shared/search"
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
		MaxRetries: int32(cfg.Cosmos.MaxRetries),
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
	es, err := search.NewClient(cfg.Elasticsearch)
	if err != nil {
		return fmt.Errorf("search.NewClient: %w", err)
	}
	storage, err := blob.NewClients(cfg.Storage, cred)
	if err != nil {
		return fmt.Errorf("blob.NewClients: %w", err)
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
	store := cosmos.NewStore(mediaContainer)
	ingester, err := newIngester(cfg, db, storage, logger)
	if err != nil {
		return err
	}
	indexer := &reindex.Indexer{ES: es, Alias: cfg.Elasticsearch.WriteAlias, Titles: store, Logger: logger}
	nightly, err := newMaintenance(cfg, db, es, storage, store, indexer, logger)
	if err != nil {
		return err
	}
	srv := app.New(app.Deps{
		Logger:      logger,
		Health:      checks,
		Search:      &search.Searcher{ES: es, Index: cfg.Elasticsearch.ReadAlias},
		Labels:      func(facet, value, lang string) string { return catalog.Label(facet, value, catalog.Lang(lang)) },
		Media:       store,
		Reindex:     indexer.Func,
		Ingest:      ingester.Ingest,
		Maintenance: nightly.Func,
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
	return nil
}

// newIngester builds the IngestSupplierFile pipeline over the media and
// changes containers and the storage account.
func newIngester(cfg *config.Config, db *azcosmos.DatabaseClient, storage *blob.Clients, logger *slog.Logger) (*pipeline.Pipeline, error) {
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
	}, cosmos.NewStore(media), cosmos.NewChanges(changes), blob.NewFiles(storage.Blob), logger)
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

// newLogger writes JSON lines to stdout, which the host collects.
func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: l}))
}
