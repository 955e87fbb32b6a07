// Command mediactl is the operator's tool. Subcommands:
//
//	mediactl provision   create, if missing, the local resources the functions
//	                     use: blob containers, queues and their poison queues,
//	                     the Cosmos DB database and container. Idempotent.
//	mediactl validate FILE [--profile P] [--supplier S] [--rejected-csv PATH]
//	                     check a supplier file offline with the pipeline's
//	                     parser, normaliser and validator; prints the report
//	                     (JSON) and exits non-zero when the file is rejected.
//	mediactl seed [-titles 500] [-seed 1]
//	                     upload a generated sample catalogue (CSV + NDJSON)
//	                     into the drop container for the running app to ingest.
//	mediactl generate [-out DIR] [-titles N] [-formats csv,ndjson,...]
//	                     write large generated supplier files (never committed).
//	mediactl package [-out dist]
//	                     build the deployable Function App (see shared/pack):
//	                     dist/ and dist.zip, from the repository root.
//
// It reads the handler's configuration from the environment (the same
// variables, see local.settings.sample.json). In Azure, Terraform creates
// these resources; provision is for the local stack.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/pack"
	"github.com/mediaspecs/catalogue/shared/search"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mediactl:", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context, args []string, out io.Writer) error {
	const usage = "usage: mediactl provision | validate FILE [--profile P] [--supplier S] | seed [-titles N] | package [-out dist]"
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "provision":
		// The port is the host's business; provisioning does not listen.
		lookup := func(k string) (string, bool) {
			if k == "FUNCTIONS_CUSTOMHANDLER_PORT" {
				return "1", true
			}
			return os.LookupEnv(k)
		}
		cfg, err := config.Load(lookup)
		if err != nil {
			return err
		}
		return provision(ctx, cfg, out)
	case "validate":
		return validate(ctx, rest, out)
	case "generate":
		return generate(rest, out)
	case "seed":
		cfg, err := config.Load(func(k string) (string, bool) {
			if k == "FUNCTIONS_CUSTOMHANDLER_PORT" {
				return "1", true
			}
			return os.LookupEnv(k)
		})
		if err != nil {
			return err
		}
		return seed(ctx, cfg, rest, out)
	case "package":
		fs := flag.NewFlagSet("package", flag.ContinueOnError)
		outDir := fs.String("out", "dist", "output folder; a zip of the same name is written beside it")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		dir := strings.TrimSuffix(*outDir, "/")
		return pack.Build(".", dir, dir+".zip")
	default:
		return fmt.Errorf("unknown subcommand %q (%s)", cmd, usage)
	}
}

// provision creates every resource the functions bind to or read, skipping
// those that exist.
func provision(ctx context.Context, cfg *config.Config, out io.Writer) error {
	if cfg.Storage.ConnectionString == "" || cfg.Cosmos.Key == "" {
		return errors.New("provision is for the local stack (connection string and Cosmos key); Azure resources come from Terraform")
	}
	storage, err := blob.NewClients(cfg.Storage, nil)
	if err != nil {
		return err
	}
	s := cfg.Storage
	for _, c := range []string{s.SupplierContainer, s.ReportsContainer, cfg.Maintenance.ReportsContainer} {
		_, err := storage.Blob.CreateContainer(ctx, c, nil)
		if err := report(out, "blob container", c, err); err != nil {
			return err
		}
	}
	for _, q := range []string{s.IngestQueue, s.IngestQueue + "-poison", s.ReindexQueue, s.ReindexQueue + "-poison", s.MaintenanceQueue, s.MaintenanceQueue + "-poison"} {
		// Creating an existing queue succeeds (204), so ask first to report truthfully.
		if _, err := storage.Queue.NewQueueClient(q).GetProperties(ctx, nil); err == nil {
			fmt.Fprintf(out, "exists  queue %s\n", q)
			continue
		}
		_, err := storage.Queue.CreateQueue(ctx, q, nil)
		if err := report(out, "queue", q, err); err != nil {
			return err
		}
	}

	client, err := cosmos.NewClient(cosmos.ClientConfig{Endpoint: cfg.Cosmos.Endpoint, Key: cfg.Cosmos.Key, CAFile: cfg.Cosmos.CAFile}, nil)
	if err != nil {
		return err
	}
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: cfg.Cosmos.Database}, nil)
	if err := report(out, "cosmos database", cfg.Cosmos.Database, err); err != nil {
		return err
	}
	db, err := client.NewDatabase(cfg.Cosmos.Database)
	if err != nil {
		return err
	}
	for _, props := range []azcosmos.ContainerProperties{
		cosmos.MediaContainerProperties(cfg.Cosmos.Container),
		cosmos.ChangesContainerProperties(cfg.Cosmos.ChangesContainer),
		cosmos.MediaContainerProperties(cfg.Maintenance.LeaseContainer), // leases: partition key /id too
	} {
		_, err = db.CreateContainer(ctx, props, nil)
		if err := report(out, "cosmos container", props.ID, err); err != nil {
			return err
		}
	}

	es, err := search.NewClient(cfg.Elasticsearch)
	if err != nil {
		return err
	}
	admin := &search.Admin{ES: es, Prefix: cfg.Elasticsearch.IndexPrefix, ReadAlias: cfg.Elasticsearch.ReadAlias, WriteAlias: cfg.Elasticsearch.WriteAlias}
	index, err := admin.Bootstrap(ctx, time.Now())
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	fmt.Fprintf(out, "ready   search index %s behind %s and %s\n", index, admin.ReadAlias, admin.WriteAlias)
	return nil
}

// report prints what happened to one resource; an "already exists" conflict
// is success.
func report(out io.Writer, kind, name string, err error) error {
	var re *azcore.ResponseError
	switch {
	case err == nil:
		fmt.Fprintf(out, "created %s %s\n", kind, name)
	case errors.As(err, &re) && re.StatusCode == http.StatusConflict:
		fmt.Fprintf(out, "exists  %s %s\n", kind, name)
	default:
		return fmt.Errorf("creating %s %s: %w", kind, name, err)
	}
	return nil
}
