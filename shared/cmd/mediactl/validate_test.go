package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mediaspecs/catalogue/shared/ingest/gen"
)

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	var buf bytes.Buffer
	if _, err := gen.WriteCSV(&buf, gen.Options{Seed: 3, Titles: 25, BadEvery: 10}, ';', "windows-1252"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	feed := filepath.Join(dir, "feed.ndjson")
	buf.Reset()
	if _, err := gen.WriteJSON(&buf, gen.Options{Seed: 3, Titles: 10}, true); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(feed, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`[{"id": "x", "name": `), 0o600); err != nil {
		t.Fatal(err)
	}
	csvOut := filepath.Join(dir, "rejected.csv")

	for _, tc := range []struct {
		name     string
		args     []string
		verdict  string
		rejected bool
	}{
		{"csv with bad rows, flags after the file", []string{good, "--profile", "generic", "--rejected-csv", csvOut}, "accepted_with_rejections", false},
		{"feed by supplier mapping", []string{"--supplier", "sample-feed", feed}, "accepted", false},
		{"broken file", []string{broken, "--profile", "json-feed"}, "rejected", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := realMain(t.Context(), append([]string{"validate"}, tc.args...), &out)
			if tc.rejected != errors.Is(err, errRejected) {
				t.Fatalf("error = %v, want rejected=%v", err, tc.rejected)
			}
			if !tc.rejected && err != nil {
				t.Fatal(err)
			}
			var rep struct {
				Verdict string `json:"verdict"`
				Errors  []struct {
					Row    int    `json:"row"`
					Reason string `json:"reason"`
				} `json:"errors"`
				FileError string `json:"fileError"`
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("output is not a JSON report: %v\n%s", err, out.String())
			}
			if rep.Verdict != tc.verdict {
				t.Errorf("verdict = %q, want %q", rep.Verdict, tc.verdict)
			}
			if tc.verdict == "accepted_with_rejections" && (len(rep.Errors) == 0 || rep.Errors[0].Row == 0 || rep.Errors[0].Reason == "") {
				t.Errorf("errors = %+v, want rows with reasons", rep.Errors)
			}
			if tc.rejected && rep.FileError == "" {
				t.Error("rejected without a file error")
			}
		})
	}
	if b, err := os.ReadFile(csvOut); err != nil || !bytes.Contains(b, []byte("row;key;column;value;reason")) {
		t.Errorf("rejected CSV: %v %q", err, b)
	}
}
