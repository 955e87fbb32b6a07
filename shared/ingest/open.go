package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
)

// Source is one supplier file.
type Source struct {
	// Supplier is the drop folder name: supplier-drop/<supplier>/<file>.
	Supplier string
	// Name is the file name; its extension selects the format unless the
	// profile forces one.
	Name string
	R    io.Reader
	// Size is the file size when known (blob properties), else -1: a known
	// size over Limits.MaxFileBytes is rejected before reading.
	Size int64
}

// Opened describes what Open detected.
type Opened struct {
	Format    Format `json:"format"`
	Encoding  string `json:"encoding,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
}

// FormatFor returns the format of a file name by extension ("" if unknown).
func FormatFor(name string) Format {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv", ".txt":
		return FormatCSV
	case ".tsv", ".tab":
		return FormatTSV
	case ".json":
		return FormatJSON
	case ".ndjson", ".jsonl":
		return FormatNDJSON
	case ".xml":
		return FormatXML
	case ".xlsx", ".xlsm":
		return FormatXLSX
	}
	return ""
}

// Open returns a RowReader for src. The format comes from the profile, else
// the file extension, else the first bytes (PK → XLSX, < → XML, [ → JSON,
// { → NDJSON, anything else CSV). The reader wraps src.R with the file-size
// limit; Close it when done.
func Open(src Source, p *Profile, lim Limits) (RowReader, Opened, error) {
	var info Opened
	if lim.MaxFileBytes > 0 && src.Size > lim.MaxFileBytes {
		return nil, info, &LimitError{What: "file size in bytes", Limit: lim.MaxFileBytes, Got: src.Size}
	}
	cr := &countingReader{r: src.R, max: lim.MaxFileBytes}
	br := bufio.NewReaderSize(cr, sniffBytes)
	format := Format(p.Format)
	if format == "" {
		format = FormatFor(src.Name)
	}
	if format == "" || format == FormatJSON {
		head, _ := br.Peek(512)
		trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
		switch {
		case bytes.HasPrefix(head, []byte("PK\x03\x04")):
			format = FormatXLSX
		case bytes.HasPrefix(trimmed, []byte("<")):
			format = FormatXML
		case bytes.HasPrefix(trimmed, []byte("[")):
			format = FormatJSON
		case bytes.HasPrefix(trimmed, []byte("{")):
			format = FormatNDJSON
		case format == "":
			format = FormatCSV
		}
	}
	info.Format = format
	switch format {
	case FormatXLSX:
		x, err := newXLSXReader(br, lim, p.Sheet)
		return x, info, err
	case FormatXML:
		head, _ := br.Peek(2)
		var r io.Reader = br
		utf16 := bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF})
		if utf16 {
			var err error
			if r, info.Encoding, err = decodeText(br, ""); err != nil {
				return nil, info, err
			}
		}
		return newXMLReader(r, lim, p.RecordElement, utf16), info, nil
	}
	text, enc, err := decodeText(br, p.Encoding)
	if err != nil {
		return nil, info, err
	}
	info.Encoding = enc
	switch format {
	case FormatJSON:
		j, err := newJSONReader(text, lim)
		return j, info, err
	case FormatNDJSON:
		return newNDJSONReader(text, lim), info, nil
	case FormatCSV, FormatTSV:
		tb := bufio.NewReaderSize(text, sniffBytes)
		delim, err := parseDelimiter(p.Delimiter)
		if err != nil {
			return nil, info, &FormatError{Reason: err.Error()}
		}
		if format == FormatTSV && delim == 0 {
			delim = '\t'
		}
		if delim == 0 {
			sample, _ := tb.Peek(sniffBytes)
			delim = sniffDelimiter(sample)
		}
		info.Delimiter = delimName(delim)
		c, err := newCSVReader(tb, delim, lim)
		return c, info, err
	}
	return nil, info, &FormatError{Reason: fmt.Sprintf("unsupported format %q (use csv, tsv, json, ndjson, xml or xlsx)", format)}
}
