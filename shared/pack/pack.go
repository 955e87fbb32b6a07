// Package pack assembles the Function App exactly as Azure deploys it: the
// host only discovers function folders that sit directly beside host.json,
// so the repository's functions/<Name>/ folders are copied to the package
// root next to host.json and the handler binary.
//
//	dist/
//	  host.json
//	  handler            static linux/amd64, execute bit set
//	  Search/function.json
//	  ...
//	dist.zip             the same tree, modes preserved (zip deploy / Flex package)
package pack

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/mediaspecs/catalogue/shared/funcdef"
)

// Build writes the package for the app in repoRoot to outDir (emptied first)
// and a zip of it to zipPath. The handler is built with the go command on PATH
// for linux/amd64 with cgo off, so the binary is static.
func Build(repoRoot, outDir, zipPath string) error {
	app, err := funcdef.Load(repoRoot, filepath.Join(repoRoot, "functions"))
	if err != nil {
		return err
	}
	if err := os.RemoveAll(outDir); err != nil {
		return err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(repoRoot, "host.json"), filepath.Join(outDir, "host.json"), 0o644); err != nil {
		return err
	}
	for _, fn := range app.Functions {
		if err := os.MkdirAll(filepath.Join(outDir, fn.Name), 0o755); err != nil {
			return err
		}
		src := filepath.Join(repoRoot, "functions", fn.Name, "function.json")
		if err := copyFile(src, filepath.Join(outDir, fn.Name, "function.json"), 0o644); err != nil {
			return err
		}
	}
	exe := app.Host.CustomHandler.Description.DefaultExecutablePath
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(outDir, exe), "./shared/cmd/handler")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build handler: %v\n%s", err, out)
	}
	if err := os.Chmod(filepath.Join(outDir, exe), 0o755); err != nil {
		return err
	}
	return zipTree(outDir, zipPath)
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// zipTree zips dir's contents (not dir itself) with their Unix modes, so the
// handler keeps its execute bit on plans that do not add it.
func zipTree(dir, zipPath string) (err error) {
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	f, err := os.Create(zipPath)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	for _, p := range files {
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		hdr, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr.Name = filepath.ToSlash(rel)
		hdr.Method = zip.Deflate
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	return zw.Close()
}
