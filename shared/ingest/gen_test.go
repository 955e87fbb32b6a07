package ingest_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
)

// writeFormat generates opts in format into a buffer; it returns the bytes,
// the file name to parse it under and the number of titles.
func writeFormat(t testing.TB, format string, opts gen.Options) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	var err error
	name := "titles." + format
	switch format {
	case "csv":
		_, err = gen.WriteCSV(&buf, opts, ';', "utf-8")
	case "csv-1252":
		_, err = gen.WriteCSV(&buf, opts, ';', "windows-1252")
		name = "titles.csv"
	case "csv-8859-15":
		_, err = gen.WriteCSV(&buf, opts, ',', "iso-8859-15")
		name = "titles.csv"
	case "csv-utf16":
		_, err = gen.WriteCSV(&buf, opts, '\t', "utf-16le")
		name = "titles.txt"
	case "csv-bom":
		_, err = gen.WriteCSV(&buf, opts, '|', "utf-8-bom")
		name = "titles.csv"
	case "tsv":
		_, err = gen.WriteCSV(&buf, opts, '\t', "utf-8")
	case "xlsx":
		_, err = gen.WriteXLSX(&buf, opts)
	case "json":
		_, err = gen.WriteJSON(&buf, opts, false)
	case "ndjson":
		_, err = gen.WriteJSON(&buf, opts, true)
	case "xml":
		_, err = gen.WriteXML(&buf, opts)
	default:
		t.Fatalf("unknown format %s", format)
	}
	if err != nil {
		t.Fatalf("generate %s: %v", format, err)
	}
	return buf.Bytes(), name
}

func profileFor(t testing.TB, format string) *ingest.Profile {
	t.Helper()
	base := format
	if len(base) > 3 && base[:3] == "csv" {
		base = "csv"
	}
	p, err := ingest.LoadProfile(gen.ProfileFor(base))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGeneratedEveryFormat(t *testing.T) {
	t.Parallel()
	opts := gen.Options{Seed: 42, Titles: 60, BadEvery: 7}
	titles := gen.Generate(opts)
	wantTitles, wantRejected := 0, 0
	for _, tt := range titles {
		if tt.Bad == "" {
			wantTitles++
		} else {
			wantRejected++
		}
	}
	for _, format := range []string{"csv", "csv-1252", "csv-8859-15", "csv-utf16", "csv-bom", "tsv", "xlsx", "json", "ndjson", "xml"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			data, name := writeFormat(t, format, opts)
			var got []ingest.Parsed
			rep, err := ingest.Parse(context.Background(), ingest.Source{Supplier: "gen", Name: name, R: bytes.NewReader(data), Size: int64(len(data))},
				profileFor(t, format), ingest.DefaultLimits, func(p ingest.Parsed) error { got = append(got, p); return nil })
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if rep.FileError != "" {
				t.Fatalf("file error: %s", rep.FileError)
			}
			if len(got) != wantTitles || rep.Titles != wantTitles {
				for _, e := range rep.Errors {
					t.Logf("error: %+v", e)
				}
				t.Fatalf("got %d titles (report %d), want %d", len(got), rep.Titles, wantTitles)
			}
			if rep.Verdict != ingest.AcceptedWithRejections {
				t.Errorf("got verdict %s, want %s", rep.Verdict, ingest.AcceptedWithRejections)
			}
			if rep.AcceptedRows+rep.RejectedRows != rep.Rows {
				t.Errorf("got accepted %d + rejected %d != rows %d", rep.AcceptedRows, rep.RejectedRows, rep.Rows)
			}
			if rep.ErrorCount < wantRejected {
				t.Errorf("got %d errors, want at least %d", rep.ErrorCount, wantRejected)
			}
			// Accented names survive every encoding.
			byKey := map[string]string{}
			for _, tt := range titles {
				byKey[tt.Key] = tt.Name
			}
			for _, p := range got {
				if want := byKey[p.Title.Identifiers.SupplierKeys["gen"]]; p.Title.Name != want {
					t.Fatalf("got name %q, want %q", p.Title.Name, want)
				}
				if len(p.Title.AdProducts) == 0 || len(p.Title.Contacts) != 1 || len(p.Title.Measurements) == 0 {
					t.Fatalf("title %s: got %d ad products, %d contacts, %d measurements", p.Title.ID, len(p.Title.AdProducts), len(p.Title.Contacts), len(p.Title.Measurements))
				}
			}
		})
	}
}
