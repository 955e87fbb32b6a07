package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Delimiters the CSV sniffer chooses from, in tie-break order.
var Delimiters = []byte{';', ',', '\t', '|'}

// csvReader is a streaming RFC 4180 reader. Unlike encoding/csv it bounds a
// record while reading it (an unterminated quote cannot swallow the file),
// reports the line a record starts on, and is lenient the way supplier
// exports need: a quote inside an unquoted field, or text after a closing
// quote, is kept literally.
type csvReader struct {
	br      *bufio.Reader
	delim   byte
	line    int
	maxRow  int
	maxRows int
	rows    int
	header  []string
	field   []byte
	ends    []int
	long    []byte
	fields  []string
	eof     bool
}

func newCSVReader(r io.Reader, delim byte, lim Limits) (*csvReader, error) {
	c := &csvReader{br: bufio.NewReaderSize(r, 64<<10), delim: delim, maxRow: lim.MaxRowBytes, maxRows: lim.MaxRows}
	for {
		rec, _, err := c.record()
		if err == io.EOF {
			return nil, &FormatError{Reason: "file is empty: no header row"}
		}
		if err != nil {
			return nil, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		c.header = make([]string, len(rec))
		for i, h := range rec {
			c.header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		}
		return c, nil
	}
}

// sniffDelimiter picks the delimiter whose count per record (outside quotes)
// is highest on the header and most consistent over the first records.
func sniffDelimiter(sample []byte) byte {
	best, bestScore := byte(','), -1.0
	for _, d := range Delimiters {
		counts := recordCounts(sample, d, 20)
		if len(counts) == 0 || counts[0] == 0 {
			continue
		}
		same := 0
		for _, c := range counts {
			if c == counts[0] {
				same++
			}
		}
		score := float64(counts[0]) * float64(same) / float64(len(counts))
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// recordCounts counts d outside quotes per complete record, for up to n records.
func recordCounts(b []byte, d byte, n int) []int {
	var counts []int
	inQ, cur := false, 0
	for i := 0; i < len(b) && len(counts) < n; i++ {
		switch c := b[i]; {
		case c == '"':
			inQ = !inQ
		case inQ:
		case c == d:
			cur++
		case c == '\n':
			counts = append(counts, cur)
			cur = 0
		}
	}
	if len(counts) == 0 {
		counts = append(counts, cur)
	}
	return counts
}

// readLine returns the next physical line including its '\n', bounded by maxRow.
func (c *csvReader) readLine(start int) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	c.long = append(c.long[:0], line...)
	for err == bufio.ErrBufferFull {
		if c.maxRow > 0 && len(c.long) > c.maxRow {
			return nil, &LimitError{What: "row length in bytes", Limit: int64(c.maxRow), Row: start}
		}
		line, err = c.br.ReadSlice('\n')
		c.long = append(c.long, line...)
	}
	return c.long, err
}

// record reads one record; start is the line it starts on.
func (c *csvReader) record() ([]string, int, error) {
	if c.eof {
		return nil, 0, io.EOF
	}
	c.fields = c.fields[:0]
	c.field = c.field[:0]
	c.ends = c.ends[:0]
	start := c.line + 1
	inQ, atStart, size := false, true, 0
	for {
		line, err := c.readLine(start)
		if err != nil && err != io.EOF {
			return nil, start, err
		}
		if len(line) > 0 {
			c.line++
		}
		size += len(line)
		if c.maxRow > 0 && size > c.maxRow {
			return nil, start, &LimitError{What: "row length in bytes", Limit: int64(c.maxRow), Row: start}
		}
		if err == io.EOF {
			c.eof = true
			if len(line) == 0 && size == 0 {
				return nil, start, io.EOF
			}
		}
		for i := 0; i < len(line); i++ {
			b := line[i]
			if inQ {
				if b == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						c.field = append(c.field, '"')
						i++
						continue
					}
					inQ = false
					continue
				}
				if b == '\r' && i+1 < len(line) && line[i+1] == '\n' {
					continue
				}
				c.field = append(c.field, b)
				continue
			}
			switch {
			case b == c.delim:
				c.ends = append(c.ends, len(c.field))
				atStart = true
				continue
			case b == '\n':
				return c.split(), start, nil
			case b == '\r' && (i+1 == len(line) || line[i+1] == '\n'):
				continue
			case b == '"' && atStart:
				inQ, atStart = true, false
				continue
			}
			atStart = false
			c.field = append(c.field, b)
		}
		if c.eof {
			if inQ {
				return nil, start, &FormatError{Row: start, Reason: "a quoted field is never closed: check for a missing \" (double quote)"}
			}
			return c.split(), start, nil
		}
	}
}

// split turns the record's bytes into fields with one string allocation.
func (c *csvReader) split() []string {
	c.ends = append(c.ends, len(c.field))
	s := string(c.field)
	from := 0
	for _, end := range c.ends {
		c.fields = append(c.fields, s[from:end])
		from = end
	}
	return c.fields
}

func (c *csvReader) Next() (Row, error) {
	for {
		rec, start, err := c.record()
		if err != nil {
			return Row{}, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		c.rows++
		if c.maxRows > 0 && c.rows > c.maxRows {
			return Row{}, &LimitError{What: "number of rows", Limit: int64(c.maxRows), Row: start}
		}
		vals := make([]string, len(rec))
		copy(vals, rec)
		return Row{Num: start, Names: c.header, Values: vals}, nil
	}
}

func (c *csvReader) Close() error { return nil }

func delimName(d byte) string {
	switch d {
	case '\t':
		return "tab"
	case 0:
		return ""
	}
	return string(d)
}

func parseDelimiter(s string) (byte, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "tab", "\\t", "\t":
		return '\t', nil
	}
	if len(s) == 1 && bytes.IndexByte(Delimiters, s[0]) >= 0 {
		return s[0], nil
	}
	return 0, fmt.Errorf("delimiter %q: must be one of , ; | tab", s)
}
