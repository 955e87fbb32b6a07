package export

import (
	"unicode"
	"unicode/utf8"
)

// Neutralise defuses spreadsheet formula injection (OWASP "CSV Injection",
// CWE-1236): a cell that a spreadsheet could read as a formula is prefixed
// with an apostrophe, which Excel, LibreOffice and Google Sheets take as
// "this is text". Other cells are returned unchanged.
//
// A cell is prefixed when
//   - its first byte is '=', '+', '-', '@', tab (0x09), CR (0x0D) or NUL
//     (0x00; ASVS 1.2.10 lists it with the others), or
//   - its first character that is not white space (unicode.IsSpace, which
//     includes LF, NBSP and the ideographic space) or an invisible format
//     character (Unicode Cf: zero-width space and joiners, BOM, bidi marks)
//     is one of those formula triggers or one of their full-width and small
//     forms: U+FF1D '＝', U+FF0B '＋', U+FF0D '－', U+FF20 '＠', U+FE66 '﹦',
//     U+FE62 '﹢', U+FE63 '﹣', U+FE6B '﹫', or U+2212 '−' (minus sign).
//
// The second rule is deliberately conservative. Whether a spreadsheet trims
// leading blanks before deciding that a cell is a formula depends on the
// program, its version, the import path (double-click versus the text import
// wizard, whose "trim spaces" option LibreOffice offers) and the IME (Excel
// with a Japanese or Chinese IME turns a typed full-width '＝' into '=').
// Rather than bet on today's behaviour of each, any cell whose first visible
// character is a trigger is treated as dangerous. The cost is an apostrophe
// on the rare legitimate cell such as "-5" or " +32 2 555 00 00" (phone
// numbers are stored in E.164 "+32…" form, so they are prefixed too): the
// value stays readable and exact, it is shown as text.
//
// The result never starts with a trigger, and Neutralise(Neutralise(s)) ==
// Neutralise(s): a prefixed cell starts with the apostrophe, which is not a
// trigger.
func Neutralise(cell string) string {
	if dangerous(cell) {
		return "'" + cell
	}
	return cell
}

func dangerous(cell string) bool {
	if cell == "" {
		return false
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r', 0:
		return true
	}
	for i := 0; i < len(cell); {
		r, size := utf8.DecodeRuneInString(cell[i:])
		i += size
		if r == 0 || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		return isTrigger(r)
	}
	return false
}

// isTrigger reports whether r starts a formula when it leads a cell, in its
// ASCII form or a full-width or small compatibility form.
func isTrigger(r rune) bool {
	switch r {
	case '=', '+', '-', '@',
		'\uFF1D', '\uFF0B', '\uFF0D', '\uFF20', // full-width ＝ ＋ － ＠
		'\uFE66', '\uFE62', '\uFE63', '\uFE6B', // small ﹦ ﹢ ﹣ ﹫
		'\u2212': // minus sign −
		return true
	}
	return false
}
