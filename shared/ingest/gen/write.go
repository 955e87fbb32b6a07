package gen

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Columns are the generic-profile columns the tabular writers emit.
var Columns = []string{
	"key", "name", "media_type", "subtype", "segment", "frequency", "description_nl", "description_fr", "description_de",
	"languages", "countries", "regions", "postal_codes", "topics", "publisher_id", "publisher", "sales_house_id", "sales_house",
	"website", "issn", "circulation", "readership", "period", "study", "format", "size", "seconds", "price", "price_basis",
	"contact_role", "contact_name", "contact_email", "contact_phone", "contact_languages",
}

// ProfileFor names the embedded profile that reads format.
func ProfileFor(format string) string {
	switch format {
	case "json", "ndjson", "xml":
		return "json-feed"
	}
	return "generic"
}

// Rows counts the data rows a title produces in tabular formats.
func (t Title) Rows() int { return len(t.Ads) }

// eu formats cents as a European amount "1.250,50".
func eu(cents int64) string {
	s := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s,%02d", b.String(), cents%100)
}

func euInt(n int) string { return strings.TrimSuffix(eu(int64(n)*100), ",00") }

func (t Title) tabular(machine bool) [][]any {
	var rows [][]any
	for _, a := range t.Ads {
		size, secs := "", ""
		if a.Unit == "s" {
			secs = strconv.Itoa(a.Seconds)
		} else {
			size = fmt.Sprintf("%s x %s %s", strconv.FormatFloat(a.W, 'f', -1, 64), strconv.FormatFloat(a.H, 'f', -1, 64), a.Unit)
			if !machine {
				size = strings.ReplaceAll(size, ".", ",")
			}
		}
		var circ, read, price any = euInt(t.Circulation), euInt(t.Readership), eu(a.PriceCents)
		if machine {
			circ, read, price = t.Circulation, t.Readership, float64(a.PriceCents)/100
		}
		mt, email, country := t.MediaType, t.Contact.Email, strings.Join(t.Countries, "|")
		switch t.Bad {
		case "circulation":
			circ = "12,5k"
		case "email":
			email = "jan@"
		case "country":
			country = "Atlantis"
		case "media_type":
			mt = "hologram"
		}
		rows = append(rows, []any{
			t.Key, t.Name, mt, t.SubType, t.Segment, t.Frequency, t.DescNL, t.DescFR, t.DescDE,
			strings.Join(t.Languages, "|"), country, strings.Join(t.Regions, "|"), strings.Join(t.PostalCodes, "|"), strings.Join(t.Topics, "|"),
			t.PublisherID, t.Publisher, t.SalesHouseID, t.SalesHouse, t.Website, t.ISSN, circ, read, t.Period, "CIM Press Audience",
			a.Name, size, secs, price, a.Basis,
			t.Contact.Role, t.Contact.Name, email, t.Contact.Phone, strings.Join(t.Contact.Languages, "|"),
		})
	}
	return rows
}

// WriteCSV writes opts' titles as delimited text in the generic profile's
// columns. encoding is utf-8, utf-8-bom, utf-16le, windows-1252 or
// iso-8859-15. It returns the number of data rows.
func WriteCSV(w io.Writer, opts Options, delim byte, encoding string) (int, error) {
	var out io.Writer = w
	var closer io.Closer
	switch encoding {
	case "", "utf-8":
	case "utf-8-bom":
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return 0, err
		}
	case "utf-16le":
		t := transform.NewWriter(w, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder())
		out, closer = t, t
	case "windows-1252":
		t := transform.NewWriter(w, charmap.Windows1252.NewEncoder())
		out, closer = t, t
	case "iso-8859-15":
		t := transform.NewWriter(w, charmap.ISO8859_15.NewEncoder())
		out, closer = t, t
	default:
		return 0, fmt.Errorf("gen: unknown encoding %q", encoding)
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	writeRec := func(rec []any) {
		for i, v := range rec {
			if i > 0 {
				bw.WriteByte(delim)
			}
			s := fmt.Sprint(v)
			if strings.ContainsAny(s, string(delim)+"\"\n\r") {
				s = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
			}
			bw.WriteString(s)
		}
		bw.WriteString("\r\n")
	}
	hdr := make([]any, len(Columns))
	for i, c := range Columns {
		hdr[i] = c
	}
	writeRec(hdr)
	n := 0
	Each(opts, func(t Title) {
		for _, r := range t.tabular(false) {
			writeRec(r)
			n++
		}
	})
	if err := bw.Flush(); err != nil {
		return n, err
	}
	if closer != nil {
		return n, closer.Close()
	}
	return n, nil
}

// WriteXLSX writes opts' titles as one worksheet with excelize's streaming
// writer; numbers are numeric cells. It returns the number of data rows.
func WriteXLSX(w io.Writer, opts Options) (int, error) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return 0, err
	}
	hdr := make([]any, len(Columns))
	for i, c := range Columns {
		hdr[i] = c
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return 0, err
	}
	n := 0
	Each(opts, func(t Title) {
		for _, r := range t.tabular(true) {
			n++
			cell, _ := excelize.CoordinatesToCellName(1, n+1)
			if e := sw.SetRow(cell, r); e != nil && err == nil {
				err = e
			}
		}
	})
	if err != nil {
		return n, err
	}
	if err := sw.Flush(); err != nil {
		return n, err
	}
	_, err = f.WriteTo(w)
	return n, err
}

// feed is the json-feed profile's record shape.
func (t Title) feed() map[string]any {
	m := map[string]any{
		"id": t.Key, "name": t.Name, "type": t.MediaType, "subtype": t.SubType, "segment": t.Segment, "frequency": t.Frequency,
		"description": map[string]any{"nl": t.DescNL, "fr": t.DescFR, "de": t.DescDE},
		"languages":   t.Languages, "coverage": map[string]any{"countries": t.Countries, "regions": t.Regions, "postalCodes": t.PostalCodes},
		"topics":     t.Topics,
		"publisher":  map[string]any{"id": t.PublisherID, "name": t.Publisher},
		"salesHouse": map[string]any{"id": t.SalesHouseID, "name": t.SalesHouse},
		"website":    t.Website, "issn": t.ISSN,
		"audience": map[string]any{"readership": t.Readership, "circulation": t.Circulation, "period": t.Period, "study": "CIM Press Audience"},
	}
	var ads []any
	for _, a := range t.Ads {
		ad := map[string]any{"name": a.Name, "price": fmt.Sprintf("%d.%02d", a.PriceCents/100, a.PriceCents%100), "basis": a.Basis}
		if a.Unit == "s" {
			ad["seconds"] = a.Seconds
		} else {
			ad["size"] = fmt.Sprintf("%gx%g %s", a.W, a.H, a.Unit)
		}
		ads = append(ads, ad)
	}
	m["adProducts"] = ads
	email := t.Contact.Email
	switch t.Bad {
	case "circulation":
		m["audience"].(map[string]any)["circulation"] = "12,5k"
	case "email":
		email = "jan@"
	case "country":
		m["coverage"].(map[string]any)["countries"] = []string{"Atlantis"}
	case "media_type":
		m["type"] = "hologram"
	}
	m["contacts"] = []any{map[string]any{"role": t.Contact.Role, "name": t.Contact.Name, "email": email, "phone": t.Contact.Phone, "languages": t.Contact.Languages}}
	return m
}

// WriteJSON writes a JSON array (ndjson false) or NDJSON in the json-feed
// shape. It returns the number of records.
func WriteJSON(w io.Writer, opts Options, ndjson bool) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	if !ndjson {
		bw.WriteString("[\n")
	}
	var err error
	Each(opts, func(t Title) {
		if !ndjson && n > 0 {
			bw.WriteString(",")
		}
		if e := enc.Encode(t.feed()); e != nil && err == nil {
			err = e
		}
		n++
	})
	if !ndjson {
		bw.WriteString("]\n")
	}
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// WriteXML writes the json-feed shape as XML (see ingest's xmlReader layout).
func WriteXML(w io.Writer, opts Options) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(xml.Header + "<titles>\n")
	n := 0
	Each(opts, func(t Title) {
		bw.WriteString("  <title>")
		writeXMLValue(bw, "", t.feed())
		bw.WriteString("</title>\n")
		n++
	})
	bw.WriteString("</titles>\n")
	return n, bw.Flush()
}

func writeXMLValue(w *bufio.Writer, name string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if name != "" {
			w.WriteString("<" + name + ">")
		}
		for _, k := range sortedKeys(x) {
			writeXMLValue(w, k, x[k])
		}
		if name != "" {
			w.WriteString("</" + name + ">")
		}
	case []any:
		for _, e := range x {
			writeXMLValue(w, name, e)
		}
	case []string:
		for _, e := range x {
			writeXMLValue(w, name, e)
		}
	default:
		w.WriteString("<" + name + ">")
		_ = xml.EscapeText(w, []byte(fmt.Sprint(x)))
		w.WriteString("</" + name + ">")
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
