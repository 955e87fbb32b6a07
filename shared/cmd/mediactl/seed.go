package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
)

// Seed suppliers: "sample" delivers a CSV (generic profile), "sample-feed"
// an NDJSON feed (json-feed profile, see shared/pipeline/suppliers.json).
const (
	seedCSVSupplier  = "sample"
	seedFeedSupplier = "sample-feed"
)

// seed is `mediactl seed [-titles N] [-seed S]`: it uploads a generated
// sample catalogue into the drop container — a Windows-1252 CSV and an
// NDJSON feed of N titles each — so the running function app ingests it
// through the real pipeline (the Event Grid stand-in announces the blobs).
// The same seed gives the same bytes: seeding twice is a no-op ingestion.
func seed(ctx context.Context, cfg *config.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	titles := fs.Int("titles", 500, "titles per file")
	seedN := fs.Int64("seed", 1, "generator seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	storage, err := blob.NewClients(cfg.Storage, nil)
	if err != nil {
		return err
	}
	opts := gen.Options{Seed: *seedN, Titles: *titles}
	var csv, feed bytes.Buffer
	if _, err := gen.WriteCSV(&csv, opts, ';', "windows-1252"); err != nil {
		return err
	}
	if _, err := gen.WriteJSON(&feed, opts, true); err != nil {
		return err
	}
	// The drop container normally comes from provision; create it if not.
	if _, err := storage.Blob.CreateContainer(ctx, cfg.Storage.SupplierContainer, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return fmt.Errorf("creating container %s: %w", cfg.Storage.SupplierContainer, err)
	}
	files := blob.NewFiles(storage.Blob)
	for _, f := range []struct {
		name, contentType string
		body              []byte
	}{
		{fmt.Sprintf("%s/catalogue-%d.csv", seedCSVSupplier, *seedN), "text/csv; charset=windows-1252", csv.Bytes()},
		{fmt.Sprintf("%s/catalogue-%d.ndjson", seedFeedSupplier, *seedN), "application/x-ndjson", feed.Bytes()},
	} {
		if err := files.Put(ctx, cfg.Storage.SupplierContainer, f.name, f.contentType, f.body); err != nil {
			return err
		}
		fmt.Fprintf(out, "uploaded %s/%s (%d bytes, %d titles)\n", cfg.Storage.SupplierContainer, f.name, len(f.body), *titles)
	}
	return nil
}
