package export

import (
	"bufio"
	"io"
	"strings"
)

// utf8BOM makes Excel read the file as UTF-8 (without it, Excel assumes the
// system's ANSI code page and mangles accented names).
const utf8BOM = "\uFEFF"

// flushRows is how many rows the CSV writer buffers before pushing them to
// the underlying writer and flushing it: small enough that a large export
// streams (a few tens of KiB per flush), large enough that flushes are rare.
const flushRows = 200

// csvWriter writes RFC 4180 CSV: comma separated, CRLF between records, and
// every field enclosed in double quotes with inner quotes doubled.
//
// encoding/csv's Writer quotes a field only when it contains the separator, a
// quote or a line break. That is not enough against formula injection: a
// field such as `a;=HYPERLINK(…)` carries no comma, so it is written bare, and
// Excel in a French or Belgian locale (whose list separator is ';') splits it
// and evaluates the second half as a formula (OWASP notes that separators must
// be taken care of as well). Quoting every field keeps each cell whole
// whatever separator the reader assumes, so this writer quotes
// unconditionally; encoding/csv's Reader parses the result exactly (tested).
type csvWriter struct {
	dst     io.Writer
	buf     *bufio.Writer
	rows    int
	started bool
	header  bool
	closed  bool
	unflush int
}

func newCSVWriter(w io.Writer) *csvWriter {
	return &csvWriter{dst: w, buf: bufio.NewWriterSize(w, 64<<10)}
}

func (c *csvWriter) WriteHeader(cols []string) error {
	if c.header || c.rows > 0 {
		return errState("WriteHeader", "the header must come first, once")
	}
	c.header = true
	return c.write(cols)
}

func (c *csvWriter) WriteRow(cells []string) error {
	c.rows++
	return c.write(cells)
}

func (c *csvWriter) write(cells []string) error {
	if c.closed {
		return errState("write", "writer closed")
	}
	if !c.started {
		c.started = true
		_, _ = c.buf.WriteString(utf8BOM)
	}
	for i, cell := range cells {
		if i > 0 {
			_ = c.buf.WriteByte(',')
		}
		_ = c.buf.WriteByte('"')
		_, _ = c.buf.WriteString(strings.ReplaceAll(Neutralise(normalise(cell)), `"`, `""`))
		_ = c.buf.WriteByte('"')
	}
	if _, err := c.buf.WriteString("\r\n"); err != nil {
		return err // bufio keeps the first write error of the underlying writer
	}
	c.unflush++
	if c.unflush >= flushRows {
		return c.flush()
	}
	return nil
}

// flush pushes buffered rows to dst and asks dst to send what it holds (an
// http.ResponseWriter buffers too), so the client receives rows as they come.
func (c *csvWriter) flush() error {
	c.unflush = 0
	if err := c.buf.Flush(); err != nil {
		return err
	}
	switch f := c.dst.(type) {
	case interface{ Flush() error }:
		return f.Flush()
	case interface{ Flush() }:
		f.Flush()
	}
	return nil
}

// Close writes what is buffered. An export with neither header nor rows is
// still a file: just the byte order mark.
func (c *csvWriter) Close() error {
	if c.closed {
		return nil
	}
	if !c.started {
		c.started = true
		_, _ = c.buf.WriteString(utf8BOM)
	}
	c.closed = true
	return c.flush()
}
