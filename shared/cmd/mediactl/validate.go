package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/pipeline"
)

// errRejected is returned when validate judges the file rejected, so the
// exit status is non-zero.
var errRejected = errors.New("the file would be rejected")

// validate is `mediactl validate FILE [--profile P] [--supplier S] [--rejected-csv PATH]`:
// the pipeline's parser, normaliser and validator run offline on a local
// file; the report (JSON) goes to out. Flags may come before or after FILE.
func validate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	profileName := fs.String("profile", "", "ingest profile (default: the supplier's, see shared/pipeline/suppliers.json)")
	supplier := fs.String("supplier", "local", "supplier (drop folder) the file would be delivered as")
	csvPath := fs.String("rejected-csv", "", "also write the rejected rows as CSV to this path")
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		return errors.New("usage: mediactl validate FILE [--profile P] [--supplier S] [--rejected-csv PATH]")
	}
	f, err := os.Open(files[0])
	if err != nil {
		return err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	src := ingest.Source{Supplier: *supplier, Name: filepath.Base(files[0]), R: f, Size: size}
	rep, err := pipeline.DryRun(ctx, src, *profileName)
	var badProfile *apperr.ParamError
	switch {
	case errors.As(err, &badProfile):
		return err
	case err != nil:
		return fmt.Errorf("reading %s: %w", files[0], err)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		return err
	}
	if *csvPath != "" {
		c, err := os.Create(*csvPath)
		if err != nil {
			return err
		}
		if err := ingest.WriteRejectedCSV(c, rep); err != nil {
			c.Close()
			return err
		}
		if err := c.Close(); err != nil {
			return err
		}
	}
	if rep.Verdict == ingest.Rejected {
		return fmt.Errorf("%w: %s", errRejected, rep.FileError)
	}
	return nil
}
