package ingest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/mediaspecs/catalogue/shared/catalog"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; run one target with
// go test ./shared/ingest -run '^$' -fuzz '^FuzzCSV$' -fuzztime 30s.

var fuzzLimits = Limits{MaxFileBytes: 1 << 20, MaxRowBytes: 4 << 10, MaxRows: 1000, MaxXLSXBytes: 8 << 20, MaxXLSXRatio: 100, MaxReportErrors: 50}

// drain reads every row of data in format and checks the reader's contract.
func drain(t *testing.T, format Format, data []byte) {
	p := &Profile{Name: "fuzz", Format: string(format), Columns: []Column{{Name: "key", Field: "key"}}}
	if err := p.compile(); err != nil {
		t.Fatal(err)
	}
	rr, _, err := Open(Source{Name: "f", R: bytes.NewReader(data), Size: int64(len(data))}, p, fuzzLimits)
	if err != nil {
		if !IsFileError(err) {
			t.Fatalf("Open: got %v, want a file error", err)
		}
		return
	}
	defer rr.Close()
	for n := 0; n < 10000; n++ {
		row, err := rr.Next()
		if err == io.EOF {
			return
		}
		if _, ok := err.(*rowError); ok {
			continue
		}
		if err != nil {
			if !IsFileError(err) {
				t.Fatalf("Next: got %v, want a file error", err)
			}
			return
		}
		if row.Num <= 0 {
			t.Fatalf("got row number %d", row.Num)
		}
		if format != FormatXLSX && len(row.Values) > 0 && len(strings.Join(row.Values, "")) > fuzzLimits.MaxRowBytes*2 {
			t.Fatalf("got a row of %d bytes past the limit", len(strings.Join(row.Values, "")))
		}
	}
	t.Fatal("reader did not end")
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("key;name\nA;\"x\ny\"\n"))
	f.Add([]byte("\xef\xbb\xbfkey,name\n\"a\"\"b\",c\n"))
	f.Add([]byte("\xff\xfek\x00e\x00y\x00\n\x00"))
	f.Add([]byte("key|name\r\nA|Cr\xe8me\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) { drain(t, FormatCSV, data) })
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`[{"key":"A","adProducts":[{"name":"x"},{"name":"y"}]}]`))
	f.Add([]byte(`[{"a":{"b":{"c":[1,"2",null,true]}}}]`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) { drain(t, FormatJSON, data) })
}

func FuzzNDJSON(f *testing.F) {
	f.Add([]byte("{\"key\":\"A\"}\n{\"key\":\"B\",\"x\":[{\"y\":1}]}\n"))
	f.Add([]byte("{\"key\":\n\n[]\n"))
	f.Fuzz(func(t *testing.T, data []byte) { drain(t, FormatNDJSON, data) })
}

func FuzzXML(f *testing.F) {
	f.Add([]byte(`<titles><title key="A"><name>x</name><adProducts><name>y</name></adProducts></title></titles>`))
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><t><title><name>\xe9\xa4</name></title></t>"))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><titles><title>&a;</title></titles>`))
	f.Fuzz(func(t *testing.T, data []byte) { drain(t, FormatXML, data) })
}

func FuzzXLSX(f *testing.F) {
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) { drain(t, FormatXLSX, data) })
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("key;name;media_type;price;contact_phone;size\nA;De Krant;print;1.250,00;03 231 45 67;210x297 mm\nA;De Krant;print;990;;1/2\n"))
	f.Add([]byte("key,name,countries,regions,circulation\nB,Le Soir,Belgique,Bruxelles,\"12,5k\"\n"))
	p, err := LoadProfile("generic")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Parse(context.Background(), Source{Supplier: "fuzz", Name: "f.csv", R: bytes.NewReader(data), Size: int64(len(data))}, p, fuzzLimits,
			func(pd Parsed) error {
				if err := pd.Title.Validate(); err != nil {
					t.Fatalf("emitted an invalid title: %v", err)
				}
				return nil
			})
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if rep.AcceptedRows+rep.RejectedRows != rep.Rows || rep.Verdict == "" {
			t.Fatalf("inconsistent report %+v", rep)
		}
	})
}

func FuzzDecodeText(f *testing.F) {
	for _, s := range []string{"plain", "\xef\xbb\xbfbom", "\xff\xfea\x00", "\xfe\xff\x00a", "caf\xe9 \x80", "\xa4 euro", "\xe2\x82"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, enc, err := decodeText(bufio.NewReaderSize(bytes.NewReader(data), sniffBytes), "")
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if enc != EncUTF8 && enc != EncUTF8BOM && !utf8.Valid(out) {
			t.Fatalf("%s decoded to invalid UTF-8 %q", enc, out)
		}
	})
}

func FuzzText(f *testing.F) {
	for _, s := range []string{" a  b ", "e\u0301", "\x00\t\n", "\xff", "Té\u00a0lé"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Text(s)
		if err != nil {
			return
		}
		if !utf8.ValidString(got) || !norm.NFC.IsNormalString(got) || strings.TrimSpace(got) != got {
			t.Fatalf("Text(%q) = %q: not trimmed valid NFC", s, got)
		}
		if again, _ := Text(got); again != got {
			t.Fatalf("Text not idempotent: %q → %q → %q", s, got, again)
		}
		_ = Fold(s)
		if m, err := MultilineText(s); err == nil && !utf8.ValidString(m) {
			t.Fatalf("MultilineText(%q) invalid", s)
		}
	})
}

func FuzzCodes(f *testing.F) {
	for _, s := range []string{"BE", "België", "Anvers", "BE-VAN", "nl", "Deutsch", "L-1234", "2A004", "\u00ad"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := Country(s); err == nil && !catalog.IsCountry(c) {
			t.Fatalf("Country(%q) = %q", s, c)
		}
		if c, err := Region(s); err == nil && !catalog.IsNUTS(c) {
			t.Fatalf("Region(%q) = %q", s, c)
		}
		if c, err := Language(s); err == nil && !catalog.IsLanguage(c) {
			t.Fatalf("Language(%q) = %q", s, c)
		}
		if c, err := PostalCode(s); err == nil {
			if again, err := PostalCode(c); err != nil || again != c {
				t.Fatalf("PostalCode not idempotent: %q → %q → %q, %v", s, c, again, err)
			}
		}
		if c, err := Currency(s); err == nil && len(c) != 3 {
			t.Fatalf("Currency(%q) = %q", s, c)
		}
		if c, err := ISSN(s); err == nil && !catalog.ValidISSN(c) {
			t.Fatalf("ISSN(%q) = %q", s, c)
		}
		_, _ = Bool(s)
	})
}

func FuzzContact(f *testing.F) {
	for _, s := range []string{"jan@example.be", "Le Soir <info@lesoir.be>", "mailto:a@b.fr", "03 231 45 67", "+352 621 123 456", "www.wort.lu/fr", "http://[::1]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e, err := Email(s); err == nil {
			if again, err := Email(e); err != nil || again != e {
				t.Fatalf("Email not idempotent: %q → %q → %q, %v", s, e, again, err)
			}
		}
		if p, err := Phone(s, "BE"); err == nil {
			if again, err := Phone(p, "FR"); err != nil || again != p || p[0] != '+' {
				t.Fatalf("Phone not idempotent: %q → %q → %q, %v", s, p, again, err)
			}
		}
		if u, err := URL(s); err == nil {
			if again, err := URL(u); err != nil || again != u {
				t.Fatalf("URL not idempotent: %q → %q → %q, %v", s, u, again, err)
			}
		}
		if d, err := Domain(s); err == nil {
			if again, err := Domain(d); err != nil || again != d {
				t.Fatalf("Domain not idempotent: %q → %q → %q, %v", s, d, again, err)
			}
		}
	})
}

func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"1.234,5", "1,234.5", "12,5k", "€ 1.250,00", "-0", "1e9", "99999999999999999999", "0,001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, format := range []string{NumbersEU, NumbersDot, NumbersAuto} {
			_, _ = Number(s, format)
			if n, err := WholeNumber(s, format); err == nil && n < 0 {
				t.Fatalf("WholeNumber(%q) = %d", s, n)
			}
			minor, _, err := Money(s, format)
			if err != nil {
				continue
			}
			if minor < 0 {
				t.Fatalf("Money(%q) = %d", s, minor)
			}
			// Round trip through the European form.
			back := formatEU(minor)
			if again, _, err := Money(back, NumbersEU); err != nil || again != minor {
				t.Fatalf("Money(%q) = %d; %q → %d, %v", s, minor, back, again, err)
			}
		}
	})
}

func formatEU(minor int64) string {
	s := strings.TrimLeft(strings.Repeat("0", 3)+itoa(minor), "0")
	for len(s) < 3 {
		s = "0" + s
	}
	return s[:len(s)-2] + "," + s[len(s)-2:]
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func FuzzDatesAndUnits(f *testing.F) {
	for _, s := range []string{"31/12/2025", "2025-02-30", "45658", "210 x 297 mm", "21×29,7 cm", "30\"", "1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, order := range []string{DatesDMY, DatesMDY, DatesYMD} {
			for _, machine := range []bool{false, true} {
				if d, err := Date(s, order, machine); err == nil && !d.Valid() {
					t.Fatalf("Date(%q) = %q, not a valid date", s, d)
				}
			}
		}
		if v, u, err := Length(s, "mm", NumbersAuto); err == nil && (v < 0 || (u != "mm" && u != "px" && u != "s")) {
			t.Fatalf("Length(%q) = %v %s", s, v, u)
		}
		if w, h, u, err := Size(s, "mm", NumbersAuto); err == nil && (w < 0 || h < 0 || u == "") {
			t.Fatalf("Size(%q) = %v %v %s", s, w, h, u)
		}
	})
}
