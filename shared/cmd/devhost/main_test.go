package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

// TestRunRejectsBadInvocations checks the flag errors that stop devhost
// before it touches the app or the network.
func TestRunRejectsBadInvocations(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"help", []string{"-h"}, flag.ErrHelp.Error()},
		{"unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
		{"bad log format", []string{"-log-format", "xml"}, "-log-format"},
		{"bad log level", []string{"-log-level", "loud"}, "-log-level"},
		{"missing app", []string{"-root", t.TempDir()}, "host.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(t.Context(), tc.args, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.wantErr)
			}
			if tc.name == "help" && (!errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "-eventgrid-container")) {
				t.Errorf("-h: err %v, usage %q", err, stderr.String())
			}
		})
	}
}
