package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

func mustProfile(t testing.TB, name string) *Profile {
	t.Helper()
	p, err := LoadProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func parseString(t *testing.T, name, data string, lim Limits) *Report {
	t.Helper()
	rep, err := Parse(context.Background(), Source{Supplier: "s", Name: name, R: strings.NewReader(data), Size: -1}, mustProfile(t, "generic"), lim, func(Parsed) error { return nil })
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return rep
}

func TestSniffDelimiter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, sample string
		want         byte
	}{
		{"semicolon with decimal commas", "key;name;price\nA;De Krant;1,5\nB;Het Blad;2,5\n", ';'},
		{"comma with quoted semicolons", "key,name,price\nA,\"a;b;c;d\",1\nB,\"x;y\",2\n", ','},
		{"tab", "key\tname\tprice\nA\tB\tC\n", '\t'},
		{"pipe", "key|name|price\nA|B|C\n", '|'},
		{"single column", "key\nA\n", ','},
	} {
		if got := sniffDelimiter([]byte(tc.sample)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCSVRecords(t *testing.T) {
	t.Parallel()
	in := "a,b,c\r\n1,\"two, \"\"quoted\"\"\",3\r\n\r\n4,\"multi\r\nline\",6\n7,8\"inch,9\n10,\"x\"y,11"
	c, err := newCSVReader(strings.NewReader(in), ',', DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		num  int
		vals string
	}{{2, `1|two, "quoted"|3`}, {4, "4|multi\nline|6"}, {6, `7|8"inch|9`}, {7, "10|xy|11"}}
	for _, w := range want {
		r, err := c.Next()
		if err != nil {
			t.Fatalf("got %v, want row %d", err, w.num)
		}
		if got := strings.Join(r.Values, "|"); r.Num != w.num || got != w.vals {
			t.Errorf("got row %d %q, want row %d %q", r.Num, got, w.num, w.vals)
		}
	}
	if _, err := c.Next(); err != io.EOF {
		t.Errorf("got %v, want io.EOF", err)
	}
}

func TestFileErrors(t *testing.T) {
	t.Parallel()
	small := DefaultLimits
	small.MaxRowBytes = 100
	small.MaxRows = 2
	header := "key;name;media_type\n"
	for _, tc := range []struct {
		name, file, data string
		lim              Limits
		want             string
	}{
		{"empty", "a.csv", "", DefaultLimits, "file is empty"},
		{"missing required column", "a.csv", "key;media_type\nA;print\n", DefaultLimits, `missing required column "name"`},
		{"unterminated quote", "a.csv", header + "A;\"De Krant;print\nB;x;print\n", DefaultLimits, "quoted field is never closed"},
		{"row too long", "a.csv", header + "A;" + strings.Repeat("x", 200) + ";print\n", small, "row 2: row length in bytes over the limit of 100"},
		{"unterminated quote bounded", "a.csv", header + "A;\"" + strings.Repeat("x\n", 200), small, "over the limit of 100"},
		{"too many rows", "a.csv", header + "A;a;print\nB;b;print\nC;c;print\n", small, "number of rows over the limit of 2"},
		{"json not an array", "a.json", `{"a":1}{`, DefaultLimits, "more than one JSON value on the line"},
		{"json scalar array", "a.json", `[1,2]`, DefaultLimits, "must be a JSON object"},
		{"json truncated", "a.json", `[{"key":"A","name":"x"},{"key":`, DefaultLimits, "truncated"},
		{"json trailing data", "a.json", `[{"key":"A","name":"x","media_type":"print"}] x`, DefaultLimits, "after the closing ]"},
		{"json record too big", "a.json", `[{"key":"` + strings.Repeat("x", 200<<10) + `"}]`, small, "record size in bytes over the limit"},
		{"xml no records", "a.xml", `<titles><item/></titles>`, DefaultLimits, "no <title> record elements"},
		{"xml malformed", "a.xml", `<titles><title><key>A</title></titles>`, DefaultLimits, "invalid XML"},
		{"xml record too big", "a.xml", `<titles><title><key>` + strings.Repeat("x", 200<<10) + `</key></title></titles>`, small, "record size in bytes over the limit"},
		{"not xlsx", "a.xlsx", "PK\x03\x04 not really", DefaultLimits, "not an XLSX (zip) file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := parseString(t, tc.file, tc.data, tc.lim)
			if rep.Verdict != Rejected || !strings.Contains(rep.FileError+fmtErrors(rep), tc.want) {
				t.Errorf("got verdict %s, file error %q, errors %s; want rejected with %q", rep.Verdict, rep.FileError, fmtErrors(rep), tc.want)
			}
		})
	}
}

func fmtErrors(r *Report) string {
	var b strings.Builder
	for _, e := range r.Errors {
		b.WriteString(" | " + e.Reason)
	}
	return b.String()
}

func TestFileSizeLimit(t *testing.T) {
	t.Parallel()
	lim := DefaultLimits
	lim.MaxFileBytes = 1000
	data := "key;name;media_type\n" + strings.Repeat("A;De Krant;print\n", 100)
	p := mustProfile(t, "generic")
	// Known size: rejected before reading.
	rep, err := Parse(context.Background(), Source{Name: "a.csv", R: failingReader{}, Size: int64(len(data))}, p, lim, func(Parsed) error { return nil })
	if err != nil || !strings.Contains(rep.FileError, "file size in bytes is 1720, over the limit of 1000") {
		t.Errorf("known size: got %v, %q", err, rep.FileError)
	}
	// Unknown size: rejected while reading.
	rep, err = Parse(context.Background(), Source{Name: "a.csv", R: strings.NewReader(data), Size: -1}, p, lim, func(Parsed) error { return nil })
	if err != nil || !strings.Contains(rep.FileError, "file size over the limit of 1000") {
		t.Errorf("streamed: got %v, %q", err, rep.FileError)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("read must not happen") }

func TestReadErrorIsReturned(t *testing.T) {
	t.Parallel()
	boom := errors.New("blob connection reset")
	r := io.MultiReader(strings.NewReader("key;name;media_type\nA;x;print\n"), errReader{boom})
	_, err := Parse(context.Background(), Source{Name: "a.csv", R: r, Size: -1}, mustProfile(t, "generic"), DefaultLimits, func(Parsed) error { return nil })
	if !errors.Is(err, boom) || IsFileError(err) {
		t.Errorf("got %v, want the read error (not a file error) so the pipeline retries", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestEmitErrorAndContext(t *testing.T) {
	t.Parallel()
	data := "key;name;media_type\nA;x;print\nB;y;print\n"
	stop := errors.New("cosmos down")
	_, err := Parse(context.Background(), Source{Name: "a.csv", R: strings.NewReader(data), Size: -1}, mustProfile(t, "generic"), DefaultLimits, func(Parsed) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("got %v, want the emit error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Parse(ctx, Source{Name: "a.csv", R: strings.NewReader(data), Size: -1}, mustProfile(t, "generic"), DefaultLimits, func(Parsed) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestRowErrors(t *testing.T) {
	t.Parallel()
	data := "key;name;media_type\nA;De Krant;print;extra\nB;;print\nC;Het Blad;print\n"
	rep := parseString(t, "a.csv", data, DefaultLimits)
	if rep.Titles != 1 || rep.RejectedRows != 2 || rep.Verdict != AcceptedWithRejections {
		t.Fatalf("got %d titles %d rejected %s: %s", rep.Titles, rep.RejectedRows, rep.Verdict, fmtErrors(rep))
	}
	if e := rep.Errors[0]; e.Row != 2 || !strings.Contains(e.Reason, "has 4 values but the header has 3") {
		t.Errorf("got %+v", e)
	}
	if e := rep.Errors[1]; e.Row != 3 || e.Column != "name" || e.Reason != "is required" || e.Key != "B" {
		t.Errorf("got %+v", e)
	}
	if !strings.Contains(strings.Join(rep.Warnings, ""), "") {
		t.Error("warnings")
	}
}

func TestUnknownColumnWarning(t *testing.T) {
	t.Parallel()
	rep := parseString(t, "a.csv", "key;name;media_type;colour\nA;x;print;red\n", DefaultLimits)
	if rep.Verdict != Accepted || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], `column "colour" is not in profile generic`) {
		t.Errorf("got %s %v", rep.Verdict, rep.Warnings)
	}
}

func zipWith(t *testing.T, name string, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for n := 0; n < size; n += len(chunk) {
		_, _ = w.Write(chunk)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSXLimits(t *testing.T) {
	t.Parallel()
	bomb := zipWith(t, "xl/worksheets/sheet1.xml", 20<<20) // 20 MiB of zeros in ~20 KiB
	rep := parseString(t, "bomb.xlsx", string(bomb), DefaultLimits)
	if !strings.Contains(rep.FileError, "XLSX compression ratio") {
		t.Errorf("ratio: got %q", rep.FileError)
	}
	lim := DefaultLimits
	lim.MaxXLSXBytes = 1 << 20
	lim.MaxXLSXRatio = 0
	rep = parseString(t, "big.xlsx", string(zipWith(t, "xl/sharedStrings.xml", 2<<20)), lim)
	if !strings.Contains(rep.FileError, "XLSX decompressed size in bytes") {
		t.Errorf("size: got %q", rep.FileError)
	}
	if !errors.Is(&LimitError{}, apperr.InvalidArgument) {
		t.Error("LimitError is not an InvalidArgument")
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	names := Profiles()
	if strings.Join(names, ",") != "cim-audience,generic,json-feed,publisher-ratecard" {
		t.Errorf("got profiles %v", names)
	}
	for _, n := range names {
		if _, err := LoadProfile(n); err != nil {
			t.Errorf("LoadProfile(%s): %v", n, err)
		}
	}
	for _, tc := range []struct{ json, want string }{
		{`{"name":"x","columns":[{"name":"a","field":"nope"}]}`, `unknown field "nope"`},
		{`{"name":"x","columns":[{"name":"a","field":"name"}]}`, `no column maps to field "key"`},
		{`{"name":"x","colums":[]}`, `unknown field "colums"`},
		{`{"name":"x","numbers":"roman","columns":[{"name":"a","field":"key"}]}`, `numbers "roman"`},
		{`{"name":"x","columns":[{"name":"a","field":"key"},{"name":"A","field":"name"}]}`, `used by both`},
	} {
		if _, err := ParseProfile([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseProfile(%s): got %v, want %q", tc.json, err, tc.want)
		}
	}
	if _, err := LoadProfile("nope"); err == nil || !strings.Contains(err.Error(), "known: cim-audience") {
		t.Errorf("got %v", err)
	}
}

func TestMachineTranslated(t *testing.T) {
	t.Parallel()
	data := "key;name;media_type;description_nl;description_fr;machine_translated\nA;De Krant;print;Dagblad;Quotidien;ja\n"
	var got []Parsed
	rep, err := Parse(context.Background(), Source{Name: "a.csv", R: strings.NewReader(data), Size: -1}, mustProfile(t, "generic"), DefaultLimits,
		func(p Parsed) error { got = append(got, p); return nil })
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %d titles: %s", err, len(got), fmtErrors(rep))
	}
	d := got[0].Title.Description
	if d.NL.MachineTranslated || !d.FR.MachineTranslated {
		t.Errorf("got nl machine=%v fr machine=%v, want false true (file language nl is the original)", d.NL.MachineTranslated, d.FR.MachineTranslated)
	}
	if txt, in, _ := d.Best("fr"); txt.Text != "Dagblad" || in != "nl" {
		t.Errorf("Best(fr) = %q in %s, want the human Dutch text", txt.Text, in)
	}
}
