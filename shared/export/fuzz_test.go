package export

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// seeds are committed as testdata/fuzz corpus files too; these cover the
// rules' edges for a plain `go test`.
var seeds = [][3]string{
	{"plain", "", "Le Soir"},
	{"=1+1", "+32", "-x"},
	{"@SUM(A1)", "\t=1", "\r=1"},
	{" =1", "\u00A0@", "\uFF1D1"},
	{"a,b", `q"uote`, "line\r\nbreak"},
	{"\x00", "\x01\x7f", "\xff\xfe"},
	{"_x0041_", "<tag>&amp;", "]]>"},
	{"\uFEFF=1", "\u200B-", "😀"},
	{"\r", "\n", "\r\r\n"},
}

func FuzzCSVRoundTrip(f *testing.F) {
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		in := [][]string{{a, b, c}, {c}, {b, a}, {""}}
		var buf bytes.Buffer
		w, err := NewWriter(CSV, &buf)
		if err != nil {
			t.Fatal(err)
		}
		must(t, w.WriteHeader(in[0]))
		for _, row := range in[1:] {
			must(t, w.WriteRow(row))
		}
		must(t, w.Close())
		body, ok := bytes.CutPrefix(buf.Bytes(), []byte(utf8BOM))
		if !ok {
			t.Fatal("no byte order mark")
		}
		r := csv.NewReader(bytes.NewReader(body))
		r.FieldsPerRecord = -1
		got, err := r.ReadAll()
		if err != nil {
			t.Fatalf("encoding/csv cannot read the output: %v\n%q", err, body)
		}
		if len(got) != len(in) {
			t.Fatalf("%d records, want %d:\n%q", len(got), len(in), body)
		}
		for i, row := range in {
			if len(got[i]) != len(row) {
				t.Fatalf("record %d has %d fields, want %d", i, len(got[i]), len(row))
			}
			for j, cell := range row {
				want := Neutralise(normalise(cell))
				if got[i][j] != want {
					t.Fatalf("record %d field %d = %q, want %q", i, j, got[i][j], want)
				}
				if startsDangerously(got[i][j]) {
					t.Fatalf("record %d field %d = %q starts a formula", i, j, got[i][j])
				}
			}
		}
	})
}

func FuzzXLSXRoundTrip(f *testing.F) {
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		in := [][]string{{a, b, c}, {c, "x"}, {b, a, "y"}}
		var buf bytes.Buffer
		w, err := NewWriter(XLSX, &buf)
		if err != nil {
			t.Fatal(err)
		}
		must(t, w.WriteHeader(in[0]))
		for _, row := range in[1:] {
			must(t, w.WriteRow(row))
		}
		must(t, w.Close())
		assertNoFormulas(t, buf.Bytes())
		file, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		got, err := file.GetRows(sheetName)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(in) {
			t.Fatalf("%d rows, want %d", len(got), len(in))
		}
		for i, row := range in {
			for j, cell := range row {
				want := xlsxText(cell)
				var gotCell string
				if j < len(got[i]) { // GetRows drops trailing empty cells
					gotCell = got[i][j]
				}
				if gotCell != want {
					t.Fatalf("row %d cell %d = %q, want %q (input %q)", i+1, j+1, gotCell, want, cell)
				}
				if startsDangerously(gotCell) {
					t.Fatalf("row %d cell %d = %q starts a formula", i+1, j+1, gotCell)
				}
			}
		}
	})
}
