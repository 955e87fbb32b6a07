package ingest_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
)

// TestRedeliveryIsUnchanged runs the pure half of the pipeline twice over
// the same file into an in-memory store: the second pass maps every title
// to the same id and changes nothing, so the pipeline can skip all writes.
func TestRedeliveryIsUnchanged(t *testing.T) {
	t.Parallel()
	data, name := writeFormat(t, "csv", gen.Options{Seed: 9, Titles: 200})
	p := profileFor(t, "csv")
	store := map[string]catalog.Title{}
	pass := func(at time.Time) (created, changed, unchanged int) {
		_, err := ingest.Parse(context.Background(), ingest.Source{Supplier: "gen", Name: name, R: bytes.NewReader(data), Size: int64(len(data))}, p, ingest.DefaultLimits,
			func(pd ingest.Parsed) error {
				old, ok := store[pd.Title.ID]
				var oldp *catalog.Title
				if ok {
					oldp = &old
				}
				res := catalog.Merge(oldp, pd.Title, pd.Provenance, at)
				switch {
				case res.Created:
					created++
				case res.Unchanged:
					unchanged++
				default:
					changed++
				}
				store[pd.Title.ID] = res.Title
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	if c, ch, u := pass(time.Unix(0, 0)); c != 200 || ch != 0 || u != 0 {
		t.Fatalf("first pass: got created %d changed %d unchanged %d, want 200 0 0", c, ch, u)
	}
	if c, ch, u := pass(time.Unix(3600, 0)); c != 0 || ch != 0 || u != 200 {
		t.Fatalf("second pass: got created %d changed %d unchanged %d, want 0 0 200", c, ch, u)
	}
}
