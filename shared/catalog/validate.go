package catalog

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// FieldError is one validation failure, written for a supplier: the JSON
// field path, what is wrong, and the offending value.
type FieldError struct {
	// Path is the JSON path: "adProducts[2].prices[0].currency".
	Path   string `json:"path"`
	Reason string `json:"reason"`
	Value  string `json:"value,omitempty"`
}

func (e FieldError) Error() string {
	if e.Value == "" {
		return e.Path + ": " + e.Reason
	}
	return fmt.Sprintf("%s: %s, got %q", e.Path, e.Reason, e.Value)
}

// ValidationError is every FieldError of one title. It is an
// apperr.InvalidArgument.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap classifies a ValidationError as apperr.InvalidArgument.
func (v ValidationError) Unwrap() error { return apperr.InvalidArgument }

// Limits on list sizes keep a title far below the Cosmos document limit.
const (
	MaxNameRunes        = 300
	MaxDescriptionRunes = 5000
	MaxAdProducts       = 500
	MaxMeasurements     = 2000
	MaxContacts         = 200
	MaxEditions         = 200
	MaxPostalCodes      = 3000
)

var (
	reISSN   = regexp.MustCompile(`^\d{4}-\d{3}[\dX]$`)
	reDomain = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// Accepted values of the enumerated fields.
var (
	Statuses       = []Status{StatusActive, StatusClosed, StatusMerged}
	Segments       = []Segment{SegmentB2C, SegmentB2B}
	CoverageLevels = []string{"national", "regional", "local", "international"}
	AdKinds        = []string{"display", "spot", "sponsoring", "branded_content", "insert", "classified", "video", "native", "post"}
	PriceBases     = []string{"per_insertion", "cpm", "cpc", "per_spot", "per_day", "per_week", "per_month", "per_post", "per_1000_copies", "package"}
	PriceTypes     = []string{"gross", "net"}
	ContactRoles   = []string{"general", "sales", "editorial", "traffic", "technical", "marketing"}
	GDPRBases      = []string{"legitimate_interest", "consent", "contract"}
	DimensionUnits = []string{"mm", "px", "s"}
	// WholeUnits are measurement units that count things: values must be whole.
	WholeUnits = []string{"persons", "copies", "visits", "browsers", "pageviews", "listeners", "viewers", "followers", "households"}
)

type validator struct{ errs ValidationError }

func (v *validator) add(path, reason string, value any) {
	s := ""
	if value != nil {
		s = fmt.Sprint(value)
	}
	v.errs = append(v.errs, FieldError{Path: path, Reason: reason, Value: s})
}

func (v *validator) text(path, s string, max int, required bool) {
	switch {
	case s == "" && required:
		v.add(path, "is required", nil)
	case !utf8.ValidString(s):
		v.add(path, "is not valid UTF-8 text", nil)
	case utf8.RuneCountInString(s) > max:
		v.add(path, fmt.Sprintf("must be at most %d characters", max), fmt.Sprintf("%d characters", utf8.RuneCountInString(s)))
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }):
		v.add(path, "must not contain control characters", s)
	}
}

func oneOf[T ~string](v *validator, path string, s T, allowed []T, required bool) {
	if s == "" {
		if required {
			v.add(path, "is required", nil)
		}
		return
	}
	if !slices.Contains(allowed, s) {
		parts := make([]string, len(allowed))
		for i, a := range allowed {
			parts[i] = string(a)
		}
		v.add(path, "must be one of "+strings.Join(parts, ", "), s)
	}
}

func (v *validator) langs(path string, ls []string) {
	for i, l := range ls {
		if !IsLanguage(l) {
			v.add(fmt.Sprintf("%s[%d]", path, i), "must be an ISO 639-1 language code such as nl, fr, de, en", l)
		}
	}
}

func (v *validator) local(path string, l LocalText, max int) {
	for _, lang := range Langs {
		if t, ok := l.In(lang); ok {
			v.text(path+"."+string(lang), t.Text, max, true)
		}
	}
}

func (v *validator) date(path string, d Date) {
	if d != "" && !d.Valid() {
		v.add(path, "must be a date YYYY-MM-DD", d)
	}
}

// Validate checks every rule of the model and returns a ValidationError
// listing each failure, or nil.
func (t *Title) Validate() error {
	v := &validator{}
	v.text("id", t.ID, 100, true)
	oneOf(v, "status", t.Status, Statuses, false)
	if t.Status == StatusMerged && t.MergedInto == "" {
		v.add("mergedInto", "is required when status is merged", nil)
	}
	v.text("name", t.Name, MaxNameRunes, true)
	for i, n := range t.AlternateNames {
		v.text(fmt.Sprintf("alternateNames[%d]", i), n, MaxNameRunes, true)
	}
	v.local("description", t.Description, MaxDescriptionRunes)
	if t.OriginalLanguage != "" {
		v.langs("originalLanguage", []string{t.OriginalLanguage})
	}
	v.langs("contentLanguages", t.ContentLanguages)
	oneOf(v, "mediaType", t.MediaType, MediaTypes, true)
	if t.SubType != "" {
		mt, ok := SubTypeMedia[t.SubType]
		switch {
		case !ok:
			v.add("subType", "is not a known subtype", t.SubType)
		case t.MediaType != "" && mt != t.MediaType:
			v.add("subType", fmt.Sprintf("belongs to media type %s, not %s", mt, t.MediaType), t.SubType)
		}
	}
	oneOf(v, "segment", t.Segment, Segments, false)
	oneOf(v, "frequency.code", t.Frequency.Code, FrequencyCodes, false)
	if n := t.Frequency.IssuesPerYear; n < 0 || n > 366 {
		v.add("frequency.issuesPerYear", "must be between 0 and 366", n)
	}
	for i, tp := range t.Topics {
		v.text(fmt.Sprintf("topics[%d]", i), tp, 100, true)
	}

	c := t.Coverage
	oneOf(v, "coverage.level", c.Level, CoverageLevels, false)
	for i, cc := range c.Countries {
		if !IsCountry(cc) {
			v.add(fmt.Sprintf("coverage.countries[%d]", i), "must be an ISO 3166-1 alpha-2 country code such as BE, LU, FR", cc)
		}
	}
	for i, r := range c.Regions {
		if !IsNUTS(r) {
			v.add(fmt.Sprintf("coverage.regions[%d]", i), "must be a NUTS code of Belgium, Luxembourg or France such as BE21, LU00, FR10", r)
		}
	}
	if len(c.PostalCodes) > MaxPostalCodes {
		v.add("coverage.postalCodes", fmt.Sprintf("must list at most %d postal codes", MaxPostalCodes), len(c.PostalCodes))
	}
	for i, pc := range c.PostalCodes {
		if !postalOK(pc, c.Countries) {
			v.add(fmt.Sprintf("coverage.postalCodes[%d]", i), "must be a Belgian or Luxembourg 4-digit or French 5-digit postal code", pc)
		}
	}

	v.text("publisher.name", t.Publisher.Name, MaxNameRunes, t.Publisher.ID != "")
	v.text("salesHouse.name", t.SalesHouse.Name, MaxNameRunes, t.SalesHouse.ID != "")
	if len(t.Editions) > MaxEditions {
		v.add("editions", fmt.Sprintf("must list at most %d editions", MaxEditions), len(t.Editions))
	}
	for i, e := range t.Editions {
		v.local(fmt.Sprintf("editions[%d].name", i), e.Name, MaxNameRunes)
		for j, r := range e.Regions {
			if !IsNUTS(r) {
				v.add(fmt.Sprintf("editions[%d].regions[%d]", i, j), "must be a NUTS code such as BE21", r)
			}
		}
	}

	if len(t.Measurements) > MaxMeasurements {
		v.add("measurements", fmt.Sprintf("must list at most %d measurements", MaxMeasurements), len(t.Measurements))
	}
	for i, m := range t.Measurements {
		p := fmt.Sprintf("measurements[%d]", i)
		v.text(p+".metric", m.Metric, 60, true)
		name := m.Metric
		if name == "" {
			name = p + ".value"
		}
		switch {
		case math.IsNaN(m.Value) || math.IsInf(m.Value, 0) || m.Value < 0:
			v.add(name, "must be a number ≥ 0", m.Value)
		case slices.Contains(WholeUnits, m.Unit) && m.Value != math.Trunc(m.Value):
			v.add(name, "must be a whole number ≥ 0", m.Value)
		case m.Unit == "percent" && m.Value > 100:
			v.add(name, "must be a percentage between 0 and 100", m.Value)
		}
		oneOf(v, p+".status", m.Status, []string{MeasurementStated, MeasurementAuthenticated}, false)
	}

	if len(t.AdProducts) > MaxAdProducts {
		v.add("adProducts", fmt.Sprintf("must list at most %d ad products", MaxAdProducts), len(t.AdProducts))
	}
	for i, a := range t.AdProducts {
		p := fmt.Sprintf("adProducts[%d]", i)
		oneOf(v, p+".channel", a.Channel, MediaTypes, false)
		oneOf(v, p+".kind", a.Kind, AdKinds, false)
		v.local(p+".name", a.Name, MaxNameRunes)
		d := a.Dimensions
		oneOf(v, p+".dimensions.unit", d.Unit, DimensionUnits, d.Width != 0 || d.Height != 0)
		for _, x := range []struct {
			n string
			f float64
		}{{"w", d.Width}, {"h", d.Height}, {"bleedMm", d.BleedMM}} {
			switch {
			case x.f < 0 || x.f > 100000 || math.IsNaN(x.f):
				v.add(p+".dimensions."+x.n, "must be between 0 and 100000", x.f)
			case d.Unit == "px" && x.n != "bleedMm" && x.f != math.Trunc(x.f):
				v.add(p+".dimensions."+x.n, "must be a whole number of pixels", x.f)
			}
		}
		if d.Seconds < 0 || d.Seconds > 3600 {
			v.add(p+".dimensions.seconds", "must be between 0 and 3600", d.Seconds)
		}
		for j, pr := range a.Prices {
			pp := fmt.Sprintf("%s.prices[%d]", p, j)
			if pr.AmountMinor < 0 {
				v.add(pp+".amountMinor", "must be ≥ 0", pr.AmountMinor)
			}
			if !isCurrency(pr.Currency) {
				v.add(pp+".currency", "must be an ISO 4217 code such as EUR", pr.Currency)
			}
			oneOf(v, pp+".basis", pr.Basis, PriceBases, false)
			oneOf(v, pp+".type", pr.Type, PriceTypes, false)
			v.date(pp+".validFrom", pr.ValidFrom)
			v.date(pp+".validTo", pr.ValidTo)
			if pr.ValidFrom != "" && pr.ValidTo != "" && pr.ValidTo < pr.ValidFrom {
				v.add(pp+".validTo", "must not be before validFrom "+string(pr.ValidFrom), pr.ValidTo)
			}
		}
		dl := a.Deadlines
		if dl.BookingDays < 0 || dl.BookingDays > 365 || dl.MaterialDays < 0 || dl.MaterialDays > 365 {
			v.add(p+".deadlines", "business days must be between 0 and 365", fmt.Sprintf("%d/%d", dl.BookingDays, dl.MaterialDays))
		}
		v.date(p+".deadlines.booking", dl.Booking)
		v.date(p+".deadlines.material", dl.Material)
	}

	if len(t.Contacts) > MaxContacts {
		v.add("contacts", fmt.Sprintf("must list at most %d contacts", MaxContacts), len(t.Contacts))
	}
	for i, c := range t.Contacts {
		p := fmt.Sprintf("contacts[%d]", i)
		oneOf(v, p+".role", c.Role, ContactRoles, true)
		v.text(p+".name", c.Name, MaxNameRunes, false)
		if c.Email != "" && (!strings.Contains(c.Email, "@") || strings.ContainsAny(c.Email, " <>")) {
			v.add(p+".email", "must be an e-mail address", c.Email)
		}
		if c.Phone != "" && !isE164(c.Phone) {
			v.add(p+".phone", "must be an E.164 phone number such as +3221234567", c.Phone)
		}
		if c.Email == "" && c.Phone == "" && c.Name == "" {
			v.add(p, "needs a name, e-mail or phone", nil)
		}
		v.langs(p+".languages", c.Languages)
		oneOf(v, p+".gdpr.basis", c.GDPR.Basis, GDPRBases, false)
	}

	for i, s := range t.Identifiers.ISSN {
		if !ValidISSN(s) {
			v.add(fmt.Sprintf("identifiers.issn[%d]", i), "must be an ISSN NNNN-NNNC with a correct check digit", s)
		}
	}
	for i, d := range t.Identifiers.Domains {
		if !reDomain.MatchString(d) {
			v.add(fmt.Sprintf("identifiers.domains[%d]", i), "must be a lower-case domain name such as example.be", d)
		}
	}
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

func postalOK(pc string, countries []string) bool {
	if len(countries) == 0 {
		countries = []string{"BE", "LU", "FR"}
	}
	for _, c := range countries {
		switch {
		case c == "BE" && len(pc) == 4 && digits(pc) && pc[0] != '0',
			c == "LU" && len(pc) == 4 && digits(pc),
			c == "FR" && len(pc) == 5 && (digits(pc) || pc[0] == '2' && (pc[1] == 'A' || pc[1] == 'B') && digits(pc[2:])):
			return true
		}
	}
	return false
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isCurrency(s string) bool {
	return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
}

// isE164 is +, a non-zero digit and 6 to 14 more digits.
func isE164(s string) bool {
	return len(s) >= 8 && len(s) <= 16 && s[0] == '+' && s[1] != '0' && digits(s[1:])
}

// ValidISSN reports whether s is NNNN-NNNC with a correct mod-11 check digit.
func ValidISSN(s string) bool {
	if !reISSN.MatchString(s) {
		return false
	}
	digits := s[:4] + s[5:8]
	sum := 0
	for i, r := range digits {
		sum += int(r-'0') * (8 - i)
	}
	check := (11 - sum%11) % 11
	want := byte('0' + check)
	if check == 10 {
		want = 'X'
	}
	return s[8] == want
}
