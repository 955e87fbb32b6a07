package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding names as reported and as accepted in a profile's "encoding".
const (
	EncUTF8      = "utf-8"
	EncUTF8BOM   = "utf-8-bom"
	EncUTF16LE   = "utf-16le"
	EncUTF16BE   = "utf-16be"
	EncWin1252   = "windows-1252"
	EncISO885915 = "iso-8859-15"
)

// sniffBytes is how much of a file the encoding and delimiter sniffers see.
const sniffBytes = 64 << 10

// decodeText detects the encoding of a text file and returns a UTF-8 reader
// without BOM. forced (from the profile) overrides detection except a BOM.
//
// Detection: a BOM decides (UTF-8, UTF-16LE, UTF-16BE; UTF-16 needs a BOM).
// Otherwise the first 64 KiB are examined: valid UTF-8 → UTF-8; bytes
// 0x80–0x9F (printable in Windows-1252, control codes in ISO-8859-15) →
// Windows-1252; else 0xA4 (€ in ISO-8859-15, ¤ in Windows-1252) →
// ISO-8859-15; else Windows-1252 (the two agree on every other byte the
// sample holds). A later invalid UTF-8 byte in a file detected as UTF-8 is
// reported on its row.
func decodeText(br *bufio.Reader, forced string) (io.Reader, string, error) {
	head, err := br.Peek(3)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, "", err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		return br, EncUTF8BOM, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), EncUTF16LE, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), EncUTF16BE, nil
	}
	name := strings.ToLower(forced)
	if name == "" {
		sample, err := br.Peek(sniffBytes)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, "", err
		}
		name = sniffEncoding(sample, len(sample) == sniffBytes)
	}
	enc, err := encodingFor(name)
	if err != nil {
		return nil, "", err
	}
	if enc == nil {
		return br, name, nil
	}
	return transform.NewReader(br, enc.NewDecoder()), name, nil
}

func sniffEncoding(sample []byte, truncated bool) string {
	if truncated {
		// Do not judge a rune cut by the end of the sample.
		for i := 0; i < utf8.UTFMax && len(sample) > 0 && !utf8.RuneStart(sample[len(sample)-1]); i++ {
			sample = sample[:len(sample)-1]
		}
		if len(sample) > 0 && !utf8.FullRune(sample[len(sample)-1:]) {
			sample = sample[:len(sample)-1]
		}
	}
	if utf8.Valid(sample) {
		return EncUTF8
	}
	for _, b := range sample {
		if b >= 0x80 && b <= 0x9F {
			return EncWin1252
		}
	}
	if bytes.IndexByte(sample, 0xA4) >= 0 {
		return EncISO885915
	}
	return EncWin1252
}

func encodingFor(name string) (encoding.Encoding, error) {
	switch name {
	case EncUTF8, "utf8", EncUTF8BOM:
		return nil, nil
	case EncWin1252, "cp1252", "windows1252":
		return charmap.Windows1252, nil
	case EncISO885915, "latin-9", "latin9", "iso885915":
		return charmap.ISO8859_15, nil
	case "iso-8859-1", "latin1", "latin-1":
		return charmap.ISO8859_1, nil
	case EncUTF16LE:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), nil
	case EncUTF16BE:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), nil
	}
	return nil, &FormatError{Reason: fmt.Sprintf("unknown encoding %q (use utf-8, utf-16le, utf-16be, windows-1252 or iso-8859-15)", name)}
}
