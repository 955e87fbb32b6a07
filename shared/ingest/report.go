package ingest

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// Verdict is the outcome of a whole file.
type Verdict string

// Verdicts.
const (
	// Accepted: every row became part of a valid title.
	Accepted Verdict = "accepted"
	// AcceptedWithRejections: some rows were rejected (see Report.Errors),
	// the others were imported.
	AcceptedWithRejections Verdict = "accepted_with_rejections"
	// Rejected: the file could not be read (Report.FileError) or no row was
	// valid. Titles emitted before a mid-file error are counted in
	// Report.Titles: they were valid and may have been written.
	Rejected Verdict = "rejected"
)

// RowError is one rejected row, written for the supplier.
type RowError struct {
	// Row is Row.Num: the line (CSV), sheet row (XLSX) or record (JSON, XML).
	Row int `json:"row"`
	// Key is the title key of the row, when known.
	Key string `json:"key,omitempty"`
	// Column is the supplier's column name (or the model path when a rule
	// spans columns).
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// Report is what a supplier reads about one file. It is JSON-serialisable;
// WriteRejectedCSV writes its errors as a spreadsheet.
type Report struct {
	File      string  `json:"file"`
	Supplier  string  `json:"supplier"`
	Profile   string  `json:"profile"`
	Format    Format  `json:"format,omitempty"`
	Encoding  string  `json:"encoding,omitempty"`
	Delimiter string  `json:"delimiter,omitempty"`
	Verdict   Verdict `json:"verdict"`
	// FileError is why the whole file (or its rest) was rejected.
	FileError string `json:"fileError,omitempty"`
	// Rows counts data rows read; AcceptedRows + RejectedRows = Rows.
	Rows         int `json:"rows"`
	AcceptedRows int `json:"acceptedRows"`
	RejectedRows int `json:"rejectedRows"`
	// Titles counts valid titles emitted; RejectedTitles invalid ones.
	Titles         int `json:"titles"`
	RejectedTitles int `json:"rejectedTitles"`
	// Errors holds the first Limits.MaxReportErrors errors; ErrorCount all.
	Errors     []RowError `json:"errors"`
	ErrorCount int        `json:"errorCount"`
	// Warnings are file-level remarks (ignored columns, …).
	Warnings   []string  `json:"warnings,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`

	maxErrors int
}

func (r *Report) addError(e RowError) {
	r.ErrorCount++
	if r.maxErrors <= 0 || len(r.Errors) < r.maxErrors {
		// Kept until the end of the file: copies, not slices of the row
		// (a CSV record is one string that a slice would keep alive).
		e.Key, e.Column, e.Value = strings.Clone(e.Key), strings.Clone(e.Column), strings.Clone(e.Value)
		r.Errors = append(r.Errors, e)
	}
}

func (r *Report) warn(s string) {
	if len(r.Warnings) < 100 {
		r.Warnings = append(r.Warnings, s)
	}
}

func (r *Report) finish() {
	switch {
	case r.FileError != "":
		r.Verdict = Rejected
	case r.AcceptedRows == 0:
		r.Verdict = Rejected
		if r.Rows == 0 {
			r.FileError = "the file has no data rows"
		} else {
			r.FileError = "no row could be imported: see errors"
		}
	case r.RejectedRows > 0:
		r.Verdict = AcceptedWithRejections
	default:
		r.Verdict = Accepted
	}
	if r.Errors == nil {
		r.Errors = []RowError{}
	}
}

// WriteRejectedCSV writes the report's row errors as CSV (UTF-8 with BOM and
// ';' so Excel in Belgian and French locales opens it with accents intact):
// row;key;column;value;reason. A file-level error is one line with row 0.
func WriteRejectedCSV(w io.Writer, r *Report) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	_ = cw.Write([]string{"row", "key", "column", "value", "reason"})
	if r.FileError != "" {
		_ = cw.Write([]string{"0", "", "", "", r.FileError})
	}
	for _, e := range r.Errors {
		_ = cw.Write([]string{strconv.Itoa(e.Row), e.Key, e.Column, e.Value, e.Reason})
	}
	cw.Flush()
	return cw.Error()
}
