package main

import (
	"testing"
	"time"
)

func TestParseGeneration(t *testing.T) {
	got, ok := parseGeneration("media", "media-20261126023000")
	if want := time.Date(2026, 11, 26, 2, 30, 0, 0, time.UTC); !ok || !got.Equal(want) {
		t.Errorf("parseGeneration = %v %v, want %v", got, ok, want)
	}
	for _, name := range []string{"other-20261126023000", "media-latest", "media-2026112602300", "media"} {
		if _, ok := parseGeneration("media", name); ok {
			t.Errorf("parseGeneration(%q) accepted", name)
		}
	}
}
