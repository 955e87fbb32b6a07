package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/ingest"
)

func parseFile(t *testing.T, file, profile string) (*ingest.Report, map[string]catalog.Title) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	p, err := ingest.LoadProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]catalog.Title{}
	rep, err := ingest.Parse(context.Background(), ingest.Source{Supplier: "acme", Name: file, R: f, Size: st.Size()}, p, ingest.DefaultLimits,
		func(pd ingest.Parsed) error {
			titles[pd.Title.Identifiers.SupplierKeys["acme"]] = pd.Title
			if pd.Provenance.Supplier != "acme" || pd.Provenance.File != file || pd.FirstRow == 0 {
				t.Errorf("got provenance %+v first row %d", pd.Provenance, pd.FirstRow)
			}
			return nil
		})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("report does not marshal: %v", err)
	}
	return rep, titles
}

func hasError(rep *ingest.Report, row int, column, reasonPart string) bool {
	for _, e := range rep.Errors {
		if e.Row == row && e.Column == column && strings.Contains(e.Reason, reasonPart) {
			return true
		}
	}
	return false
}

func dumpErrors(t *testing.T, rep *ingest.Report) {
	t.Helper()
	for _, e := range rep.Errors {
		t.Logf("row %d key %s column %q value %q: %s", e.Row, e.Key, e.Column, e.Value, e.Reason)
	}
}

func TestFixtureGeneric1252(t *testing.T) {
	t.Parallel()
	rep, titles := parseFile(t, "generic_1252.csv", "generic")
	if rep.Encoding != "windows-1252" || rep.Delimiter != ";" || rep.Format != "csv" {
		t.Errorf("got %s/%s/%s, want windows-1252/;/csv", rep.Encoding, rep.Delimiter, rep.Format)
	}
	if rep.Titles != 2 || rep.Rows != 5 || rep.AcceptedRows != 3 || rep.RejectedRows != 2 || rep.Verdict != ingest.AcceptedWithRejections {
		dumpErrors(t, rep)
		t.Fatalf("got titles %d rows %d accepted %d rejected %d verdict %s", rep.Titles, rep.Rows, rep.AcceptedRows, rep.RejectedRows, rep.Verdict)
	}
	if !hasError(rep, 5, "circulation", "must be a whole number ≥ 0") {
		dumpErrors(t, rep)
		t.Error(`want row 5 circulation "12,5k" rejected as not a whole number`)
	}
	for _, col := range []string{"media_type", "languages", "countries"} {
		if !hasError(rep, 7, col, "") {
			t.Errorf("want an error on row 7 column %s", col)
		}
	}
	ge := titles["GE-001"]
	de, _ := ge.Description.In(catalog.DE)
	for _, c := range []struct{ name, got, want string }{
		{"name", ge.Name, "Grenz-Echo"},
		{"subtype", string(ge.SubType), "daily"},
		{"frequency", ge.Frequency.Code, "daily"},
		{"description with embedded newline", de.Text, "Die Tageszeitung für Ostbelgien,\nseit 1927"},
		{"phone", ge.Contacts[0].Phone, "+3287591300"},
		{"role", ge.Contacts[0].Role, "sales"},
		{"contact name", ge.Contacts[0].Name, "Jürgen Weiß"},
		{"sales house", ge.SalesHouse.Name, "Régie Média Presse"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(ge.AdProducts) != 2 || ge.AdProducts[0].Prices[0].AmountMinor != 245000 || ge.AdProducts[1].Dimensions.Height != 180 {
		t.Errorf("got ad products %+v", ge.AdProducts)
	}
	if h := ge.Headline["circulation"]; h.Value != 9500 {
		t.Errorf("got circulation headline %+v, want 9500", h)
	}
	lw := titles["LW-003"]
	if strings.Join(lw.ContentLanguages, ",") != "de,fr,lb" || strings.Join(lw.Coverage.PostalCodes, ",") != "2887" || !lw.Contacts[0].GDPR.OptOut {
		t.Errorf("got LW-003 languages %v postal %v contact %+v", lw.ContentLanguages, lw.Coverage.PostalCodes, lw.Contacts[0])
	}
}

func TestFixtureEncodings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, enc, delim string
		titles           int
		name             string
	}{
		{"generic_utf16.tsv", "utf-16le", "tab", 2, "Luxemburger Wort"},
		{"generic_bom.csv", "utf-8-bom", ",", 2, "Vlan Bruxelles, édition Uccle"},
		{"generic_885915.csv", "iso-8859-15", ";", 1, "Sud Ouest Élégance"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			rep, titles := parseFile(t, tc.file, "generic")
			if rep.Encoding != tc.enc || rep.Delimiter != tc.delim || rep.Titles != tc.titles || rep.Verdict != ingest.Accepted {
				dumpErrors(t, rep)
				t.Fatalf("got %s %q %d titles %s, want %s %q %d accepted", rep.Encoding, rep.Delimiter, rep.Titles, rep.Verdict, tc.enc, tc.delim, tc.titles)
			}
			found := false
			for _, ti := range titles {
				found = found || ti.Name == tc.name
			}
			if !found {
				t.Errorf("want a title named %q", tc.name)
			}
		})
	}
	_, titles := parseFile(t, "generic_885915.csv", "generic")
	if p := titles["SU-020"].AdProducts; len(p) != 1 || p[0].Prices[0].AmountMinor != 310000 || p[0].Prices[0].Currency != "EUR" {
		t.Errorf("got ad products %+v, want one priced € 3.100,00", p)
	}
	_, titles = parseFile(t, "generic_bom.csv", "generic")
	fr, _ := titles["FS-010"].Description.In(catalog.FR)
	if fr.Text != "Gratuit, distribué\nle mercredi" || titles["FS-011"].SubType != catalog.SubFreeSheet {
		t.Errorf("got %q, %q", fr.Text, titles["FS-011"].SubType)
	}
}

func TestFixtureCIM(t *testing.T) {
	t.Parallel()
	rep, titles := parseFile(t, "cim_audience.csv", "cim-audience")
	if rep.Titles != 2 || rep.RejectedRows != 1 || !hasError(rep, 5, "Valeur", "must be a number") {
		dumpErrors(t, rep)
		t.Fatalf("got %d titles, %d rejected rows", rep.Titles, rep.RejectedRows)
	}
	soir := titles["B0001"]
	if len(soir.Measurements) != 2 || soir.Headline["lecteurs"].Value != 412000 || soir.Headline["couverture"].Value != 4.7 {
		t.Errorf("got measurements %+v headline %+v", soir.Measurements, soir.Headline)
	}
	m := soir.Measurements[0]
	if m.Study != "CIM Press Audience" || m.Universe != "BE 15+" || m.Status != "authenticated" || m.Period != "2023-06/2024-05" {
		t.Errorf("got measurement %+v", m)
	}
	if titles["B0002"].Measurements[0].Status != "stated" || titles["B0002"].SubType != catalog.SubDaily || titles["B0002"].Coverage.Countries[0] != "BE" {
		t.Errorf("got %+v", titles["B0002"])
	}
}

func TestFixtureRatecard(t *testing.T) {
	t.Parallel()
	rep, _ := parseFile(t, "ratecard.csv", "publisher-ratecard")
	// Row 4: validTo before validFrom rejects the whole title KN-01 (rows 2–4);
	// row 5: 30/02/2025 is not a date.
	if rep.Titles != 0 || rep.RejectedRows != 4 || rep.Verdict != ingest.Rejected {
		dumpErrors(t, rep)
		t.Fatalf("got %d titles, %d rejected rows, verdict %s", rep.Titles, rep.RejectedRows, rep.Verdict)
	}
	if !hasError(rep, 2, "Geldig tot", "must not be before validFrom") || !hasError(rep, 5, "Geldig vanaf", "not a real calendar date") {
		dumpErrors(t, rep)
		t.Error("want the validity and date errors")
	}
}

func TestFixtureRatecardValid(t *testing.T) {
	t.Parallel()
	data, _ := os.ReadFile(filepath.Join("testdata", "ratecard.csv"))
	lines := strings.Split(string(data), "\n")
	good := strings.Join(lines[:3], "\n") + "\n"
	p, _ := ingest.LoadProfile("publisher-ratecard")
	var got []catalog.Title
	rep, err := ingest.Parse(context.Background(), ingest.Source{Supplier: "roularta", Name: "rc.csv", R: strings.NewReader(good), Size: -1}, p, ingest.DefaultLimits,
		func(pd ingest.Parsed) error { got = append(got, pd.Title); return nil })
	if err != nil || rep.Verdict != ingest.Accepted || len(got) != 1 {
		dumpErrors(t, rep)
		t.Fatalf("got %v, %s, %d titles", err, rep.Verdict, len(got))
	}
	ap := got[0].AdProducts
	if len(ap) != 2 || ap[0].Dimensions != (catalog.Dimensions{Unit: "mm", Width: 210, Height: 285, BleedMM: 5}) ||
		ap[0].Prices[0] != (catalog.Price{AmountMinor: 495000, Currency: "EUR", Basis: "per_insertion", Type: "gross", ValidFrom: "2025-01-01", ValidTo: "2025-12-31"}) ||
		ap[0].Delivery != "Medibel+" || ap[0].Deadlines.BookingDays != 10 || ap[0].Kind != "display" {
		t.Errorf("got ad products %+v", ap)
	}
}

func TestFixtureFeeds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file     string
		format   ingest.Format
		titles   int
		rejected int
	}{
		{"feed.json", ingest.FormatJSON, 2, 2},
		{"feed.ndjson", ingest.FormatNDJSON, 2, 3},
		{"feed.xml", ingest.FormatXML, 1, 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			rep, titles := parseFile(t, tc.file, "json-feed")
			if rep.Format != tc.format || rep.Titles != tc.titles || rep.RejectedRows != tc.rejected || rep.Verdict != ingest.AcceptedWithRejections {
				dumpErrors(t, rep)
				t.Fatalf("got %s %d titles %d rejected %s, want %s %d %d", rep.Format, rep.Titles, rep.RejectedRows, rep.Verdict, tc.format, tc.titles, tc.rejected)
			}
			if tc.format == ingest.FormatXML {
				ls := titles["LS-1"]
				if ls.Publisher.Name != "Rossel & Cie" || ls.Publisher.ID != "org_rossel" || strings.Join(ls.Coverage.Regions, ",") != "BE1,BE3" ||
					len(ls.AdProducts) != 2 || ls.Contacts[0].Name != "Jérôme Lefèvre" || ls.Contacts[0].Phone != "+3222255555" {
					t.Errorf("got %+v", ls)
				}
				return
			}
			of := titles["OF-1"]
			if of.MediaType != catalog.MediaPrint || of.SubType != catalog.SubDaily || strings.Join(of.Coverage.Regions, ",") != "FRG,FRH0" ||
				of.Identifiers.Domains[0] != "ouest-france.fr" || of.Contacts[0].Email != "Helene.Gerard@ouest-france.fr" || of.Contacts[0].Phone != "+33299326000" ||
				of.Contacts[0].GDPR.Basis != "legitimate_interest" || of.Measurements[0].Status != "authenticated" {
				t.Errorf("got %+v", of)
			}
			if len(of.AdProducts) != 2 || of.AdProducts[1].Dimensions.Unit != "px" || of.AdProducts[1].Channel != catalog.MediaOnline || of.AdProducts[1].Prices[0].Basis != "cpm" {
				t.Errorf("got ad products %+v", of.AdProducts)
			}
			if titles["RTL-2"].AdProducts[0].Dimensions.Seconds != 30 {
				t.Errorf("got %+v", titles["RTL-2"].AdProducts)
			}
			if !hasError(rep, 4, "adProducts.price", "at most 2 decimals") {
				dumpErrors(t, rep)
				t.Error(`want "12.345" rejected as a price with 3 decimals`)
			}
		})
	}
}

func TestRejectedCSV(t *testing.T) {
	t.Parallel()
	rep, _ := parseFile(t, "generic_1252.csv", "generic")
	var buf bytes.Buffer
	if err := ingest.WriteRejectedCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	if !strings.HasPrefix(got, "\uFEFFrow;key;column;value;reason\r\n") && !strings.HasPrefix(got, "\uFEFFrow;key;column;value;reason\n") {
		t.Errorf("got header %q", got[:40])
	}
	if !strings.Contains(got, "5;MO-002;circulation;12,5k;must be a whole number ≥ 0") {
		t.Errorf("got %s, want the circulation error line", got)
	}
}

func TestFixtureXLSX(t *testing.T) {
	t.Parallel()
	rep, titles := parseFile(t, "generic.xlsx", "generic")
	if rep.Format != ingest.FormatXLSX || rep.Titles != 3 || rep.Verdict != ingest.AcceptedWithRejections {
		dumpErrors(t, rep)
		t.Fatalf("got %s %d titles %s", rep.Format, rep.Titles, rep.Verdict)
	}
	for _, ti := range titles {
		if len(ti.AdProducts) == 0 || ti.AdProducts[0].Prices[0].AmountMinor <= 0 || ti.Headline["circulation"].Value <= 0 {
			t.Errorf("got %+v", ti)
		}
	}
}
