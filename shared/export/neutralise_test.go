package export

import (
	"strings"
	"testing"
	"unicode"
)

func TestNeutralise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		prefixed bool
	}{
		{"empty", "", false},
		{"plain text", "Le Soir", false},
		{"equals", "=1+1", true},
		{"DDE payload", "=cmd|' /C calc'!A0", true},
		{"plus", "+32 2 555 00 00", true},
		{"minus", "-5", true},
		{"at", "@SUM(A1:A2)", true},
		{"tab", "\t=1", true},
		{"lone tab", "\t", true},
		{"CR", "\r=1", true},
		{"NUL", "\x00=1", true},
		{"trigger later in the cell", "a=1", false},
		{"apostrophe already", "'=1", false},
		{"space before equals", " =1", true},
		{"spaces and LF before plus", "  \n+1", true},
		{"NBSP before at", "\u00A0@x", true},
		{"zero-width space before equals", "\u200B=1", true},
		{"BOM before equals", "\uFEFF=1", true},
		{"only spaces", "   ", false},
		{"space before text", " x", false},
		{"full-width equals", "\uFF1D1+1", true},
		{"full-width plus", "\uFF0B1", true},
		{"full-width minus", "\uFF0D1", true},
		{"full-width at", "\uFF20x", true},
		{"ideographic space then full-width equals", "\u3000\uFF1D1", true},
		{"small equals", "\uFE661", true},
		{"minus sign", "\u22125", true},
		{"full-width letter", "\uFF21BC", false},
		{"accented", "Éditions Dupuis", false},
		{"quote", `"=1"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Neutralise(tc.in)
			want := tc.in
			if tc.prefixed {
				want = "'" + tc.in
			}
			if got != want {
				t.Errorf("Neutralise(%q) = %q, want %q", tc.in, got, want)
			}
			if again := Neutralise(got); again != got {
				t.Errorf("Neutralise not idempotent: %q then %q", got, again)
			}
		})
	}
}

// startsDangerously is the test's own statement of the rule, written
// independently of dangerous(): the raw first byte, then the first visible
// character.
func startsDangerously(s string) bool {
	if s == "" {
		return false
	}
	if strings.IndexByte("=+-@\t\r\x00", s[0]) >= 0 {
		return true
	}
	rest := strings.TrimLeftFunc(s, func(r rune) bool {
		return r == 0 || unicode.IsSpace(r) || unicode.In(r, unicode.Cf)
	})
	if rest == "" {
		return false
	}
	return strings.ContainsRune("=+-@＝＋－＠﹦﹢﹣﹫−", []rune(rest)[0])
}

func FuzzNeutralise(f *testing.F) {
	for _, s := range []string{"", "=1", " \t+x", "\uFF1D", "'@", "plain", "\xff=", "\u200B\u00A0-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Neutralise(in)
		if startsDangerously(out) {
			t.Fatalf("Neutralise(%q) = %q still starts with a formula trigger", in, out)
		}
		if out != in && out != "'"+in {
			t.Fatalf("Neutralise(%q) = %q: only an apostrophe may be added", in, out)
		}
		if out != in && !startsDangerously(in) {
			t.Fatalf("Neutralise(%q) prefixed a harmless cell", in)
		}
		if Neutralise(out) != out {
			t.Fatalf("Neutralise not idempotent on %q", in)
		}
	})
}

func TestNormalise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"a\r\nb", "a\nb"},
		{"a\r\r\nb", "a\nb"},
		{"a\rb", "a\rb"},
		{"a\r\rb\r", "a\r\rb\r"},
		{"\r\n", "\n"},
		{"ok\xffé", "ok\uFFFDé"},
	} {
		if got := normalise(tc.in); got != tc.want {
			t.Errorf("normalise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
