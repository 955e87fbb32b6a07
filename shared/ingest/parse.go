package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mediaspecs/catalogue/shared/catalog"
)

// Parsed is one valid title built from consecutive rows with the same key.
type Parsed struct {
	Title catalog.Title
	// Provenance is the supplier/file/profile/first row the title came from;
	// the pipeline passes it to catalog.Merge.
	Provenance catalog.Provenance
	FirstRow   int
	LastRow    int
	Rows       int
}

// Parse reads src with profile p, normalises and validates every row, and
// calls emit once per valid title, in file order. Rows with the same key in
// a row form one title (a rate card lists one format per row); rows of one
// title must be contiguous, otherwise each run is emitted separately and the
// later one wins in the merge. Memory holds one title at a time.
//
// Parse returns an error only for what is not the supplier's fault: the
// context, an emit error, or a read error from src.R (retry the file). A bad
// file or bad rows end up in the Report (FileError, Errors) with a nil error.
func Parse(ctx context.Context, src Source, p *Profile, lim Limits, emit func(Parsed) error) (*Report, error) {
	rep := &Report{File: src.Name, Supplier: src.Supplier, Profile: p.Name, StartedAt: time.Now().UTC(), maxErrors: lim.MaxReportErrors}
	b := &builder{p: p, src: src, rep: rep, emit: emit, now: rep.StartedAt, colCache: map[string]*Column{}, warned: map[string]bool{}, seen: map[string]bool{}, mapCache: map[string]map[string]string{}, phones: map[string]string{}}
	err := b.run(ctx, lim)
	rep.FinishedAt = time.Now().UTC()
	if err != nil && IsFileError(err) {
		rep.FileError = err.Error()
		err = nil
	}
	rep.finish()
	return rep, err
}

type group struct {
	key      string
	id       string
	title    catalog.Title
	first    int
	last     int
	rows     int
	adIndex  map[string]int
	seenMeas map[string]bool
	seenCont map[string]bool
}

type builder struct {
	p        *Profile
	src      Source
	rep      *Report
	emit     func(Parsed) error
	now      time.Time
	cur      *group
	colCache map[string]*Column
	warned   map[string]bool
	header   bool
	spare    *group
	colIdx   []*Column
	colNames *string
	pool     []*staged
	used     int
	seen     map[string]bool
	mapCache map[string]map[string]string
	phones   map[string]string
	batch    []Row
	cells    []cell
}

type cell struct {
	col   *Column
	name  string
	field string
	val   string
}

func (b *builder) run(ctx context.Context, lim Limits) error {
	rr, info, err := Open(b.src, b.p, lim)
	b.rep.Format, b.rep.Encoding, b.rep.Delimiter = info.Format, info.Encoding, info.Delimiter
	if err != nil {
		return err
	}
	defer rr.Close()
	fixedHeader := info.Format == FormatCSV || info.Format == FormatTSV || info.Format == FormatXLSX
	for n := 0; ; n++ {
		if n%512 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		row, err := rr.Next()
		if err == io.EOF {
			break
		}
		var re *rowError
		if errors.As(err, &re) {
			b.rep.Rows++
			b.rep.RejectedRows++
			b.rep.addError(RowError{Row: re.Row, Reason: re.Reason})
			continue
		}
		if err != nil {
			if b.cur != nil {
				b.rep.RejectedRows += b.cur.rows
				b.rep.addError(RowError{Row: b.cur.first, Key: b.cur.key, Reason: "not imported: the file stopped before this title was complete"})
				b.cur = nil
			}
			return err
		}
		if fixedHeader && !b.header {
			b.header = true
			if err := b.checkHeader(row.Names); err != nil {
				return err
			}
		}
		if len(b.batch) > 0 && b.batch[0].Num != row.Num {
			if err := b.record(b.batch); err != nil {
				return err
			}
			b.batch = b.batch[:0]
		}
		b.batch = append(b.batch, row)
	}
	if err := b.record(b.batch); err != nil {
		return err
	}
	return b.flush()
}

// record handles the rows of one record (one CSV/XLSX row, or the fanned-out
// rows of one JSON/XML object): all are joined, or all are rejected.
func (b *builder) record(rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	b.rep.Rows += len(rows)
	b.used = 0
	sts := make([]*staged, 0, len(rows))
	var errs []RowError
	for _, r := range rows {
		st, e := b.stage(r)
		sts = append(sts, st)
		errs = append(errs, e...)
	}
	if len(errs) > 0 {
		b.rep.RejectedRows += len(rows)
		for _, e := range errs {
			b.rep.addError(e)
		}
		return nil
	}
	for i, st := range sts {
		if b.cur != nil && b.cur.key != st.key {
			if err := b.flush(); err != nil {
				return err
			}
		}
		if b.cur == nil {
			b.cur = b.newGroup(st.key, rows[i].Num)
		}
		b.join(b.cur, st, rows[i].Num)
	}
	return nil
}

func (b *builder) checkHeader(names []string) error {
	present := map[*Column]bool{}
	for _, n := range names {
		if c := b.p.column(n); c != nil {
			present[c] = true
		} else if n != "" {
			b.rep.warn(fmt.Sprintf("column %q is not in profile %s and was ignored", n, b.p.Name))
		}
	}
	var missing []string
	for i := range b.p.Columns {
		c := &b.p.Columns[i]
		if c.Required && !present[c] {
			if _, ok := b.p.Defaults[c.Field]; ok {
				continue
			}
			s := fmt.Sprintf("%q", c.Name)
			if len(c.Aliases) > 0 {
				s += " (or " + strings.Join(c.Aliases, ", ") + ")"
			}
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return &FormatError{Reason: "missing required column " + strings.Join(missing, ", ") + " for profile " + b.p.Name}
	}
	return nil
}

func (b *builder) column(name string) *Column {
	if c, ok := b.colCache[name]; ok {
		return c
	}
	c := b.p.column(name)
	if len(b.colCache) < 4096 {
		b.colCache[strings.Clone(name)] = c
	}
	if c == nil && !b.warned[name] && len(b.warned) < 100 && !b.header {
		b.warned[name] = true
		b.rep.warn(fmt.Sprintf("field %q is not in profile %s and was ignored", name, b.p.Name))
	}
	return c
}

// columns resolves row names to profile columns. CSV and XLSX rows share
// one header slice, resolved once; JSON and XML rows are resolved per row.
func (b *builder) columns(names []string) []*Column {
	if len(names) > 0 && len(b.colIdx) == len(names) && &names[0] == b.colNames {
		return b.colIdx
	}
	b.colIdx = b.colIdx[:0]
	for _, n := range names {
		b.colIdx = append(b.colIdx, b.column(n))
	}
	if len(names) > 0 {
		b.colNames = &names[0]
	}
	return b.colIdx
}

// staged is one row's parsed values before they join the title.
type staged struct {
	key       string
	t         catalog.Title
	metrics   []catalog.Measurement
	meas      catalog.Measurement
	mValueSet bool
	ad        catalog.AdProduct
	adSet     bool
	price     catalog.Price
	priceOK   bool
	ct        catalog.Contact
	ctSet     bool
	phone     *cell
	machine   bool
}

// newGroup starts a title, reusing the previous group's lookup maps.
func (b *builder) newGroup(key string, first int) *group {
	g := b.spare
	if g == nil {
		g = &group{adIndex: map[string]int{}, seenMeas: map[string]bool{}, seenCont: map[string]bool{}}
	} else {
		clear(g.adIndex)
		clear(g.seenMeas)
		clear(g.seenCont)
	}
	g.key, g.id, g.first, g.last, g.rows, g.title = key, catalog.StableID(b.src.Supplier, key), first, 0, 0, catalog.Title{}
	return g
}

// newStaged returns a zeroed staged, reusing the ones of the previous record.
func (b *builder) newStaged() *staged {
	if b.used < len(b.pool) {
		st := b.pool[b.used]
		*st = staged{}
		b.used++
		return st
	}
	st := &staged{}
	if len(b.pool) < 64 {
		b.pool = append(b.pool, st)
		b.used++
	}
	return st
}

// stage normalises one row; errors reject it.
func (b *builder) stage(row Row) (*staged, []RowError) {
	p := b.p
	b.cells = b.cells[:0]
	var errs []RowError
	seen := b.seen
	clear(seen)
	cols := b.columns(row.Names)
	for i, name := range row.Names {
		if i >= len(row.Values) {
			break
		}
		v := strings.TrimSpace(row.Values[i])
		c := cols[i]
		if c == nil || v == "" || seen[c.Field] {
			continue
		}
		seen[c.Field] = true
		b.cells = append(b.cells, cell{col: c, name: name, field: c.Field, val: v})
	}
	if len(row.Values) > len(row.Names) {
		for _, v := range row.Values[len(row.Names):] {
			if strings.TrimSpace(v) != "" {
				errs = append(errs, RowError{Row: row.Num, Reason: fmt.Sprintf("has %d values but the header has %d columns (a delimiter inside an unquoted value?)", len(row.Values), len(row.Names))})
				break
			}
		}
	}
	for f, d := range p.Defaults {
		if !seen[f] {
			b.cells = append(b.cells, cell{name: b.p.defaultNames[f], field: f, val: d})
			seen[f] = true
		}
	}
	for i := range p.Columns {
		c := &p.Columns[i]
		if c.Required && !seen[c.Field] {
			errs = append(errs, RowError{Row: row.Num, Column: c.Name, Reason: "is required"})
		}
	}
	st := b.newStaged()
	for i := range b.cells {
		c := &b.cells[i]
		if reason := b.apply(st, c, row.Machine); reason != "" {
			errs = append(errs, RowError{Row: row.Num, Column: c.name, Value: c.val, Reason: reason})
		}
	}
	if st.phone != nil {
		region := p.PhoneRegion
		if cs := st.t.Coverage.Countries; len(cs) == 1 && (cs[0] == "BE" || cs[0] == "LU" || cs[0] == "FR") {
			region = cs[0]
		}
		// Rows of one title usually repeat the contact: remember the last number.
		// Rows repeat contacts, and sales houses share numbers: remember them.
		k := region + st.phone.val
		if ph, ok := b.phones[k]; ok {
			st.ct.Phone = ph
		} else {
			ph, err := Phone(st.phone.val, region)
			if err != nil {
				errs = append(errs, RowError{Row: row.Num, Column: st.phone.name, Value: st.phone.val, Reason: err.Error()})
			} else if len(b.phones) < 4096 {
				// A cache key must not be a slice of the row: CSV fields share
				// one string per record, which the key would keep alive.
				b.phones[strings.Clone(k)] = ph
			}
			st.ct.Phone = ph
		}
	}
	if st.key == "" && len(errs) == 0 {
		errs = append(errs, RowError{Row: row.Num, Reason: "has no title key"})
	}
	for i := range errs {
		errs[i].Key = st.key
	}
	return st, errs
}

func (b *builder) list(v string) []string {
	parts := strings.Split(v, b.p.ListSeparator)
	out := parts[:0]
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func listOf(b *builder, v string, norm func(string) (string, error)) ([]string, string) {
	var out []string
	for _, s := range b.list(v) {
		n, err := norm(s)
		if err != nil {
			return nil, fmt.Sprintf("%q %s", s, err.Error())
		}
		out = append(out, n)
	}
	return out, ""
}

func (b *builder) mapped(field, v string) (string, string) {
	fc := b.mapCache[field]
	if out, ok := fc[v]; ok {
		return out, ""
	}
	out, ok := b.p.mapValue(field, v)
	if !ok {
		return "", "is not a known value for " + field + " (see profiles/README.md for accepted values)"
	}
	if fc == nil {
		fc = map[string]string{}
		b.mapCache[field] = fc
	}
	if len(fc) < 1000 {
		fc[strings.Clone(v)] = out // not a slice of the row (see phones)
	}
	return out, ""
}

var reCompany = regexp.MustCompile(`[\s.\-/]`)

// apply parses one cell into st; it returns the reason on failure.
func (b *builder) apply(st *staged, c *cell, machine bool) string {
	p, v, t := b.p, c.val, &st.t
	numbers := p.Numbers
	if machine {
		numbers = NumbersDot
	}
	text := func(dst *string) string {
		s, err := Text(v)
		if err != nil {
			return err.Error()
		}
		*dst = s
		return ""
	}
	var reason string
	switch f := c.field; {
	case f == "key":
		reason = text(&st.key)
	case f == "name":
		reason = text(&t.Name)
	case f == "alternateNames":
		t.AlternateNames, reason = listOf(b, v, Text)
	case f == "description" || strings.HasPrefix(f, "description."):
		lang := catalog.Lang(p.Language)
		if l, ok := strings.CutPrefix(f, "description."); ok {
			if l == "machine" {
				ok, err := Bool(v)
				if err != nil {
					return err.Error()
				}
				st.machine = ok
				return ""
			}
			lang = catalog.Lang(l)
		}
		s, err := MultilineText(v)
		if err != nil {
			return err.Error()
		}
		t.Description.Set(lang, s, false)
	case f == "originalLanguage":
		t.OriginalLanguage, reason = one(Language(v))
	case f == "contentLanguages":
		t.ContentLanguages, reason = listOf(b, v, Language)
	case f == "mediaType":
		var s string
		s, reason = b.mapped(f, v)
		t.MediaType = catalog.MediaType(s)
	case f == "subType":
		var s string
		s, reason = b.mapped(f, v)
		t.SubType = catalog.SubType(s)
	case f == "segment":
		var s string
		s, reason = b.mapped(f, v)
		t.Segment = catalog.Segment(s)
	case f == "frequency":
		t.Frequency.Code, reason = b.mapped(f, v)
	case f == "issuesPerYear":
		n, err := WholeNumber(v, numbers)
		if err != nil || n > 366 {
			return "must be a whole number of issues per year between 0 and 366"
		}
		t.Frequency.IssuesPerYear = int(n)
	case f == "status":
		var s string
		s, reason = b.mapped(f, v)
		t.Status = catalog.Status(s)
	case f == "mergedInto":
		t.MergedInto = catalog.StableID(b.src.Supplier, v)
	case f == "topics":
		t.Topics, reason = listOf(b, v, func(s string) (string, error) { return Fold(s), nil })
	case f == "coverage.level":
		t.Coverage.Level, reason = b.mapped(f, v)
	case f == "coverage.countries":
		t.Coverage.Countries, reason = listOf(b, v, Country)
	case f == "coverage.regions":
		t.Coverage.Regions, reason = listOf(b, v, Region)
	case f == "coverage.postalCodes":
		t.Coverage.PostalCodes, reason = listOf(b, v, PostalCode)
	case f == "publisher.id":
		reason = text(&t.Publisher.ID)
	case f == "publisher.name":
		reason = text(&t.Publisher.Name)
	case f == "publisher.companyNumber":
		t.Publisher.CompanyNumber = companyNumber(v)
	case f == "salesHouse.id":
		reason = text(&t.SalesHouse.ID)
	case f == "salesHouse.name":
		reason = text(&t.SalesHouse.Name)
	case f == "editions":
		names, r := listOf(b, v, Text)
		for _, n := range names {
			e := catalog.Edition{ID: catalog.ChildID("ed", st.key, n)}
			e.Name.Set(catalog.Lang(p.Language), n, false)
			t.Editions = append(t.Editions, e)
		}
		reason = r
	case f == "identifiers.issn":
		t.Identifiers.ISSN, reason = listOf(b, v, ISSN)
	case f == "identifiers.domain":
		var d string
		d, reason = one(Domain(v))
		if d != "" {
			t.Identifiers.Domains = []string{d}
		}
	case f == "identifiers.companyNumber":
		t.Identifiers.CompanyNumber = companyNumber(v)
	case strings.HasPrefix(f, "metric."):
		m := catalog.Measurement{Metric: strings.TrimPrefix(f, "metric."), Unit: c.unit()}
		if slices.Contains(catalog.WholeUnits, m.Unit) {
			n, err := WholeNumber(v, numbers)
			if err != nil {
				return err.Error()
			}
			m.Value = float64(n)
		} else {
			x, err := Number(v, numbers)
			if err != nil || x < 0 {
				return "must be a number ≥ 0"
			}
			m.Value = x
		}
		st.metrics = append(st.metrics, m)
	case f == "measurement.metric":
		st.meas.Metric = Fold(v)
		st.meas.Metric = strings.ReplaceAll(st.meas.Metric, " ", "_")
	case f == "measurement.value":
		x, err := Number(v, numbers)
		if err != nil {
			return err.Error()
		}
		st.meas.Value, st.mValueSet = x, true
	case f == "measurement.unit":
		st.meas.Unit = Fold(v)
	case f == "measurement.universe":
		reason = text(&st.meas.Universe)
	case f == "measurement.period":
		reason = text(&st.meas.Period)
	case f == "measurement.study":
		reason = text(&st.meas.Study)
	case f == "measurement.status":
		st.meas.Status, reason = b.mapped(f, v)
	case strings.HasPrefix(f, "adProduct."):
		st.adSet = st.adSet || !strings.HasPrefix(c.name, "(default")
		reason = b.applyAd(st, c, numbers, machine)
	case strings.HasPrefix(f, "contact."):
		st.ctSet = st.ctSet || !strings.HasPrefix(c.name, "(default")
		reason = b.applyContact(st, c)
	default:
		reason = "field " + f + " is not handled"
	}
	return reason
}

func one(s string, err error) (string, string) {
	if err != nil {
		return "", err.Error()
	}
	return s, ""
}

func (c *cell) unit() string {
	if c.col != nil {
		return c.col.Unit
	}
	return ""
}

func companyNumber(v string) string {
	s := strings.ToUpper(reCompany.ReplaceAllString(strings.TrimSpace(v), ""))
	if len(s) == 10 && (s[0] == '0' || s[0] == '1') && strings.Trim(s, "0123456789") == "" {
		s = "BE" + s
	}
	return s
}

// ISSN normalises "12345679" or "1234-5679" and checks the check digit.
func ISSN(s string) (string, error) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "ISSN")), " ", ""))
	if len(s) == 8 && !strings.Contains(s, "-") {
		s = s[:4] + "-" + s[4:]
	}
	if !catalog.ValidISSN(s) {
		return "", errors.New("must be an ISSN such as 0378-5955 with a correct check digit")
	}
	return s, nil
}

func (b *builder) applyAd(st *staged, c *cell, numbers string, machine bool) string {
	p, v, a := b.p, c.val, &st.ad
	switch c.field {
	case "adProduct.name":
		s, err := Text(v)
		if err != nil {
			return err.Error()
		}
		a.Name.Set(catalog.Lang(p.Language), s, false)
	case "adProduct.channel":
		s, r := b.mapped(c.field, v)
		a.Channel = catalog.MediaType(s)
		return r
	case "adProduct.kind":
		s, r := b.mapped(c.field, v)
		a.Kind = s
		return r
	case "adProduct.size":
		w, h, u, err := Size(v, c.unit(), numbers)
		if err != nil {
			return err.Error()
		}
		if u == "s" {
			return "must be a size such as 210 x 297 mm or 300x250 px"
		}
		a.Dimensions.Width, a.Dimensions.Height, a.Dimensions.Unit = w, h, u
	case "adProduct.width", "adProduct.height":
		x, u, err := Length(v, c.unit(), numbers)
		if err != nil {
			return err.Error()
		}
		if a.Dimensions.Unit != "" && a.Dimensions.Unit != u {
			return "uses unit " + u + " but the other dimension uses " + a.Dimensions.Unit
		}
		a.Dimensions.Unit = u
		if c.field == "adProduct.width" {
			a.Dimensions.Width = x
		} else {
			a.Dimensions.Height = x
		}
	case "adProduct.bleed":
		x, u, err := Length(v, "mm", numbers)
		if err != nil || u != "mm" {
			return "must be a bleed in mm such as 5 or 5 mm"
		}
		a.Dimensions.BleedMM = x
	case "adProduct.seconds":
		x, u, err := Length(v, "s", numbers)
		if err != nil || u != "s" || x != math.Trunc(x) || x > 3600 {
			return "must be a whole number of seconds such as 30 or 30 s"
		}
		a.Dimensions.Seconds = int(x)
	case "adProduct.delivery":
		s, err := Text(v)
		if err != nil {
			return err.Error()
		}
		a.Delivery = s
	case "adProduct.price":
		minor, cur, err := Money(v, numbers)
		if err != nil {
			return err.Error()
		}
		st.price.AmountMinor, st.priceOK = minor, true
		if cur != "" {
			if st.price.Currency != "" && st.price.Currency != cur {
				return "carries currency " + cur + " but the currency column says " + st.price.Currency
			}
			st.price.Currency = cur
		}
	case "adProduct.currency":
		cur, err := Currency(v)
		if err != nil {
			return err.Error()
		}
		if st.price.Currency != "" && st.price.Currency != cur && !strings.HasPrefix(c.name, "(default") {
			return "says " + cur + " but the price carries " + st.price.Currency
		}
		if st.price.Currency == "" {
			st.price.Currency = cur
		}
	case "adProduct.basis":
		s, r := b.mapped(c.field, v)
		st.price.Basis = s
		return r
	case "adProduct.priceType":
		s, r := b.mapped(c.field, v)
		st.price.Type = s
		return r
	case "adProduct.validFrom", "adProduct.validTo", "adProduct.bookingDeadline", "adProduct.materialDeadline":
		d, err := Date(v, p.Dates, machine)
		if err != nil {
			return err.Error()
		}
		switch c.field {
		case "adProduct.validFrom":
			st.price.ValidFrom = d
		case "adProduct.validTo":
			st.price.ValidTo = d
		case "adProduct.bookingDeadline":
			a.Deadlines.Booking = d
		default:
			a.Deadlines.Material = d
		}
	case "adProduct.bookingDays", "adProduct.materialDays":
		n, err := WholeNumber(v, numbers)
		if err != nil || n > 365 {
			return "must be a whole number of business days between 0 and 365"
		}
		if c.field == "adProduct.bookingDays" {
			a.Deadlines.BookingDays = int(n)
		} else {
			a.Deadlines.MaterialDays = int(n)
		}
	}
	return ""
}

func (b *builder) applyContact(st *staged, c *cell) string {
	v, ct := c.val, &st.ct
	var r string
	switch c.field {
	case "contact.role":
		ct.Role, r = b.mapped(c.field, v)
	case "contact.name":
		ct.Name, r = one(Text(v))
	case "contact.email":
		ct.Email, r = one(Email(v))
	case "contact.phone":
		st.phone = c // parsed in stage once the row's country is known
	case "contact.languages":
		ct.Languages, r = listOf(b, v, Language)
	case "contact.gdprBasis":
		ct.GDPR.Basis, r = b.mapped(c.field, v)
	case "contact.optOut":
		ok, err := Bool(v)
		if err != nil {
			return err.Error()
		}
		ct.GDPR.OptOut = ok
	}
	return r
}

// join adds a staged row to its title group.
func (b *builder) join(g *group, st *staged, num int) {
	g.rows++
	g.last = num
	t, s := &g.title, &st.t
	if g.rows == 1 {
		*t = *s
	} else {
		fillString(&t.Name, s.Name)
		fillString(&t.OriginalLanguage, s.OriginalLanguage)
		fillString(&t.MergedInto, s.MergedInto)
		fillString((*string)(&t.Status), string(s.Status))
		fillString((*string)(&t.MediaType), string(s.MediaType))
		fillString((*string)(&t.SubType), string(s.SubType))
		fillString((*string)(&t.Segment), string(s.Segment))
		fillString(&t.Frequency.Code, s.Frequency.Code)
		if t.Frequency.IssuesPerYear == 0 {
			t.Frequency.IssuesPerYear = s.Frequency.IssuesPerYear
		}
		fillString(&t.Coverage.Level, s.Coverage.Level)
		fillString(&t.Publisher.ID, s.Publisher.ID)
		fillString(&t.Publisher.Name, s.Publisher.Name)
		fillString(&t.Publisher.CompanyNumber, s.Publisher.CompanyNumber)
		fillString(&t.SalesHouse.ID, s.SalesHouse.ID)
		fillString(&t.SalesHouse.Name, s.SalesHouse.Name)
		fillString(&t.Identifiers.CompanyNumber, s.Identifiers.CompanyNumber)
		for _, l := range catalog.Langs {
			if _, ok := t.Description.In(l); !ok {
				if x, ok := s.Description.In(l); ok {
					t.Description.Set(l, x.Text, false)
				}
			}
		}
		t.AlternateNames = capAppend(t.AlternateNames, s.AlternateNames)
		t.ContentLanguages = capAppend(t.ContentLanguages, s.ContentLanguages)
		t.Topics = capAppend(t.Topics, s.Topics)
		t.Coverage.Countries = capAppend(t.Coverage.Countries, s.Coverage.Countries)
		t.Coverage.Regions = capAppend(t.Coverage.Regions, s.Coverage.Regions)
		if len(t.Coverage.PostalCodes) <= catalog.MaxPostalCodes {
			t.Coverage.PostalCodes = append(t.Coverage.PostalCodes, s.Coverage.PostalCodes...)
		}
		t.Identifiers.ISSN = capAppend(t.Identifiers.ISSN, s.Identifiers.ISSN)
		t.Identifiers.Domains = capAppend(t.Identifiers.Domains, s.Identifiers.Domains)
		for _, e := range s.Editions {
			if len(t.Editions) <= catalog.MaxEditions && !slices.ContainsFunc(t.Editions, func(x catalog.Edition) bool { return x.ID == e.ID }) {
				t.Editions = append(t.Editions, e)
			}
		}
	}
	if st.machine {
		g.markMachine(b.p.Language)
	}
	if g.title.SubType != "" && g.title.MediaType == "" {
		g.title.MediaType = catalog.SubTypeMedia[g.title.SubType]
	}
	// Measurements: wide (metric.* columns) and long (measurement.metric/value).
	ms := st.metrics
	if st.meas.Metric != "" && st.mValueSet {
		ms = append(ms, st.meas)
	}
	for _, m := range ms {
		m.Universe, m.Period, m.Study = st.meas.Universe, st.meas.Period, st.meas.Study
		if m.Status == "" {
			m.Status = st.meas.Status
		}
		if m.Unit == "" {
			m.Unit = st.meas.Unit
		}
		m.ID = catalog.ChildID("ms", g.id, m.Metric, m.Universe, m.Period, m.Study)
		if !g.seenMeas[m.ID] && len(t.Measurements) <= catalog.MaxMeasurements {
			g.seenMeas[m.ID] = true
			t.Measurements = append(t.Measurements, m)
		}
	}
	if st.adSet {
		a := st.ad
		if a.Channel == "" {
			a.Channel = g.title.MediaType
		}
		name, _, _ := a.Name.Best(catalog.EN)
		d := a.Dimensions
		a.ID = catalog.ChildID("ap", g.id, name.Text, string(a.Channel), a.Kind, d.Unit,
			strconv.FormatFloat(d.Width, 'f', -1, 64), strconv.FormatFloat(d.Height, 'f', -1, 64), strconv.Itoa(d.Seconds))
		i, ok := g.adIndex[a.ID]
		if !ok && len(t.AdProducts) > catalog.MaxAdProducts {
			// Over the limit already: validation rejects the title; stop
			// growing it so memory stays bounded.
			return
		}
		if !ok {
			i = len(t.AdProducts)
			g.adIndex[a.ID] = i
			t.AdProducts = append(t.AdProducts, a)
		}
		if st.priceOK {
			pr := st.price
			if pr.Currency == "" {
				pr.Currency = "EUR"
			}
			if !slices.Contains(t.AdProducts[i].Prices, pr) && len(t.AdProducts[i].Prices) < 100 {
				t.AdProducts[i].Prices = append(t.AdProducts[i].Prices, pr)
			}
		}
	}
	if st.ctSet {
		ct := st.ct
		if ct.Role == "" {
			ct.Role = "general"
		}
		k := ct.Role + "\x00" + ct.Email + "\x00" + ct.Name + "\x00" + ct.Phone
		if !g.seenCont[k] && len(t.Contacts) <= catalog.MaxContacts {
			g.seenCont[k] = true
			t.Contacts = append(t.Contacts, ct)
		}
	}
}

// markMachine flags every description except the original language's (the
// title's originalLanguage, else the profile language) as machine-translated.
func (g *group) markMachine(fileLang string) {
	orig := catalog.Lang(g.title.OriginalLanguage)
	if orig == "" {
		orig = catalog.Lang(fileLang)
	}
	for _, l := range catalog.Langs {
		if l == orig {
			continue
		}
		if x, ok := g.title.Description.In(l); ok {
			g.title.Description.Set(l, x.Text, true)
		}
	}
}

// capAppend appends while dst is short: repeated rows of one key cannot grow
// a title without bound (validation and CheckSize reject oversized titles).
func capAppend(dst, src []string) []string {
	if len(dst) > 1000 {
		return dst
	}
	return append(dst, src...)
}

func fillString(dst *string, src string) {
	if *dst == "" {
		*dst = src
	}
}

// flush validates the current title and emits it, or rejects its rows.
func (b *builder) flush() error {
	g := b.cur
	if g == nil {
		return nil
	}
	b.cur = nil
	b.spare = g // its maps are reused; its title is handed over below
	t := g.title
	t.ID = g.id
	t.SchemaVersion = catalog.SchemaVersion
	if t.Status == "" {
		t.Status = catalog.StatusActive
	}
	t.Identifiers.SupplierKeys = map[string]string{b.src.Supplier: g.key}
	t.Canonicalize()
	err := t.Validate()
	if err == nil {
		_, err = catalog.CheckSize(&t)
	}
	if err != nil {
		b.rep.RejectedTitles++
		b.rep.RejectedRows += g.rows
		var ve catalog.ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve {
				b.rep.addError(RowError{Row: g.first, Key: g.key, Column: b.columnFor(fe.Path), Value: fe.Value, Reason: fe.Reason})
			}
		} else {
			b.rep.addError(RowError{Row: g.first, Key: g.key, Reason: err.Error()})
		}
		return nil
	}
	prov := catalog.Provenance{Supplier: b.src.Supplier, File: b.src.Name, Profile: b.p.Name, Row: g.first, ImportedAt: b.now}
	if err := b.emit(Parsed{Title: t, Provenance: prov, FirstRow: g.first, LastRow: g.last, Rows: g.rows}); err != nil {
		return err
	}
	b.rep.Titles++
	b.rep.AcceptedRows += g.rows
	return nil
}

var reIndex = regexp.MustCompile(`\[\d+\]`)

// pathFields maps model paths (indexes removed) to the profile fields that
// feed them, so a title-level error names the supplier's column.
var pathFields = map[string][]string{
	"frequency.code": {"frequency"}, "frequency.issuesPerYear": {"issuesPerYear"},
	"identifiers.domains": {"identifiers.domain"}, "editions.name": {"editions"},
	"adProducts.dimensions.w":       {"adProduct.width", "adProduct.size"},
	"adProducts.dimensions.h":       {"adProduct.height", "adProduct.size"},
	"adProducts.dimensions.unit":    {"adProduct.size", "adProduct.width"},
	"adProducts.prices.amountMinor": {"adProduct.price"},
	"adProducts.prices.currency":    {"adProduct.currency", "adProduct.price"},
	"adProducts.prices.validTo":     {"adProduct.validTo"},
	"adProducts.prices.validFrom":   {"adProduct.validFrom"},
	"adProducts.prices.basis":       {"adProduct.basis"},
	"adProducts.prices.type":        {"adProduct.priceType"},
	"contacts.gdpr.basis":           {"contact.gdprBasis"},
}

func (b *builder) columnFor(path string) string {
	clean := reIndex.ReplaceAllString(path, "")
	cands := pathFields[clean]
	if cands == nil {
		cands = []string{clean}
		if rest, ok := strings.CutPrefix(clean, "adProducts."); ok {
			cands = []string{"adProduct." + rest}
		} else if rest, ok := strings.CutPrefix(clean, "contacts."); ok {
			cands = []string{"contact." + rest}
		} else if strings.HasPrefix(clean, "description.") {
			cands = []string{clean, "description"}
		}
	}
	for _, f := range cands {
		for _, c := range b.p.Columns {
			if c.Field == f {
				return c.Name
			}
		}
	}
	if strings.HasPrefix(clean, "measurements") || !strings.Contains(clean, ".") {
		for _, c := range b.p.Columns {
			if c.Field == "metric."+clean {
				return c.Name
			}
		}
	}
	return path
}
