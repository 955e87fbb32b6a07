package ingest

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxReader streams the rows of one worksheet with excelize's Rows iterator.
//
// XLSX is a zip file whose directory sits at the end, so it cannot be read
// from a forward-only stream such as a blob download: Open spools it to a
// temporary file (on disk, not in memory; MaxFileBytes still applies while
// copying) that Close removes. Before excelize opens it, the zip directory is
// checked: total decompressed size ≤ MaxXLSXBytes and decompressed/compressed
// ≤ MaxXLSXRatio, so a zip bomb is rejected before one entry is inflated.
// excelize enforces the same total (UnzipSizeLimit) while reading, keeps a
// worksheet larger than 16 MiB in a temporary file rather than in memory,
// and holds the shared-strings table in memory (bounded by MaxXLSXBytes).
// Cells are read raw (Row.Machine): numbers with a '.' decimal point, dates
// as Excel serial numbers.
type xlsxReader struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	num    int
	count  int
	lim    Limits
	tmp    string
}

const xlsxXMLInMemory = 16 << 20

func newXLSXReader(r io.Reader, lim Limits, sheet string) (_ *xlsxReader, err error) {
	x := &xlsxReader{lim: lim}
	defer func() {
		if err != nil {
			_ = x.Close()
		}
	}()
	var file *os.File
	if f, ok := r.(*os.File); ok {
		file = f
	} else {
		tmp, err := os.CreateTemp("", "ingest-*.xlsx")
		if err != nil {
			return nil, fmt.Errorf("ingest: spool xlsx: %w", err)
		}
		x.tmp = tmp.Name()
		if _, err := io.Copy(tmp, r); err != nil {
			_ = tmp.Close()
			return nil, err
		}
		file = tmp
		defer tmp.Close()
	}
	st, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("ingest: stat xlsx: %w", err)
	}
	if err := checkZip(file, st.Size(), lim); err != nil {
		return nil, err
	}
	x.f, err = excelize.OpenFile(file.Name(), excelize.Options{UnzipSizeLimit: max(lim.MaxXLSXBytes, xlsxXMLInMemory), UnzipXMLSizeLimit: xlsxXMLInMemory})
	if err != nil {
		return nil, &FormatError{Reason: "cannot open the XLSX workbook: " + err.Error()}
	}
	sheets := x.f.GetSheetList()
	if len(sheets) == 0 {
		return nil, &FormatError{Reason: "the workbook has no worksheet"}
	}
	if sheet == "" {
		sheet = sheets[0]
	}
	x.rows, err = x.f.Rows(sheet)
	if err != nil {
		return nil, &FormatError{Reason: fmt.Sprintf("worksheet %q: %v (sheets: %s)", sheet, err, strings.Join(sheets, ", "))}
	}
	for x.rows.Next() {
		x.num++
		cols, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, &FormatError{Row: x.num, Reason: err.Error()}
		}
		if len(strings.Join(cols, "")) == 0 {
			continue
		}
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		x.header = cols
		return x, nil
	}
	if err := x.rows.Error(); err != nil {
		return nil, &FormatError{Reason: err.Error()}
	}
	return nil, &FormatError{Reason: fmt.Sprintf("worksheet %q is empty: no header row", sheet)}
}

// checkZip rejects an archive whose directory announces too much data.
func checkZip(ra io.ReaderAt, size int64, lim Limits) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return &FormatError{Reason: "not an XLSX (zip) file: " + err.Error()}
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if lim.MaxXLSXBytes > 0 && total > uint64(lim.MaxXLSXBytes) {
			return &LimitError{What: "XLSX decompressed size in bytes", Limit: lim.MaxXLSXBytes, Got: int64(min(total, 1<<62))}
		}
	}
	if lim.MaxXLSXRatio > 0 && size > 0 && float64(total)/float64(size) > lim.MaxXLSXRatio {
		return &LimitError{What: "XLSX compression ratio", Limit: int64(lim.MaxXLSXRatio), Got: int64(float64(total) / float64(size))}
	}
	return nil
}

func (x *xlsxReader) Next() (Row, error) {
	for x.rows.Next() {
		x.num++
		cols, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return Row{}, &FormatError{Row: x.num, Reason: err.Error()}
		}
		empty := true
		for _, c := range cols {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		x.count++
		if x.lim.MaxRows > 0 && x.count > x.lim.MaxRows {
			return Row{}, &LimitError{What: "number of rows", Limit: int64(x.lim.MaxRows), Row: x.num}
		}
		if x.lim.MaxRowBytes > 0 && len(strings.Join(cols, "")) > x.lim.MaxRowBytes {
			return Row{}, &LimitError{What: "row length in bytes", Limit: int64(x.lim.MaxRowBytes), Row: x.num}
		}
		return Row{Num: x.num, Names: x.header, Values: cols, Machine: true}, nil
	}
	if err := x.rows.Error(); err != nil {
		return Row{}, &FormatError{Row: x.num, Reason: err.Error()}
	}
	return Row{}, io.EOF
}

func (x *xlsxReader) Close() error {
	if x.rows != nil {
		_ = x.rows.Close()
	}
	if x.f != nil {
		_ = x.f.Close()
	}
	if x.tmp != "" {
		return os.Remove(x.tmp)
	}
	return nil
}
