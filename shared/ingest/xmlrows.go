package ingest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// xmlReader streams record elements of an XML file. The layout:
//
//	<titles>                       any root, any nesting above records
//	  <title key="DVK-001">        one record per element named RecordElement
//	    <name>De Voorbeeldkrant</name>
//	    <publisher><name>…</name></publisher>      → "publisher.name"
//	    <topics>news</topics><topics>local</topics> → "topics" = "news|local"
//	    <adProducts><name>1/1</name><size>…</size></adProducts>
//	    <adProducts>…</adProducts>  repeated elements with children fan out
//	  </title>                      into one row each (see flattenRecord)
//	</titles>
//
// Attributes count as child values of the same name. A child element with
// both attributes and text keeps the text under "<name>._". Names map to
// profile columns exactly like JSON keys. The encoding comes from the XML
// declaration (UTF-8, UTF-16 with BOM, ISO-8859-15, Windows-1252, …).
// Record elements are bounded by MaxRowBytes; entities are not expanded.
type xmlReader struct {
	dec     *xml.Decoder
	win     *windowReader
	elem    string
	pending []Row
	rec     int
	rows    int
	lim     Limits
}

func newXMLReader(r io.Reader, lim Limits, elem string, alreadyUTF8 bool) *xmlReader {
	if elem == "" {
		elem = "title"
	}
	x := &xmlReader{elem: elem, lim: lim}
	x.win = &windowReader{r: r, max: lim.MaxRowBytes + sniffBytes, what: "record size in bytes", row: func() int { return x.rec + 1 }}
	x.dec = xml.NewDecoder(x.win)
	x.dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		l := strings.ToLower(label)
		if alreadyUTF8 || strings.HasPrefix(l, "utf-16") || l == "utf-8" {
			return in, nil
		}
		enc, err := htmlindex.Get(l)
		if err != nil {
			return nil, &FormatError{Reason: fmt.Sprintf("unknown XML encoding %q", label)}
		}
		return enc.NewDecoder().Reader(in), nil
	}
	return x
}

type xmlNode struct {
	attrs    []xml.Attr
	text     strings.Builder
	children []*xmlNode
	names    []string
}

func (x *xmlReader) Next() (Row, error) {
	for len(x.pending) == 0 {
		tok, err := x.dec.Token()
		if err == io.EOF {
			if x.rec == 0 {
				return Row{}, &FormatError{Reason: fmt.Sprintf("no <%s> record elements found", x.elem)}
			}
			return Row{}, io.EOF
		}
		if err != nil {
			return Row{}, x.fail(err, x.rec+1)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != x.elem {
			continue
		}
		x.rec++
		x.win.mark()
		node, err := x.readNode(se, 0)
		if err != nil {
			return Row{}, x.fail(err, x.rec)
		}
		x.pending = flattenRecord(node.toMap(), x.rec)
	}
	r := x.pending[0]
	x.pending = x.pending[1:]
	x.rows++
	if x.lim.MaxRows > 0 && x.rows > x.lim.MaxRows {
		return Row{}, &LimitError{What: "number of rows", Limit: int64(x.lim.MaxRows), Row: r.Num}
	}
	return r, nil
}

func (x *xmlReader) fail(err error, rec int) error {
	if x.win.readErr(err) {
		return err
	}
	err = xmlErr(err, rec)
	if !IsFileError(err) {
		return &FormatError{Row: rec, Reason: "invalid XML: " + err.Error()}
	}
	return err
}

func xmlErr(err error, rec int) error {
	var le *LimitError
	var fe *FormatError
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &le), errors.As(err, &fe):
		return err
	case errors.As(err, &se):
		return &FormatError{Row: rec, Reason: fmt.Sprintf("invalid XML on line %d: %s", se.Line, se.Msg)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &FormatError{Row: rec, Reason: "the XML ends inside a record (truncated file?)"}
	}
	return err
}

func (x *xmlReader) readNode(se xml.StartElement, depth int) (*xmlNode, error) {
	if depth > 32 {
		return nil, &FormatError{Row: x.rec, Reason: "XML nested deeper than 32 levels"}
	}
	n := &xmlNode{attrs: se.Attr}
	for {
		tok, err := x.dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			c, err := x.readNode(t, depth+1)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
			n.names = append(n.names, t.Name.Local)
		case xml.CharData:
			n.text.Write(t)
		case xml.EndElement:
			return n, nil
		}
	}
}

// toMap converts a record node into the JSON-like shape flattenRecord takes.
func (n *xmlNode) toMap() map[string]any {
	m := map[string]any{}
	for _, a := range n.attrs {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
			continue
		}
		m[a.Name.Local] = a.Value
	}
	for i, c := range n.children {
		var v any
		if len(c.children) == 0 && len(c.attrs) == 0 {
			v = strings.TrimSpace(c.text.String())
		} else {
			cm := c.toMap()
			if t := strings.TrimSpace(c.text.String()); t != "" {
				cm["_"] = t
			}
			v = cm
		}
		name := n.names[i]
		switch prev := m[name].(type) {
		case nil:
			m[name] = v
		case []any:
			m[name] = append(prev, v)
		default:
			m[name] = []any{prev, v}
		}
	}
	return m
}

func (x *xmlReader) Close() error { return nil }
