package pack

import (
	"archive/zip"
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mediaspecs/catalogue/shared/funcdef"
)

// TestBuildLayout builds the real package and checks it has the layout the
// Functions host discovers: host.json, the handler, one folder per function
// at the root, and a zip of the same tree with the execute bit kept.
func TestBuildLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the handler binary; skipped with -short, which make test and CI never pass")
	}
	out := filepath.Join(t.TempDir(), "dist")
	zipPath := out + ".zip"
	if err := Build("../..", out, zipPath); err != nil {
		t.Fatal(err)
	}

	repo, err := funcdef.Load("../..", "../../functions")
	if err != nil {
		t.Fatal(err)
	}
	// The host's view of the package: function folders beside host.json.
	deployed, err := funcdef.Load(out, out)
	if err != nil {
		t.Fatalf("loading the package as the host would: %v", err)
	}
	var want, got []string
	for _, f := range repo.Functions {
		want = append(want, f.Name)
	}
	for _, f := range deployed.Functions {
		got = append(got, f.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("package functions = %v, want %v", got, want)
	}

	handler := filepath.Join(out, "handler")
	info, err := os.Stat(handler)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&0o111 == 0 {
		t.Errorf("handler mode %v has no execute bit", info.Mode())
	}
	bin, err := elf.Open(handler)
	if err != nil {
		t.Fatalf("handler is not an ELF binary: %v", err)
	}
	defer bin.Close()
	if bin.Machine != elf.EM_X86_64 {
		t.Errorf("handler machine = %v, want x86-64", bin.Machine)
	}
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("handler has a dynamic loader (PT_INTERP); it must be static")
		}
	}

	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	entries := map[string]os.FileMode{}
	for _, f := range zr.File {
		entries[f.Name] = f.Mode()
	}
	for _, name := range append([]string{"host.json", "handler"}, func() (p []string) {
		for _, f := range want {
			p = append(p, f+"/function.json")
		}
		return p
	}()...) {
		if _, ok := entries[name]; !ok {
			t.Errorf("zip lacks %s", name)
		}
	}
	if entries["handler"]&0o111 == 0 {
		t.Errorf("zipped handler mode %v has no execute bit", entries["handler"])
	}
	if len(entries) != 2+len(want) {
		t.Errorf("zip has %d entries, want %d: %v", len(entries), 2+len(want), entries)
	}
}
