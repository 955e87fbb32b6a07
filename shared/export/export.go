// Package export writes search results as spreadsheet files for the B2B
// export route: CSV (UTF-8 with a byte order mark, every field quoted) and
// XLSX (excelize's StreamWriter). Both writers stream rows with bounded
// memory, neutralise spreadsheet formula injection in every cell (Neutralise)
// and never write a formula.
//
// Cell text is normalised the same way in both formats before it is
// neutralised: invalid UTF-8 becomes U+FFFD and CR LF inside a cell becomes
// LF (a spreadsheet line break). XLSX additionally replaces the characters
// XML 1.0 cannot carry and truncates cells at Excel's limit of 32,767
// characters (UTF-16 units); see xlsx.go.
package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Format is an export file format, as named by the format request parameter.
type Format string

// The supported formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat reads the format request parameter (case-insensitive). An empty
// or unknown value is an *apperr.ParamError on "format", which the HTTP layer
// turns into a 400 problem naming the parameter.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX:
		return f, nil
	case "":
		return "", &apperr.ParamError{Param: "format", Reason: "required: csv or xlsx"}
	default:
		return "", &apperr.ParamError{Param: "format", Reason: fmt.Sprintf("csv or xlsx, got %q", s)}
	}
}

// ContentType is the media type of the response body.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/octet-stream"
}

// Extension is the file name extension, with its dot (".csv"), for
// Content-Disposition.
func (f Format) Extension() string {
	switch f {
	case CSV, XLSX:
		return "." + string(f)
	}
	return ""
}

// Writer writes one table. Call WriteHeader at most once, before any row;
// then WriteRow per row; then Close, which completes the file (for XLSX,
// Close is when the bytes are written, see NewWriter). Rows may have any
// number of cells. A Writer is not safe for concurrent use.
type Writer interface {
	WriteHeader(cols []string) error
	WriteRow(cells []string) error
	// Close completes the file and releases temporary storage. It does not
	// close the underlying io.Writer.
	Close() error
}

// NewWriter returns a Writer of format f onto w.
//
// CSV bytes reach w as rows are written (flushed every flushRows rows and
// passed on with w's Flush method when it has one, as http.ResponseWriter
// does), so a long export streams. XLSX is a zip archive whose sheet must be
// complete before it is packed: rows accumulate in excelize's buffer (in
// memory up to 16 MiB, then in a temporary file) and the archive is
// compressed straight onto w during Close, never held whole in memory.
func NewWriter(f Format, w io.Writer) (Writer, error) {
	switch f {
	case CSV:
		return newCSVWriter(w), nil
	case XLSX:
		return newXLSXWriter(w)
	}
	return nil, fmt.Errorf("export.NewWriter: unknown format %q", f)
}

// normalise is the cell text both formats start from: valid UTF-8, with
// CR LF line breaks as LF; CRs immediately before an LF are dropped, however
// many (encoding/csv, like spreadsheets, reads CR LF inside a cell as LF, so
// writing LF keeps the round trip exact). A CR elsewhere is kept.
func normalise(cell string) string {
	cell = strings.ToValidUTF8(cell, "\uFFFD")
	if !strings.Contains(cell, "\r\n") {
		return cell
	}
	var b strings.Builder
	b.Grow(len(cell))
	for i := 0; i < len(cell); i++ {
		if cell[i] == '\r' {
			j := i
			for j < len(cell) && cell[j] == '\r' {
				j++
			}
			if j == len(cell) || cell[j] != '\n' {
				b.WriteString(cell[i:j]) // CRs not ending a line are kept
			}
			i = j - 1 // the byte at j (LF or other) is written next
			continue
		}
		b.WriteByte(cell[i])
	}
	return b.String()
}

// errState reports a call in the wrong order.
func errState(op, why string) error { return fmt.Errorf("export: %s: %s", op, why) }
