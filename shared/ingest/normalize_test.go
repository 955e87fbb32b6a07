package ingest

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"  De   Standaard ", "De Standaard"},
		{"Te\u0301le\u0301-Moustique", "Télé-Moustique"}, // NFD → NFC
		{"Le\u00a0Soir\t\n", "Le Soir"},
		{"a\x00b", "ab"},
		{"plain", "plain"},
	} {
		if got, err := Text(tc.in); err != nil || got != tc.want {
			t.Errorf("Text(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := Text("bad \xff byte"); err == nil {
		t.Error("Text(invalid UTF-8): got nil error, want one")
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Toutes-Boîtes": "toutes boites", " Huis-aan-huisblad ": "huis aan huisblad", "Tageszeitung": "tageszeitung", "Wöchentlich": "wochentlich"} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	type norm func(string) (string, error)
	for _, tc := range []struct {
		name string
		fn   norm
		in   string
		want string // "" means an error
	}{
		{"country code", Country, "be", "BE"},
		{"country nl", Country, "België", "BE"},
		{"country fr", Country, "Grand-Duché de Luxembourg", "LU"},
		{"country de", Country, "Frankreich", "FR"},
		{"country bad", Country, "Atlantis", ""},
		{"region code", Region, "be21", "BE21"},
		{"region fr name", Region, "Anvers", "BE21"},
		{"region de name", Region, "Lüttich", "BE33"},
		{"region iso 3166-2", Region, "BE-VOV", "BE23"},
		{"region france", Region, "Île-de-France", "FR1"},
		{"region bad", Region, "NL32", ""},
		{"language code", Language, "NL", "nl"},
		{"language name", Language, "Néerlandais", "nl"},
		{"language de", Language, "Deutsch", "de"},
		{"language lb", Language, "Luxembourgeois", "lb"},
		{"language bad", Language, "Klingon", ""},
		{"postal BE", PostalCode, "B-2000", "2000"},
		{"postal LU", PostalCode, "L-1234", "1234"},
		{"postal FR", PostalCode, "75 001", "75001"},
		{"postal corsica", PostalCode, "2A004", "2A004"},
		{"postal bad", PostalCode, "12", ""},
		{"email", Email, " Jan.Peeters@Example.BE ", "Jan.Peeters@example.be"},
		{"email mailto", Email, "mailto:info@lesoir.be", "info@lesoir.be"},
		{"email display", Email, "Le Soir <info@lesoir.be>", "info@lesoir.be"},
		{"email bad", Email, "jan@", ""},
		{"email no tld", Email, "jan@localhost", ""},
		{"url bare", URL, "www.Standaard.be", "https://www.standaard.be"},
		{"url path", URL, "http://lesoir.be/abonnement", "http://lesoir.be/abonnement"},
		{"url bad scheme", URL, "ftp://x.be", ""},
		{"url no host", URL, "https://", ""},
		{"domain", Domain, "https://www.Ouest-France.fr/", "ouest-france.fr"},
		{"domain bare", Domain, "wort.lu", "wort.lu"},
		{"domain bad", Domain, "not a domain", ""},
		{"currency symbol", Currency, "€", "EUR"},
		{"currency code", Currency, "CHF", "CHF"},
		{"currency bad", Currency, "euro-ish", ""},
		{"issn", ISSN, "03785955", "0378-5955"},
		{"issn X", ISSN, "1050-124x", "1050-124X"},
		{"issn bad", ISSN, "0378-5954", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.fn(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Errorf("got %q, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestPhone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, region, want string }{
		{"03 231 45 67", "BE", "+3232314567"},
		{"0471 23 45 67", "BE", "+32471234567"},
		{"0032 2 225 55 55", "FR", "+3222255555"},
		{"+352 621 123 456", "BE", "+352621123456"},
		{"06 12 34 56 78", "FR", "+33612345678"},
		{"01 23 45 67 89", "FR", "+33123456789"},
		{"12", "BE", ""},
		{"not a phone", "BE", ""},
	} {
		got, err := Phone(tc.in, tc.region)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Phone(%q, %s) = %q, want an error", tc.in, tc.region, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Phone(%q, %s) = %q, %v; want %q", tc.in, tc.region, got, err, tc.want)
		}
	}
}

func TestNumbers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, format string
		want       float64
		ok         bool
	}{
		{"1.234,5", NumbersEU, 1234.5, true},
		{"1 234,5", NumbersEU, 1234.5, true},
		{"1\u00a0234", NumbersEU, 1234, true},
		{"12.500", NumbersEU, 12500, true},
		{"1,234.5", NumbersDot, 1234.5, true},
		{"1234.5", NumbersDot, 1234.5, true},
		{"1.234,5", NumbersAuto, 1234.5, true},
		{"1,234.5", NumbersAuto, 1234.5, true},
		{"4,7", NumbersAuto, 4.7, true},
		{"1.234", NumbersAuto, 1234, true},
		{"1.5", NumbersAuto, 1.5, true},
		{"1.234.567", NumbersAuto, 1234567, true},
		{"-3,25", NumbersEU, -3.25, true},
		{"12,5k", NumbersEU, 0, false},
		{"1.23.4", NumbersEU, 0, false},
		{"", NumbersEU, 0, false},
		{"abc", NumbersAuto, 0, false},
	} {
		got, err := Number(tc.in, tc.format)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("Number(%q, %s) = %v, %v; want %v ok=%v", tc.in, tc.format, got, err, tc.want, tc.ok)
		}
	}
	if _, err := WholeNumber("12,5", NumbersEU); err == nil || err.Error() != "must be a whole number ≥ 0" {
		t.Errorf("WholeNumber(12,5): got %v, want must be a whole number ≥ 0", err)
	}
	if n, err := WholeNumber("1.763.600", NumbersEU); err != nil || n != 1763600 {
		t.Errorf("WholeNumber(1.763.600) = %d, %v", n, err)
	}
}

func TestMoney(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, format string
		want       int64
		cur        string
		ok         bool
	}{
		{"1.250,00", NumbersEU, 125000, "", true},
		{"€ 1.250,5", NumbersEU, 125050, "EUR", true},
		{"1250 EUR", NumbersAuto, 125000, "EUR", true},
		{"2.450,00 €", NumbersEU, 245000, "EUR", true},
		{"990 euros", NumbersEU, 99000, "EUR", true},
		{"18500.00", NumbersDot, 1850000, "", true},
		{"0,10", NumbersEU, 10, "", true},
		{"12.345", NumbersDot, 0, "", false},
		{"-5", NumbersEU, 0, "", false},
		{"gratis", NumbersEU, 0, "", false},
		{"99999999999999999999", NumbersEU, 0, "", false},
	} {
		got, cur, err := Money(tc.in, tc.format)
		if (err == nil) != tc.ok || (tc.ok && (got != tc.want || cur != tc.cur)) {
			t.Errorf("Money(%q, %s) = %d %q, %v; want %d %q ok=%v", tc.in, tc.format, got, cur, err, tc.want, tc.cur, tc.ok)
		}
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, order string
		machine   bool
		want      string
	}{
		{"31/12/2025", DatesDMY, false, "2025-12-31"},
		{"1-2-2025", DatesDMY, false, "2025-02-01"},
		{"01.02.2025", DatesDMY, false, "2025-02-01"},
		{"2025-02-01", DatesDMY, false, "2025-02-01"},
		{"02/01/2025", DatesMDY, false, "2025-02-01"},
		{"2025-02-01T10:00:00Z", DatesYMD, false, "2025-02-01"},
		{"45658", DatesDMY, true, "2025-01-01"},
		{"30/02/2025", DatesDMY, false, ""},
		{"31/12/25", DatesDMY, false, ""},
		{"01/02/2025", DatesYMD, false, ""},
		{"yesterday", DatesDMY, false, ""},
	} {
		got, err := Date(tc.in, tc.order, tc.machine)
		if (tc.want == "") != (err != nil) || string(got) != tc.want {
			t.Errorf("Date(%q, %s) = %q, %v; want %q", tc.in, tc.order, got, err, tc.want)
		}
	}
}

func TestLengthAndSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, def string
		want    float64
		unit    string
	}{
		{"210", "mm", 210, "mm"},
		{"21 cm", "mm", 210, "mm"},
		{"28,5 cm", "mm", 285, "mm"},
		{"300px", "mm", 300, "px"},
		{"30\"", "s", 30, "s"},
		{"30 sec", "", 30, "s"},
	} {
		got, unit, err := Length(tc.in, tc.def, NumbersAuto)
		if err != nil || got != tc.want || unit != tc.unit {
			t.Errorf("Length(%q) = %v %s, %v; want %v %s", tc.in, got, unit, err, tc.want, tc.unit)
		}
	}
	for _, tc := range []struct {
		in   string
		w, h float64
		unit string
		ok   bool
	}{
		{"210 x 297 mm", 210, 297, "mm", true},
		{"300x250 px", 300, 250, "px", true},
		{"21×29,7 cm", 210, 297, "mm", true},
		{"131,5 x 180", 131.5, 180, "mm", true},
		{"210 mm x 300 px", 0, 0, "", false},
		{"large", 0, 0, "", false},
	} {
		w, h, unit, err := Size(tc.in, "mm", NumbersAuto)
		if (err == nil) != tc.ok || (tc.ok && (w != tc.w || h != tc.h || unit != tc.unit)) {
			t.Errorf("Size(%q) = %v %v %s, %v; want %v %v %s ok=%v", tc.in, w, h, unit, err, tc.w, tc.h, tc.unit, tc.ok)
		}
	}
}

func TestBool(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"ja": true, "Oui": true, "X": true, "nee": false, "": false, "Non": false} {
		if got, err := Bool(in); err != nil || got != want {
			t.Errorf("Bool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := Bool("misschien"); err == nil {
		t.Error("Bool(misschien): got nil error")
	}
}

// TestFastPhoneAgrees checks the fast path against the full parser.
func TestFastPhoneAgrees(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, region string }{
		{"03 231 45 67", "BE"}, {"0471/23.45.67", "BE"}, {"+32 2 225 55 55", "FR"}, {"0033 6 12 34 56 78", "BE"},
		{"06 12 34 56 78", "FR"}, {"01-23-45-67-89", "FR"}, {"621 123 456", "LU"}, {"+352 4993 1", "BE"}, {"+352 26 12 34", "LU"},
		{"087 59 13 00", "BE"}, {"03 123 45 67", "BE"},
	} {
		fast, ok := fastPhone(tc.in, tc.region)
		full, err := phonenumbers.Parse(tc.in, tc.region)
		valid := err == nil && phonenumbers.IsValidNumber(full)
		if ok != valid || (ok && fast != phonenumbers.Format(full, phonenumbers.E164)) {
			t.Errorf("fastPhone(%q, %s) = %q %v; full parser valid=%v", tc.in, tc.region, fast, ok, valid)
		}
	}
}
