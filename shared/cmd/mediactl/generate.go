package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mediaspecs/catalogue/shared/ingest/gen"
)

// generate writes large generated supplier files on demand (they are never
// committed): one file per format, seeded, so sizes and counts repeat.
//
//	mediactl generate -out /tmp/gen -titles 1000000 -formats csv,ndjson
func generate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	dir := fs.String("out", ".", "output folder")
	titles := fs.Int("titles", 10000, "titles per file (each has 1-3 rows)")
	seed := fs.Int64("seed", 1, "generator seed")
	formats := fs.String("formats", "csv,tsv,xlsx,json,ndjson,xml", "comma-separated formats")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := gen.Options{Seed: *seed, Titles: *titles}
	for _, format := range strings.Split(*formats, ",") {
		path := filepath.Join(*dir, fmt.Sprintf("titles-%d.%s", *titles, format))
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		var rows int
		switch format {
		case "csv":
			rows, err = gen.WriteCSV(w, opts, ';', "utf-8")
		case "tsv":
			rows, err = gen.WriteCSV(w, opts, '\t', "utf-8")
		case "xlsx":
			rows, err = gen.WriteXLSX(w, opts)
		case "json":
			rows, err = gen.WriteJSON(w, opts, false)
		case "ndjson":
			rows, err = gen.WriteJSON(w, opts, true)
		case "xml":
			rows, err = gen.WriteXML(w, opts)
		default:
			err = fmt.Errorf("unknown format %q", format)
		}
		if err == nil {
			err = w.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(out, "wrote %s (%d rows)\n", path, rows)
	}
	return nil
}
