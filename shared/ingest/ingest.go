// Package ingest turns supplier files into catalogue titles. It is the pure
// part of the ingestion pipeline: no Cosmos, no Blob Storage.
//
//   - Formats (Open): CSV/TSV with delimiter sniffing, JSON array, NDJSON, XML
//     and XLSX, all read row by row from an io.Reader so memory does not grow
//     with the file (XLSX needs random access: see openXLSX).
//   - Encodings (decodeText): UTF-8 with or without BOM, UTF-16 with BOM,
//     Windows-1252 and ISO-8859-15, converted to UTF-8 with golang.org/x/text.
//   - Profiles (profiles/*.json, embedded): declarative column → field mappings.
//   - Normalisation (normalize.go): text, countries, NUTS regions, languages,
//     e-mail, phone (E.164), URLs, numbers, dates, units, currencies.
//   - Parse: stream + profile → validated titles and a Report with one
//     RowError per rejected row.
package ingest

import (
	"errors"
	"fmt"
	"io"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Row is one data row of a supplier file. Names and Values are parallel
// (Names may be shared between rows and must not be modified).
type Row struct {
	// Num is what a supplier sees: the line where a CSV record starts, the
	// sheet row for XLSX, the 1-based record index for JSON, NDJSON and XML.
	Num    int
	Names  []string
	Values []string
	// Machine is true when values are machine-formatted (XLSX raw cells:
	// "1234.5", dates as Excel serial numbers) whatever the profile says.
	Machine bool
}

// RowReader iterates over the data rows of one file.
type RowReader interface {
	// Next returns the next row, io.EOF after the last one, or an error that
	// ends the file (malformed structure, a limit, an I/O error).
	Next() (Row, error)
	// Close releases resources (XLSX temporary files).
	Close() error
}

// Format is a supplier file format.
type Format string

// Formats.
const (
	FormatCSV    Format = "csv"
	FormatTSV    Format = "tsv"
	FormatJSON   Format = "json"
	FormatNDJSON Format = "ndjson"
	FormatXML    Format = "xml"
	FormatXLSX   Format = "xlsx"
)

// Formats lists every supported format.
var Formats = []Format{FormatCSV, FormatTSV, FormatJSON, FormatNDJSON, FormatXML, FormatXLSX}

// Limits bound what one file may cost. Each is rejected as early as the
// format allows, with a LimitError.
type Limits struct {
	// MaxFileBytes bounds the (compressed) file size: checked against
	// Source.Size before reading and while reading.
	MaxFileBytes int64 `json:"maxFileBytes"`
	// MaxRowBytes bounds one record: a CSV record, NDJSON line, JSON array
	// element or XML record element.
	MaxRowBytes int `json:"maxRowBytes"`
	// MaxRows bounds the number of data rows.
	MaxRows int `json:"maxRows"`
	// MaxXLSXBytes bounds the total decompressed size of an XLSX file,
	// checked from the zip directory before any entry is read.
	MaxXLSXBytes int64 `json:"maxXlsxBytes"`
	// MaxXLSXRatio bounds decompressed/compressed size (zip bombs).
	MaxXLSXRatio float64 `json:"maxXlsxRatio"`
	// MaxReportErrors bounds how many RowErrors a Report keeps (all are counted).
	MaxReportErrors int `json:"maxReportErrors"`
}

// DefaultLimits fit the function's 10-minute timeout and 1.5 GB memory.
var DefaultLimits = Limits{
	MaxFileBytes:    512 << 20,
	MaxRowBytes:     1 << 20,
	MaxRows:         2_000_000,
	MaxXLSXBytes:    1 << 30,
	MaxXLSXRatio:    100,
	MaxReportErrors: 10_000,
}

// LimitError reports an exceeded limit. It is an apperr.InvalidArgument: the
// file is rejected, not retried.
type LimitError struct {
	What  string
	Limit int64
	Got   int64 // 0 when unknown
	Row   int   // 0 when not about one row
}

func (e *LimitError) Error() string {
	s := fmt.Sprintf("%s over the limit of %d", e.What, e.Limit)
	if e.Got > 0 {
		s = fmt.Sprintf("%s is %d, over the limit of %d", e.What, e.Got, e.Limit)
	}
	if e.Row > 0 {
		s = fmt.Sprintf("row %d: %s", e.Row, s)
	}
	return s
}

// Unwrap classifies a LimitError as apperr.InvalidArgument.
func (e *LimitError) Unwrap() error { return apperr.InvalidArgument }

// FormatError is a malformed file: the structure cannot be read further.
type FormatError struct {
	Row    int
	Reason string
}

func (e *FormatError) Error() string {
	if e.Row > 0 {
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return e.Reason
}

// Unwrap classifies a FormatError as apperr.InvalidArgument.
func (e *FormatError) Unwrap() error { return apperr.InvalidArgument }

// IsFileError reports whether err is the supplier's fault (a bad file, to
// report and move to rejected/) rather than an I/O failure to retry.
func IsFileError(err error) bool { return errors.Is(err, apperr.InvalidArgument) }

// countingReader enforces MaxFileBytes and counts bytes read.
type countingReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.max > 0 && c.n > c.max {
		return n, &LimitError{What: "file size", Limit: c.max}
	}
	return n, err
}

// windowReader lets a record decoder read at most max bytes since the last
// mark, so a single huge JSON value or XML element fails early instead of
// being buffered whole.
type windowReader struct {
	r    io.Reader
	n    int
	max  int
	row  func() int
	what string
	err  error
}

func (w *windowReader) mark() { w.n = 0 }

func (w *windowReader) Read(p []byte) (int, error) {
	if w.n > w.max {
		return 0, &LimitError{What: w.what, Limit: int64(w.max), Row: w.row()}
	}
	if len(p) > 32<<10 {
		p = p[:32<<10]
	}
	n, err := w.r.Read(p)
	w.n += n
	if err != nil && err != io.EOF {
		w.err = err
	}
	return n, err
}

// readErr reports whether err is (or wraps) a read error of the source, as
// opposed to a decoding error.
func (w *windowReader) readErr(err error) bool { return w.err != nil && errors.Is(err, w.err) }
