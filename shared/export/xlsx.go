package export

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// sheetName is the one worksheet of an XLSX export.
const sheetName = "export"

// maxCellUnits is Excel's limit on a cell's text, in UTF-16 code units.
// excelize truncates longer text itself; the writer truncates first, on a
// character boundary, so the contract is ours and testable.
const maxCellUnits = excelize.TotalCellChars

// xlsxWriter streams rows into excelize's StreamWriter. Every cell is written
// as an inline string (t="inlineStr"), never as a formula: StreamWriter only
// writes a formula for an excelize.Cell value with Formula set, which this
// writer never builds.
//
// Memory: StreamWriter keeps the sheet's XML in a bytes.Buffer until it
// reaches excelize.StreamChunkSize (16 MiB), then moves it to a temporary
// file (os.CreateTemp in the default temp dir) and keeps appending there; so
// the heap holds at most about that buffer (its backing array can reach twice
// the chunk while growing) whatever the row count, and the disk holds the
// uncompressed sheet. (If the temp file cannot be created, excelize silently
// keeps everything in memory.) excelize's File.Write, however, builds the
// whole zip in a bytes.Buffer before copying it out, which is linear in the
// export's compressed size; Close avoids that by handing excelize a zip writer
// aimed directly at the destination (File.SetZipWriter), so the archive is
// compressed onto the destination as it is produced. Close checks that
// nothing was written to the bypassed buffer, so an excelize change that
// broke this would fail loudly (and the round-trip tests would fail).
type xlsxWriter struct {
	dst    io.Writer
	file   *excelize.File
	stream *excelize.StreamWriter
	row    int
	header bool
	closed bool
	bold   int
	values []any
}

func newXLSXWriter(w io.Writer) (_ *xlsxWriter, err error) {
	f := excelize.NewFile()
	defer func() {
		if err != nil {
			_ = f.Close()
			err = fmt.Errorf("export.NewWriter(xlsx): %w", err)
		}
	}()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return nil, err
	}
	return &xlsxWriter{dst: w, file: f, stream: sw, bold: bold}, nil
}

// WriteHeader writes a bold first row and freezes it, so it stays in view
// while scrolling.
func (x *xlsxWriter) WriteHeader(cols []string) error {
	if x.header || x.row > 0 {
		return errState("WriteHeader", "the header must come first, once")
	}
	x.header = true
	// Panes must be set before the first row (StreamWriter writes them in
	// the sheet's head).
	if err := x.stream.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return fmt.Errorf("export: freezing the header: %w", err)
	}
	return x.write(cols, excelize.RowOpts{StyleID: x.bold})
}

func (x *xlsxWriter) WriteRow(cells []string) error {
	return x.write(cells)
}

func (x *xlsxWriter) write(cells []string, opts ...excelize.RowOpts) error {
	if x.closed {
		return errState("write", "writer closed")
	}
	if x.row >= excelize.TotalRows {
		return fmt.Errorf("export: more than %d rows, the XLSX sheet limit", excelize.TotalRows)
	}
	if len(cells) > excelize.MaxColumns {
		return fmt.Errorf("export: %d cells in a row, over the XLSX limit of %d", len(cells), excelize.MaxColumns)
	}
	x.row++
	x.values = x.values[:0]
	for _, c := range cells {
		x.values = append(x.values, xlsxText(c))
	}
	ref, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	if err := x.stream.SetRow(ref, x.values, opts...); err != nil {
		return fmt.Errorf("export: writing row %d: %w", x.row, err)
	}
	return nil
}

// xlsxText is the text of a cell as the XLSX file carries it: normalised,
// stripped of what XML 1.0 cannot carry, neutralised, then truncated to
// Excel's cell limit.
func xlsxText(cell string) string {
	s := Neutralise(xmlSafe(normalise(cell)))
	return truncateUTF16(s, maxCellUnits)
}

// xmlSafe replaces the characters XML 1.0 forbids (C0 controls other than
// tab, LF and CR; U+FFFE and U+FFFF) with U+FFFD. encoding/xml would do the
// same when excelize escapes the text, and a reader could not get them back
// either way; doing it here keeps the written value equal to what is read.
// NUL is among them: a leading NUL becomes U+FFFD before Neutralise, so such
// a cell is not prefixed (U+FFFD is no formula trigger).
func xmlSafe(s string) string {
	ok := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != 0xFFFE && r != 0xFFFF)
	}
	clean := true
	for _, r := range s {
		if !ok(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if ok(r) {
			return r
		}
		return utf8.RuneError
	}, s)
}

// truncateUTF16 cuts s to at most max UTF-16 code units, on a character
// boundary.
func truncateUTF16(s string, max int) string {
	if len(s) <= max { // each byte is at most one UTF-16 unit
		return s
	}
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > max {
			return s[:i]
		}
	}
	return s
}

// errWroteOutside is returned if excelize wrote to the buffer that Close
// bypasses (see xlsxWriter).
var errWroteOutside = errors.New("export: excelize wrote the workbook outside the redirected zip writer")

type mustStayEmpty struct{}

func (mustStayEmpty) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return 0, errWroteOutside
}

// Close finishes the sheet and writes the workbook to the destination, then
// removes excelize's temporary file.
func (x *xlsxWriter) Close() (err error) {
	if x.closed {
		return nil
	}
	x.closed = true
	defer func() {
		if cerr := x.file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("export: removing temporary files: %w", cerr)
		}
	}()
	if err := x.stream.Flush(); err != nil {
		return fmt.Errorf("export: finishing the sheet: %w", err)
	}
	var zw *zip.Writer
	x.file.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw = zip.NewWriter(x.dst)
		return zw
	})
	if err := x.file.Write(mustStayEmpty{}); err != nil {
		return fmt.Errorf("export: writing the workbook: %w", err)
	}
	if zw == nil {
		return errWroteOutside
	}
	return nil
}
