package ingest

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"

	"github.com/mediaspecs/catalogue/shared/catalog"
)

// Each normaliser returns the canonical value, or an error whose text is the
// reason a supplier reads in the report ("must be …").

// Text returns s in Unicode NFC with leading/trailing space removed, inner
// runs of white space (including no-break spaces and newlines) collapsed to
// one space, and control characters dropped. Invalid UTF-8 is an error.
func Text(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errors.New("is not valid text in the file's encoding (save the file as UTF-8)")
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c < ' ' || (c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ')) {
			ascii = false
			break
		}
	}
	if ascii {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), r == '\uFEFF', r == '\u200B':
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	// NFC last: removing a control character can bring a base letter and a
	// combining mark together.
	return norm.NFC.String(b.String()), nil
}

// MultilineText is Text but keeps line breaks (descriptions).
func MultilineText(s string) (string, error) {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := lines[:0]
	for _, l := range lines {
		t, err := Text(l)
		if err != nil {
			return "", err
		}
		out = append(out, t)
	}
	return strings.TrimSpace(strings.Join(out, "\n")), nil
}

// Fold is the matching key of a supplier value: lower case, accents removed,
// punctuation and spaces squeezed to single spaces ("Toutes-Boîtes" →
// "toutes boites").
func Fold(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		s = norm.NFD.String(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r) {
			continue // accents, after NFD
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '+' || r == '/' {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			continue
		}
		space = true
	}
	return b.String()
}

var countryNames = map[string]string{
	"belgique": "BE", "belgie": "BE", "belgien": "BE", "belgium": "BE", "bel": "BE", "b": "BE",
	"luxembourg": "LU", "luxemburg": "LU", "letzebuerg": "LU", "grand duche de luxembourg": "LU", "groothertogdom luxemburg": "LU", "lux": "LU", "l": "LU",
	"france": "FR", "frankrijk": "FR", "frankreich": "FR", "fra": "FR", "f": "FR",
	"nederland": "NL", "pays bas": "NL", "niederlande": "NL", "netherlands": "NL", "nld": "NL",
	"allemagne": "DE", "duitsland": "DE", "deutschland": "DE", "germany": "DE", "deu": "DE",
	"suisse": "CH", "zwitserland": "CH", "schweiz": "CH", "switzerland": "CH",
	"royaume uni": "GB", "verenigd koninkrijk": "GB", "united kingdom": "GB", "uk": "GB",
}

// Country returns the ISO 3166-1 alpha-2 code for a code or a nl/fr/de/en name.
func Country(s string) (string, error) {
	if c := strings.ToUpper(strings.TrimSpace(s)); catalog.IsCountry(c) {
		return c, nil
	}
	if c, ok := countryNames[Fold(s)]; ok {
		return c, nil
	}
	return "", errors.New("must be an ISO 3166 country code such as BE, LU, FR or a country name")
}

var iso31662 = map[string]string{
	"be vlg": "BE2", "be wal": "BE3", "be bru": "BE1", "be van": "BE21", "be vli": "BE22", "be vov": "BE23",
	"be vbr": "BE24", "be vwv": "BE25", "be wbr": "BE31", "be wht": "BE32", "be wlg": "BE33", "be wlx": "BE34", "be wna": "BE35",
}

var regionNames = func() map[string]string {
	m := map[string]string{}
	for _, r := range catalog.NUTS {
		for _, n := range r.Names {
			f := Fold(n)
			if _, dup := m[f]; !dup {
				m[f] = r.Code
			}
		}
	}
	for k, v := range iso31662 {
		m[k] = v
	}
	return m
}()

// Region returns the NUTS code for a NUTS code, an ISO 3166-2 code (BE-VAN)
// or a region/province name in nl/fr/de/en ("Anvers" → BE21).
func Region(s string) (string, error) {
	if c := strings.ToUpper(strings.TrimSpace(s)); catalog.IsNUTS(c) {
		return c, nil
	}
	if c, ok := regionNames[Fold(s)]; ok {
		return c, nil
	}
	return "", errors.New("must be a NUTS region code such as BE21, LU00, FR10, or a Belgian province or French region name")
}

var languageNames = map[string]string{
	"nederlands": "nl", "neerlandais": "nl", "niederlandisch": "nl", "dutch": "nl", "vlaams": "nl", "flamand": "nl", "nld": "nl", "dut": "nl",
	"frans": "fr", "francais": "fr", "franzosisch": "fr", "french": "fr", "fra": "fr", "fre": "fr",
	"duits": "de", "allemand": "de", "deutsch": "de", "german": "de", "deu": "de", "ger": "de",
	"engels": "en", "anglais": "en", "englisch": "en", "english": "en", "eng": "en",
	"luxemburgs": "lb", "luxembourgeois": "lb", "luxemburgisch": "lb", "luxembourgish": "lb", "ltz": "lb",
	"vl": "nl", "nl be": "nl", "fr be": "fr",
}

// Language returns the ISO 639-1 code for a code or a nl/fr/de/en name.
func Language(s string) (string, error) {
	if c := strings.ToLower(strings.TrimSpace(s)); catalog.IsLanguage(c) {
		return c, nil
	}
	if c, ok := languageNames[Fold(s)]; ok {
		return c, nil
	}
	return "", errors.New("must be an ISO 639-1 language code such as nl, fr, de, en")
}

// PostalCode strips country prefixes and spaces ("B-2000", "L-1234", "75 001").
func PostalCode(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	for _, p := range []string{"BE-", "LU-", "FR-", "B-", "L-", "F-", "B ", "L "} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 4 || len(s) > 5 {
		return "", errors.New("must be a 4-digit (BE, LU) or 5-digit (FR) postal code")
	}
	for i, r := range s {
		if (r < '0' || r > '9') && !(i == 1 && len(s) == 5 && (r == 'A' || r == 'B')) {
			return "", errors.New("must be a 4-digit (BE, LU) or 5-digit (FR) postal code")
		}
	}
	return s, nil
}

// Email returns a lower-cased e-mail address ("mailto:" removed).
func Email(s string) (string, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "mailto:"))
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		s = s[i+1 : len(s)-1]
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at > 64 || len(s) > 254 {
		return "", errors.New("must be an e-mail address such as name@example.be")
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if strings.ContainsAny(local, " \t<>(),;:\"[]\\") || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") {
		return "", errors.New("must be an e-mail address such as name@example.be")
	}
	if _, err := Domain(domain); err != nil || strings.ContainsAny(domain, "/:") {
		return "", errors.New("must be an e-mail address such as name@example.be")
	}
	return local + "@" + domain, nil
}

// Phone returns the E.164 form of a phone number. Numbers without a country
// prefix are read in region (BE, LU or FR; default BE).
func Phone(s, region string) (string, error) {
	s = strings.TrimSpace(s)
	if region == "" {
		region = "BE"
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if len(s) > 40 {
		return "", errors.New("must be a phone number")
	}
	if e164, ok := fastPhone(s, region); ok {
		return e164, nil
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", fmt.Errorf("must be a valid phone number (for %s, or with a +country prefix)", region)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

var phoneCodes = map[string]int32{"BE": 32, "FR": 33, "LU": 352}

// fastPhone handles the common shapes of BE/LU/FR numbers (digits with
// spaces, dots, slashes, dashes; +CC or 00CC prefix, or a national number)
// without phonenumbers.Parse, whose extension regexps dominate the cost. The
// number is still checked against libphonenumber's metadata
// (IsValidNumber). ok is false when the shape is not one of these: the
// caller then uses the full parser.
func fastPhone(s, region string) (string, bool) {
	var d [24]byte
	n := 0
	plus := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if n == len(d) {
				return "", false
			}
			d[n] = c
			n++
		case c == '+' && n == 0 && !plus:
			plus = true
		case c == ' ' || c == '.' || c == '/' || c == '-':
		default:
			return "", false
		}
	}
	digits := string(d[:n])
	var cc int32
	var nsn string
	switch {
	case plus || strings.HasPrefix(digits, "00"):
		if !plus {
			digits = digits[2:]
		}
		for _, c := range []int32{352, 32, 33} {
			if p := strconv.Itoa(int(c)); strings.HasPrefix(digits, p) {
				cc, nsn = c, digits[len(p):]
				break
			}
		}
	case region == "LU":
		cc, nsn = 352, digits
	default:
		c, ok := phoneCodes[region]
		if !ok || !strings.HasPrefix(digits, "0") {
			return "", false
		}
		cc, nsn = c, digits[1:]
	}
	if cc == 0 || len(nsn) < 4 || len(nsn) > 12 || nsn[0] == '0' {
		return "", false
	}
	v, err := strconv.ParseUint(nsn, 10, 64)
	if err != nil {
		return "", false
	}
	num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &v}
	if !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return "+" + strconv.Itoa(int(cc)) + nsn, true
}

// URL returns an absolute http(s) URL with a lower-case host; "www.x.be"
// becomes "https://www.x.be".
func URL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", errors.New("must be a web address such as https://www.example.be")
	}
	u.Host = strings.ToLower(u.Host)
	if _, err := Domain(u.Hostname()); err != nil {
		return "", errors.New("must be a web address such as https://www.example.be")
	}
	if u.Path == "/" {
		u.Path = ""
	}
	return u.String(), nil
}

// Domain returns the registrable host of a URL or domain, lower case,
// without "www.".
func Domain(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?#") {
		u, err := url.Parse(s)
		if err != nil || u.Hostname() == "" {
			if !strings.Contains(s, "://") {
				if u2, err2 := url.Parse("https://" + s); err2 == nil && u2.Hostname() != "" {
					u, err = u2, nil
				}
			}
			if err != nil || u == nil || u.Hostname() == "" {
				return "", errors.New("must be a domain name such as example.be")
			}
		}
		s = u.Hostname()
	}
	s = strings.TrimSuffix(s, ".")
	for {
		rest, ok := strings.CutPrefix(s, "www.")
		if !ok || !strings.Contains(rest, ".") {
			break
		}
		s = rest
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 || len(s) > 253 {
		return "", errors.New("must be a domain name such as example.be")
	}
	for i, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", errors.New("must be a domain name such as example.be")
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", errors.New("must be a domain name such as example.be")
			}
		}
		if i == len(labels)-1 && (len(l) < 2 || strings.Trim(l, "0123456789") == "") {
			return "", errors.New("must be a domain name such as example.be")
		}
	}
	return s, nil
}

// Number formats a profile may declare.
const (
	// NumbersEU: "1.234,5", "1 234,5" (BE/FR/LU/DE): ',' decimal.
	NumbersEU = "eu"
	// NumbersDot: "1,234.5", "1234.5": '.' decimal.
	NumbersDot = "dot"
	// NumbersAuto: when both marks occur the last is the decimal; a lone ','
	// is a decimal; a lone '.' followed by groups of exactly three digits
	// ("1.234", "1.234.567") is a thousands separator, otherwise a decimal.
	NumbersAuto = "auto"
)

var (
	errNumberEU  = errors.New("must be a number like 1.234,5")
	errNumberDot = errors.New("must be a number like 1,234.5")
	errDateDMY   = errors.New("must be a date dd/mm/yyyy")
	errDateMDY   = errors.New("must be a date mm/dd/yyyy")
	errDateYMD   = errors.New("must be a date yyyy-mm-dd")
)

// numberSpaces are thousands separators that are never ambiguous.
var numberSpaces = strings.NewReplacer("\u00a0", "", "\u202f", "", " ", "", "'", "", "’", "")

// decimal splits a number into sign, integer digits and fraction digits.
func decimal(s, format string) (neg bool, ip, fp string, err error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, " '\u00a0\u202f’") {
		s = numberSpaces.Replace(s)
	}
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else {
		s = strings.TrimPrefix(s, "+")
	}
	bad := errNumberEU
	if format == NumbersDot {
		bad = errNumberDot
	}
	if s == "" {
		return false, "", "", bad
	}
	dec := byte(0)
	switch format {
	case NumbersEU:
		dec = ','
	case NumbersDot:
		dec = '.'
	default:
		lc, ld := strings.LastIndexByte(s, ','), strings.LastIndexByte(s, '.')
		switch {
		case lc >= 0 && ld >= 0:
			dec = s[max(lc, ld)]
		case lc >= 0:
			dec = ','
			if strings.Count(s, ",") > 1 {
				dec = '.'
			}
		case ld >= 0:
			dec = '.'
			if groupsOf3(s, '.') {
				dec = ','
			}
		default:
			dec = ','
		}
	}
	sep := byte('.')
	if dec == '.' {
		sep = ','
	}
	if i := strings.IndexByte(s, dec); i >= 0 {
		ip, fp = s[:i], s[i+1:]
	} else {
		ip = s
	}
	if strings.IndexByte(ip, sep) >= 0 {
		if !groupsOf3(ip, sep) {
			return false, "", "", bad
		}
		ip = strings.ReplaceAll(ip, string(sep), "")
	}
	if ip == "" && fp == "" {
		return false, "", "", bad
	}
	for _, part := range []string{ip, fp} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false, "", "", bad
			}
		}
	}
	if ip == "" {
		ip = "0"
	}
	return neg, ip, fp, nil
}

// groupsOf3 reports whether s is digits in groups of three after the first.
func groupsOf3(s string, sep byte) bool {
	parts := strings.Split(s, string(sep))
	if len(parts) < 2 || len(parts[0]) == 0 || len(parts[0]) > 3 {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return false
		}
	}
	return true
}

// Number parses a decimal number in the given format (NumbersEU, NumbersDot,
// NumbersAuto).
func Number(s, format string) (float64, error) {
	neg, ip, fp, err := decimal(s, format)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(ip+"."+fp+"0", 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, errors.New("must be a number of reasonable size")
	}
	if neg {
		f = -f
	}
	return f, nil
}

// WholeNumber parses a count ≥ 0 ("12.500" in EU format is 12500).
func WholeNumber(s, format string) (int64, error) {
	neg, ip, fp, err := decimal(s, format)
	if err == nil && strings.Trim(fp, "0") != "" {
		err = errors.New("fraction")
	}
	if err != nil || neg {
		return 0, errors.New("must be a whole number ≥ 0")
	}
	n, err := strconv.ParseInt(ip, 10, 64)
	if err != nil {
		return 0, errors.New("must be a whole number ≥ 0 of reasonable size")
	}
	return n, nil
}

var currencySymbols = map[string]string{"€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "$": "USD", "usd": "USD", "£": "GBP", "gbp": "GBP", "chf": "CHF", "fr": "CHF"}

// Currency returns an ISO 4217 code for a code, symbol or name (€ → EUR).
func Currency(s string) (string, error) {
	t := strings.TrimSpace(s)
	if c, ok := currencySymbols[strings.ToLower(t)]; ok {
		return c, nil
	}
	if len(t) == 3 && strings.ToUpper(t) == t && strings.Trim(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return t, nil
	}
	return "", errors.New("must be a currency code such as EUR")
}

// moneyMarks are currency marks Money strips, longest first.
var moneyMarks = []struct{ mark, code string }{{"euros", "EUR"}, {"euro", "EUR"}, {"eur", "EUR"}, {"€", "EUR"}, {"usd", "USD"}, {"$", "USD"}, {"gbp", "GBP"}, {"£", "GBP"}, {"chf", "CHF"}}

// Money parses an amount with an optional currency symbol or code ("€ 1.250,00",
// "1250 EUR") into exact minor units (cents) — never through a float.
// currency is "" when the value carries none.
func Money(s, format string) (minor int64, currency string, err error) {
	t := strings.TrimSpace(s)
	lt := strings.ToLower(t)
	for _, c := range moneyMarks {
		if strings.HasPrefix(lt, c.mark) {
			t, currency = t[len(c.mark):], c.code
			break
		}
		if strings.HasSuffix(lt, c.mark) {
			t, currency = t[:len(t)-len(c.mark)], c.code
			break
		}
	}
	neg, ip, fp, err := decimal(t, format)
	if err == nil && neg {
		err = errors.New("negative")
	}
	if err == nil && len(strings.TrimRight(fp, "0")) > 2 {
		err = errors.New("more than 2 decimals")
	}
	if err != nil {
		return 0, "", errors.New("must be an amount ≥ 0 with at most 2 decimals, such as 1.250,00 or € 1250")
	}
	fp = (fp + "00")[:2]
	whole, err1 := strconv.ParseInt(ip, 10, 64)
	cents, _ := strconv.ParseInt(fp, 10, 64)
	if err1 != nil || whole > math.MaxInt64/100-1 {
		return 0, "", errors.New("must be an amount of reasonable size")
	}
	return whole*100 + cents, currency, nil
}

// Date formats a profile may declare; every format also accepts ISO
// YYYY-MM-DD.
const (
	DatesDMY = "dmy" // 31/12/2025, 31-12-2025, 31.12.2025
	DatesMDY = "mdy"
	DatesYMD = "ymd"
)

// Date parses a date in the profile's order with '/', '-' or '.' separators
// and a four-digit year. machine accepts Excel serial day numbers too.
func Date(s, order string, machine bool) (catalog.Date, error) {
	s = strings.TrimSpace(s)
	bad := errDateDMY
	switch order {
	case DatesMDY:
		bad = errDateMDY
	case DatesYMD:
		bad = errDateYMD
	}
	if machine {
		if n, err := strconv.ParseFloat(s, 64); err == nil && n > 0 && n < 2958466 {
			t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n))
			return catalog.Date(t.Format(time.DateOnly)), nil
		}
	}
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i] // drop a time of day
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	if len(parts) != 3 {
		return "", bad
	}
	var y, m, d string
	switch {
	case len(parts[0]) == 4:
		y, m, d = parts[0], parts[1], parts[2]
	case order == DatesMDY:
		m, d, y = parts[0], parts[1], parts[2]
	case order == DatesYMD:
		return "", bad
	default:
		d, m, y = parts[0], parts[1], parts[2]
	}
	if len(y) != 4 || len(m) > 2 || len(d) > 2 {
		return "", bad
	}
	yi, e1 := strconv.Atoi(y)
	mi, e2 := strconv.Atoi(m)
	di, e3 := strconv.Atoi(d)
	if e1 != nil || e2 != nil || e3 != nil {
		return "", bad
	}
	t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
	if t.Year() != yi || int(t.Month()) != mi || t.Day() != di || yi < 1800 || yi > 2200 {
		return "", errors.New("is not a real calendar date")
	}
	return catalog.Date(t.Format(time.DateOnly)), nil
}

// Length parses a length with an optional unit suffix (mm, cm, px, s, ″) and
// returns it in mm (cm ×10), px or s. defUnit applies to a bare number.
func Length(s, defUnit, format string) (float64, string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	unit := defUnit
	for _, u := range []struct{ suffix, unit string }{{"mm", "mm"}, {"cm", "cm"}, {"px", "px"}, {"sec", "s"}, {"s", "s"}, {"″", "s"}, {"\"", "s"}} {
		if strings.HasSuffix(t, u.suffix) {
			t, unit = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.unit
			break
		}
	}
	if unit == "" {
		unit = "mm"
	}
	v, err := Number(t, format)
	if err != nil || v < 0 {
		return 0, "", errors.New("must be a length ≥ 0 such as 210 mm, 21 cm, 300 px or 30 s")
	}
	if unit == "cm" {
		v, unit = math.Round(v*100)/10, "mm"
	}
	return v, unit, nil
}

// Size parses "210 x 297 mm", "300x250px", "21×29,7 cm" into width, height and unit.
func Size(s, defUnit, format string) (w, h float64, unit string, err error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexAny(t, "x×*")
	if i < 0 {
		return 0, 0, "", errors.New("must be a size such as 210 x 297 mm or 300x250 px")
	}
	ws, hs := t[:i], t[i+len(string([]rune(t[i:])[0])):]
	h, unit, err = Length(hs, defUnit, format)
	if err != nil {
		return 0, 0, "", errors.New("must be a size such as 210 x 297 mm or 300x250 px")
	}
	ws = strings.TrimSpace(ws)
	wu := unit
	if strings.HasSuffix(hs, "cm") && !strings.HasSuffix(ws, "mm") && !strings.HasSuffix(ws, "cm") {
		ws += "cm"
	}
	w, wu, err = Length(ws, wu, format)
	if err != nil || wu != unit {
		return 0, 0, "", errors.New("must be a size such as 210 x 297 mm or 300x250 px")
	}
	return w, h, unit, nil
}

// Bool reads yes/no in nl/fr/de/en ("ja", "oui", "x", "1" …); empty is false.
func Bool(s string) (bool, error) {
	switch Fold(s) {
	case "ja", "oui", "yes", "y", "j", "o", "true", "1", "x", "wahr", "vrai":
		return true, nil
	case "", "nee", "non", "nein", "no", "n", "false", "0", "faux", "falsch":
		return false, nil
	}
	return false, errors.New("must be yes or no (ja/nee, oui/non, 1/0)")
}
