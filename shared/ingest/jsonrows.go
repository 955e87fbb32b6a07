package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonReader streams the elements of a top-level JSON array with
// json.Decoder tokens: one element is decoded at a time, bounded by
// MaxRowBytes through a windowReader. Each element must be an object.
type jsonReader struct {
	dec     *json.Decoder
	win     *windowReader
	pending []Row
	rec     int
	rows    int
	lim     Limits
	done    bool
}

func newJSONReader(r io.Reader, lim Limits) (*jsonReader, error) {
	j := &jsonReader{lim: lim}
	j.win = &windowReader{r: r, max: lim.MaxRowBytes + sniffBytes, what: "record size in bytes", row: func() int { return j.rec + 1 }}
	j.dec = json.NewDecoder(j.win)
	j.dec.UseNumber()
	tok, err := j.dec.Token()
	if err != nil {
		return nil, j.fail(err, 0)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, &FormatError{Reason: "a JSON file must be an array of objects [ {...}, {...} ] or NDJSON (one object per line)"}
	}
	return j, nil
}

func (j *jsonReader) fail(err error, rec int) error {
	if j.win.readErr(err) {
		return err
	}
	err = jsonErr(err, rec)
	if !IsFileError(err) {
		return &FormatError{Row: rec, Reason: "invalid JSON: " + err.Error()}
	}
	return err
}

func jsonErr(err error, rec int) error {
	var le *LimitError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &le):
		return err
	case errors.As(err, &se):
		return &FormatError{Row: rec, Reason: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)}
	case errors.As(err, &te):
		return &FormatError{Row: rec, Reason: "each record must be a JSON object {...}, got " + te.Value}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &FormatError{Row: rec, Reason: "the JSON ends in the middle of a value (truncated file?)"}
	}
	return err
}

func (j *jsonReader) Next() (Row, error) {
	for len(j.pending) == 0 {
		if j.done {
			return Row{}, io.EOF
		}
		if !j.dec.More() {
			j.done = true
			if _, err := j.dec.Token(); err != nil {
				return Row{}, j.fail(err, j.rec)
			}
			if _, err := j.dec.Token(); err != io.EOF {
				return Row{}, &FormatError{Reason: "unexpected data after the closing ] of the JSON array"}
			}
			return Row{}, io.EOF
		}
		j.rec++
		j.win.mark()
		var m map[string]any
		if err := j.dec.Decode(&m); err != nil {
			return Row{}, j.fail(err, j.rec)
		}
		j.pending = flattenRecord(m, j.rec)
	}
	r := j.pending[0]
	j.pending = j.pending[1:]
	j.rows++
	if j.lim.MaxRows > 0 && j.rows > j.lim.MaxRows {
		return Row{}, &LimitError{What: "number of rows", Limit: int64(j.lim.MaxRows), Row: r.Num}
	}
	return r, nil
}

func (j *jsonReader) Close() error { return nil }

// ndjsonReader reads one JSON object per line.
type ndjsonReader struct {
	csv     *csvReader // only for its bounded readLine
	pending []Row
	rows    int
	lim     Limits
}

func newNDJSONReader(r io.Reader, lim Limits) *ndjsonReader {
	return &ndjsonReader{csv: &csvReader{br: bufio.NewReaderSize(r, 64<<10), maxRow: lim.MaxRowBytes}, lim: lim}
}

func (n *ndjsonReader) Next() (Row, error) {
	for len(n.pending) == 0 {
		line, err := n.csv.readLine(n.csv.line + 1)
		if err != nil && err != io.EOF {
			return Row{}, err
		}
		if len(line) == 0 && err == io.EOF {
			return Row{}, io.EOF
		}
		n.csv.line++
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if n.lim.MaxRowBytes > 0 && len(line) > n.lim.MaxRowBytes {
			return Row{}, &LimitError{What: "row length in bytes", Limit: int64(n.lim.MaxRowBytes), Row: n.csv.line}
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			// A bad line is that row's problem, not the file's.
			return Row{Num: n.csv.line, Names: []string{""}, Values: []string{""}}, &rowError{Row: n.csv.line, Reason: "not a JSON object: " + jsonErr(err, 0).Error()}
		}
		if dec.More() {
			return Row{Num: n.csv.line}, &rowError{Row: n.csv.line, Reason: "more than one JSON value on the line"}
		}
		n.pending = flattenRecord(m, n.csv.line)
	}
	r := n.pending[0]
	n.pending = n.pending[1:]
	n.rows++
	if n.lim.MaxRows > 0 && n.rows > n.lim.MaxRows {
		return Row{}, &LimitError{What: "number of rows", Limit: int64(n.lim.MaxRows), Row: r.Num}
	}
	return r, nil
}

func (n *ndjsonReader) Close() error { return nil }

// rowError is a RowReader error that rejects one row and lets reading go on.
type rowError struct {
	Row    int
	Reason string
}

func (e *rowError) Error() string { return fmt.Sprintf("row %d: %s", e.Row, e.Reason) }
