// Command dashboards writes the Grafana dashboards built by shared/dashboard
// as JSON files (make dashboards):
//
//	go run ./shared/cmd/dashboards -out infra/observability/dashboards
//
// It replaces the files it generates and leaves other files alone; the
// dashboard package's test fails when the committed files differ.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mediaspecs/catalogue/shared/dashboard"
)

func main() {
	out := flag.String("out", filepath.Join("infra", "observability", "dashboards"), "folder to write the dashboard JSON files into")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "dashboards:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	files, err := dashboard.Files()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range dashboard.FileNames() {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
		fmt.Println(path)
	}
	return nil
}
