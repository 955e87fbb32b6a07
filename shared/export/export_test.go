package export

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Format
	}{{"csv", CSV}, {"xlsx", XLSX}, {"XLSX", XLSX}, {" csv ", CSV}} {
		got, err := ParseFormat(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "xls", "json", "csv;xlsx"} {
		_, err := ParseFormat(in)
		var pe *apperr.ParamError
		if !errors.As(err, &pe) || pe.Param != "format" {
			t.Errorf("ParseFormat(%q): err = %v, want a ParamError on format", in, err)
			continue
		}
		p := apperr.ProblemFor(err, "/api/v1/export")
		if p.Status != http.StatusBadRequest || p.Param != "format" {
			t.Errorf("ParseFormat(%q) problem = %+v, want 400 naming format", in, p)
		}
	}
}

func TestFormatHeaders(t *testing.T) {
	t.Parallel()
	if got := CSV.ContentType(); got != "text/csv; charset=utf-8" {
		t.Errorf("CSV.ContentType() = %q", got)
	}
	if got := XLSX.ContentType(); got != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("XLSX.ContentType() = %q", got)
	}
	if CSV.Extension() != ".csv" || XLSX.Extension() != ".xlsx" {
		t.Errorf("extensions = %q, %q", CSV.Extension(), XLSX.Extension())
	}
	if _, err := NewWriter("ods", io.Discard); err == nil {
		t.Error("NewWriter accepted an unknown format")
	}
}

func TestCSVBytes(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := NewWriter(CSV, &buf)
	if err != nil {
		t.Fatal(err)
	}
	must(t, w.WriteHeader([]string{"id", "name", "=note"}))
	must(t, w.WriteRow([]string{"be-lesoir", `Le "Soir"`, "a,b\r\nc"}))
	must(t, w.WriteRow([]string{"x", "", "@evil"}))
	must(t, w.Close())
	want := "\uFEFF" +
		`"id","name","'=note"` + "\r\n" +
		`"be-lesoir","Le ""Soir""","a,b` + "\n" + `c"` + "\r\n" +
		`"x","","'@evil"` + "\r\n"
	if got := buf.String(); got != want {
		t.Errorf("CSV =\n%q\nwant\n%q", got, want)
	}
}

// A cell hiding a trigger behind the other common separator stays one
// quoted cell, so a reader splitting on ';' cannot expose it.
func TestCSVQuotesEveryField(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, _ := NewWriter(CSV, &buf)
	must(t, w.WriteRow([]string{"a;=HYPERLINK(\"http://x\")", "plain"}))
	must(t, w.Close())
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), utf8BOM)))
	r.Comma = ';'
	r.LazyQuotes = true
	rec, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range rec {
		if startsDangerously(strings.Trim(cell, `"`)) {
			t.Errorf("read with ';' as separator, cell %q starts a formula (record %q)", cell, rec)
		}
	}
}

func TestWriterOrder(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{CSV, XLSX} {
		t.Run(string(f), func(t *testing.T) {
			w, err := NewWriter(f, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			must(t, w.WriteRow([]string{"a"}))
			if err := w.WriteHeader([]string{"h"}); err == nil {
				t.Error("WriteHeader after a row was accepted")
			}
			must(t, w.Close())
			if err := w.WriteRow([]string{"b"}); err == nil {
				t.Error("WriteRow after Close was accepted")
			}
			if err := w.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// flushRecorder is an http.ResponseWriter-like destination that records
// how many bytes it had received at each Flush.
type flushRecorder struct {
	bytes.Buffer
	flushedAt []int
}

func (f *flushRecorder) Flush() { f.flushedAt = append(f.flushedAt, f.Len()) }

func TestCSVStreamsWhileWriting(t *testing.T) {
	t.Parallel()
	dst := &flushRecorder{}
	w, _ := NewWriter(CSV, dst)
	for range 3 * flushRows {
		must(t, w.WriteRow([]string{"row", "text"}))
	}
	if len(dst.flushedAt) != 3 || dst.flushedAt[0] == 0 {
		t.Fatalf("flushes before Close at sizes %v, want 3 flushes of non-empty output", dst.flushedAt)
	}
	before := dst.Len()
	must(t, w.Close())
	if dst.Len() != before || len(dst.flushedAt) != 4 {
		t.Errorf("Close: %d→%d bytes, %d flushes", before, dst.Len(), len(dst.flushedAt))
	}
}

func TestEmptyCSVIsJustTheBOM(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, _ := NewWriter(CSV, &buf)
	must(t, w.Close())
	if buf.String() != utf8BOM {
		t.Errorf("empty export = %q", buf.String())
	}
}

func TestXLSXContent(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := NewWriter(XLSX, &buf)
	if err != nil {
		t.Fatal(err)
	}
	must(t, w.WriteHeader([]string{"id", "=name", "circulation"}))
	must(t, w.WriteRow([]string{"be-lesoir", "Le Soir", "60000"}))
	must(t, w.WriteRow([]string{"x", "=HYPERLINK(\"http://evil\",\"click\")", "-1+1"}))
	must(t, w.WriteRow([]string{"ctrl", "a\x01b", strings.Repeat("é", maxCellUnits+10)}))
	must(t, w.Close())

	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheetName)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"id", "'=name", "circulation"},
		{"be-lesoir", "Le Soir", "60000"},
		{"x", "'=HYPERLINK(\"http://evil\",\"click\")", "'-1+1"},
		{"ctrl", "a\uFFFDb", strings.Repeat("é", maxCellUnits)},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i+1, rows[i], want[i])
		}
	}
	// Numbers are text too: the writer never guesses types.
	if typ, _ := f.GetCellType(sheetName, "C2"); typ != excelize.CellTypeInlineString {
		t.Errorf("C2 type = %v, want inline string", typ)
	}
	// The header is bold and frozen.
	style, _ := f.GetCellStyle(sheetName, "A1")
	if s, err := f.GetStyle(style); err != nil || s.Font == nil || !s.Font.Bold {
		t.Errorf("header style %d = %+v, %v; want bold", style, s, err)
	}
	panes, err := f.GetPanes(sheetName)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, %v; want the first row frozen", panes, err)
	}
	assertNoFormulas(t, buf.Bytes())
}

// assertNoFormulas reads the sheet XML itself: no <f> element anywhere.
func assertNoFormulas(t testing.TB, xlsx []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		found = true
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(body, []byte("<f>")) || bytes.Contains(body, []byte("<f ")) {
			t.Fatalf("%s contains a formula element", zf.Name)
		}
	}
	if !found {
		t.Fatal("no worksheet in the archive")
	}
}

func TestTruncateUTF16(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"ab😀", 3, "ab"}, // the emoji is two units: cut before it, not inside
		{"a😀", 3, "a😀"},
		{"éé", 1, "é"},
	} {
		if got := truncateUTF16(tc.in, tc.max); got != tc.want {
			t.Errorf("truncateUTF16(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
