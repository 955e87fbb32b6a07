package gen

import (
	"bytes"
	"strings"
	"testing"
)

func TestDeterministic(t *testing.T) {
	t.Parallel()
	opts := Options{Seed: 11, Titles: 50, BadEvery: 5}
	var a, b bytes.Buffer
	na, err := WriteCSV(&a, opts, ';', "utf-8")
	if err != nil {
		t.Fatal(err)
	}
	nb, _ := WriteCSV(&b, opts, ';', "utf-8")
	if na != nb || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("got different output for the same seed, want identical")
	}
	want := 0
	bad := 0
	for _, ti := range Generate(opts) {
		want += ti.Rows()
		if ti.Bad != "" {
			bad++
		}
	}
	if na != want || bad != 10 {
		t.Errorf("got %d rows and %d bad titles, want %d and 10", na, bad, want)
	}
	if lines := strings.Count(a.String(), "\r\n"); lines < want+1 {
		t.Errorf("got %d lines, want at least %d", lines, want+1)
	}
	var c bytes.Buffer
	_, _ = WriteCSV(&c, Options{Seed: 12, Titles: 50}, ';', "utf-8")
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("got equal output for different seeds")
	}
}

func TestEncodings(t *testing.T) {
	t.Parallel()
	for _, enc := range []string{"utf-8", "utf-8-bom", "utf-16le", "windows-1252", "iso-8859-15"} {
		var buf bytes.Buffer
		if _, err := WriteCSV(&buf, Options{Seed: 1, Titles: 20}, ',', enc); err != nil {
			t.Errorf("%s: %v", enc, err)
		}
	}
	if _, err := WriteCSV(&bytes.Buffer{}, Options{Titles: 1}, ',', "ebcdic"); err == nil {
		t.Error("unknown encoding: got nil error")
	}
}
