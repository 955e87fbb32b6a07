package ingest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

//go:embed profiles/*.json
var profileFS embed.FS

// Profile is a supplier mapping: which columns of a file feed which model
// fields, how values are written, and the file's language. Profiles live in
// profiles/<name>.json (see profiles/README.md) and are embedded.
type Profile struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Format forces a format (csv, tsv, json, ndjson, xml, xlsx); "" detects.
	Format string `json:"format,omitempty"`
	// Encoding forces a text encoding; "" detects (a BOM always wins).
	Encoding string `json:"encoding,omitempty"`
	// Delimiter forces the CSV delimiter ("," ";" "|" "tab"); "" sniffs.
	Delimiter string `json:"delimiter,omitempty"`
	// Language is the file's language (nl, fr, de, en): the language of
	// columns mapped to "description" and "adProduct.name".
	Language string `json:"language,omitempty"`
	// Numbers is eu, dot or auto (default auto, see NumbersAuto).
	Numbers string `json:"numbers,omitempty"`
	// Dates is dmy (default), mdy or ymd.
	Dates string `json:"dates,omitempty"`
	// PhoneRegion reads numbers without +prefix (BE default, LU, FR).
	PhoneRegion string `json:"phoneRegion,omitempty"`
	// ListSeparator splits multi-valued cells (default "|"; "," and ";" are
	// also accepted when the profile says so).
	ListSeparator string `json:"listSeparator,omitempty"`
	// RecordElement is the XML element of one record (default "title").
	RecordElement string `json:"recordElement,omitempty"`
	// Sheet is the XLSX worksheet (default the first).
	Sheet string `json:"sheet,omitempty"`
	// Defaults give a field a value when its column is absent or empty
	// ("measurement.study": "CIM Press Audience").
	Defaults map[string]string `json:"defaults,omitempty"`
	// ValueMaps add supplier spellings to the built-in value maps, per
	// field: {"subType": {"Weekblad": "magazine"}}. Keys match folded
	// (case, accents and punctuation ignored).
	ValueMaps map[string]map[string]string `json:"valueMaps,omitempty"`
	Columns   []Column                     `json:"columns"`

	cols map[string]*Column           // folded column name or alias → column
	maps map[string]map[string]string // field → folded supplier value → model value
	// defaultNames: field → "(default field)", the column name of a default.
	defaultNames map[string]string
}

// Column maps one supplier column to a model field.
type Column struct {
	// Name is the column header (CSV/XLSX) or dotted key (JSON/XML).
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	// Field is a target from Fields.
	Field    string `json:"field"`
	Required bool   `json:"required,omitempty"`
	// Unit is the unit of bare numbers: mm, cm, px, s for dimensions;
	// persons, copies, percent, … for metrics.
	Unit string `json:"unit,omitempty"`
}

// Fields lists every mapping target with what it accepts. "metric.<name>"
// (any name, e.g. metric.readership) is also a target: the column's value
// is a measurement of that metric, in the column's unit.
var Fields = map[string]string{
	"key":                        "the supplier's own id of the title (required; rows with the same key in a row form one title)",
	"name":                       "title name",
	"alternateNames":             "other names, list",
	"description":                "description in the profile language",
	"description.nl":             "description in Dutch",
	"description.fr":             "description in French",
	"description.de":             "description in German",
	"description.en":             "description in English",
	"description.machine":        "yes if the non-original descriptions are machine translations",
	"originalLanguage":           "ISO 639-1 or language name",
	"contentLanguages":           "list of ISO 639-1 codes or language names",
	"mediaType":                  "print, tv, radio, online, influencer, outdoor, cinema, in_store (or a known synonym)",
	"subType":                    "daily, magazine, free_sheet, trade, tv_national, … (or a synonym: Quotidien, Dagblad, Tageszeitung → daily)",
	"segment":                    "B2C or B2B (or a synonym)",
	"frequency":                  "daily, weekly, biweekly, monthly, bimonthly, quarterly, yearly, irregular, continuous (or a synonym)",
	"issuesPerYear":              "whole number",
	"status":                     "active, closed, merged (or a synonym)",
	"mergedInto":                 "supplier key of the title this one merged into",
	"topics":                     "list of topic codes",
	"coverage.level":             "national, regional, local, international",
	"coverage.countries":         "list of ISO 3166 codes or country names",
	"coverage.regions":           "list of NUTS codes, ISO 3166-2 codes or region names",
	"coverage.postalCodes":       "list of postal codes",
	"publisher.id":               "publisher id",
	"publisher.name":             "publisher name",
	"publisher.companyNumber":    "publisher company number (BE0123456789, SIREN, RCS)",
	"salesHouse.id":              "sales house (régie) id",
	"salesHouse.name":            "sales house name",
	"editions":                   "list of edition names",
	"identifiers.issn":           "list of ISSN",
	"identifiers.domain":         "web site or domain",
	"identifiers.companyNumber":  "company number",
	"measurement.metric":         "metric name for long-format audience files",
	"measurement.value":          "metric value for long-format audience files",
	"measurement.unit":           "persons, copies, percent, visits, …",
	"measurement.universe":       "e.g. BE 15+",
	"measurement.period":         "wave or period, e.g. 2024 or 2023-06/2024-05",
	"measurement.study":          "study name, e.g. CIM Press Audience",
	"measurement.status":         "stated or authenticated (or a synonym)",
	"adProduct.name":             "format name in the profile language",
	"adProduct.channel":          "media type of the product",
	"adProduct.kind":             "display, spot, sponsoring, branded_content, insert, …",
	"adProduct.size":             "210 x 297 mm, 300x250 px",
	"adProduct.width":            "width (column unit mm, cm or px, or a suffix)",
	"adProduct.height":           "height",
	"adProduct.bleed":            "bleed in mm",
	"adProduct.seconds":          "spot length in seconds",
	"adProduct.delivery":         "delivery standard, e.g. Medibel+",
	"adProduct.price":            "amount, e.g. 1.250,00 or € 1250",
	"adProduct.currency":         "ISO 4217 code or symbol (default EUR)",
	"adProduct.basis":            "per_insertion, cpm, per_spot, … (or a synonym)",
	"adProduct.priceType":        "gross or net (brut/bruto/brutto, net/netto)",
	"adProduct.validFrom":        "date",
	"adProduct.validTo":          "date",
	"adProduct.bookingDays":      "business days before publication",
	"adProduct.materialDays":     "business days before publication",
	"adProduct.bookingDeadline":  "date",
	"adProduct.materialDeadline": "date",
	"contact.role":               "general, sales, editorial, traffic, technical, marketing (or a synonym)",
	"contact.name":               "contact name",
	"contact.email":              "e-mail",
	"contact.phone":              "phone, converted to E.164",
	"contact.languages":          "list of languages",
	"contact.gdprBasis":          "legitimate_interest, consent, contract (or a synonym)",
	"contact.optOut":             "yes/no",
}

func knownField(f string) bool {
	_, ok := Fields[f]
	return ok || (strings.HasPrefix(f, "metric.") && len(f) > len("metric."))
}

// Profiles returns the names of the embedded profiles.
func Profiles() []string {
	entries, _ := profileFS.ReadDir("profiles")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// LoadProfile returns the embedded profile name, compiled.
func LoadProfile(name string) (*Profile, error) {
	b, err := profileFS.ReadFile(path.Join("profiles", name+".json"))
	if err != nil {
		return nil, &FormatError{Reason: fmt.Sprintf("unknown profile %q (known: %s)", name, strings.Join(Profiles(), ", "))}
	}
	return ParseProfile(b)
}

// ParseProfile decodes and checks a profile (unknown JSON keys, unknown
// fields, bad formats are errors) and compiles its lookups.
func ParseProfile(b []byte) (*Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, &FormatError{Reason: "profile: " + err.Error()}
	}
	if err := p.compile(); err != nil {
		return nil, &FormatError{Reason: fmt.Sprintf("profile %s: %v", p.Name, err)}
	}
	return &p, nil
}

func (p *Profile) compile() error {
	if p.Name == "" {
		return fmt.Errorf("name is required")
	}
	if p.Format != "" && !slices.Contains(Formats, Format(p.Format)) {
		return fmt.Errorf("format %q is not one of csv, tsv, json, ndjson, xml, xlsx", p.Format)
	}
	if _, err := parseDelimiter(p.Delimiter); err != nil {
		return err
	}
	if p.Encoding != "" {
		if _, err := encodingFor(strings.ToLower(p.Encoding)); err != nil {
			return err
		}
	}
	if p.Numbers == "" {
		p.Numbers = NumbersAuto
	}
	if !slices.Contains([]string{NumbersEU, NumbersDot, NumbersAuto}, p.Numbers) {
		return fmt.Errorf("numbers %q is not eu, dot or auto", p.Numbers)
	}
	if p.Dates == "" {
		p.Dates = DatesDMY
	}
	if !slices.Contains([]string{DatesDMY, DatesMDY, DatesYMD}, p.Dates) {
		return fmt.Errorf("dates %q is not dmy, mdy or ymd", p.Dates)
	}
	if p.Language == "" {
		p.Language = "nl"
	}
	if !slices.Contains([]string{"nl", "fr", "de", "en"}, p.Language) {
		return fmt.Errorf("language %q is not nl, fr, de or en", p.Language)
	}
	if p.ListSeparator == "" {
		p.ListSeparator = "|"
	}
	p.cols = map[string]*Column{}
	hasKey := false
	for i := range p.Columns {
		c := &p.Columns[i]
		if !knownField(c.Field) {
			return fmt.Errorf("column %q: unknown field %q", c.Name, c.Field)
		}
		hasKey = hasKey || c.Field == "key"
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			f := Fold(n)
			if f == "" {
				return fmt.Errorf("column %d: empty name", i)
			}
			if prev, dup := p.cols[f]; dup && prev != c {
				return fmt.Errorf("column name %q is used by both %s and %s", n, prev.Field, c.Field)
			}
			p.cols[f] = c
		}
	}
	if !hasKey {
		return fmt.Errorf("no column maps to field \"key\"")
	}
	p.defaultNames = map[string]string{}
	for f := range p.Defaults {
		if !knownField(f) {
			return fmt.Errorf("defaults: unknown field %q", f)
		}
		p.defaultNames[f] = "(default " + f + ")"
	}
	p.maps = map[string]map[string]string{}
	for f, m := range builtinValueMaps {
		c := make(map[string]string, len(m))
		for k, v := range m {
			c[Fold(k)] = v
		}
		p.maps[f] = c
	}
	for f, m := range p.ValueMaps {
		if !knownField(f) {
			return fmt.Errorf("valueMaps: unknown field %q", f)
		}
		if p.maps[f] == nil {
			p.maps[f] = map[string]string{}
		}
		for k, v := range m {
			p.maps[f][Fold(k)] = v
		}
	}
	return nil
}

// column returns the profile column a file column name maps to.
func (p *Profile) column(name string) *Column { return p.cols[Fold(name)] }

// mapValue maps a supplier spelling for field through the value maps; a
// value already in canonical form maps to itself.
func (p *Profile) mapValue(field, v string) (string, bool) {
	m := p.maps[field]
	if m == nil {
		return v, true
	}
	out, ok := m[Fold(v)]
	return out, ok
}
