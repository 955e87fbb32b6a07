package funchost_test

import (
	"bytes"
	"flag"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

var update = flag.Bool("update", false, "rewrite testdata/responses/*.golden from current output")

// envelope returns the bytes of testdata/envelopes/<name>.
func envelope(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "envelopes", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parse parses testdata/envelopes/<name>, failing the test on error.
func parse(t testing.TB, name string) *funchost.InvokeRequest {
	t.Helper()
	req, err := funchost.ParseRequest(envelope(t, name))
	if err != nil {
		t.Fatalf("ParseRequest(%s): %v", name, err)
	}
	return req
}

// parseString parses an inline envelope, failing the test on error.
func parseString(t testing.TB, s string) *funchost.InvokeRequest {
	t.Helper()
	req, err := funchost.ParseRequest([]byte(s))
	if err != nil {
		t.Fatalf("ParseRequest(%s): %v", s, err)
	}
	return req
}

// checkGolden compares got with testdata/responses/<name>.golden, or
// rewrites the file under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "responses", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\ngot  %s\nwant %s", path, got, want)
	}
}

// testLogger returns a logger that writes through t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
