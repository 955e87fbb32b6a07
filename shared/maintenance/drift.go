package maintenance

import (
	"context"
	"fmt"
	"sort"

	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// Drift compares the index with Cosmos DB and repairs the differences.
type Drift struct {
	Admin  *search.Admin
	Titles Scanner
	Repair Reindexer
}

// DriftReport counts the differences found (and repaired).
type DriftReport struct {
	Cosmos   int      `json:"cosmosActive"`
	Index    int      `json:"indexed"`
	Missing  int      `json:"missing"`  // active in Cosmos, absent from the index
	Extra    int      `json:"extra"`    // in the index, not active in Cosmos
	Stale    int      `json:"stale"`    // in both, content hash differs
	Repaired int      `json:"repaired"` // ids reindexed
	Sample   []string `json:"sample,omitempty"`
}

// Drifted reports whether any difference was found.
func (r DriftReport) Drifted() bool { return r.Missing+r.Extra+r.Stale > 0 }

// CheckAndRepair compares id sets and content hashes of Cosmos (active
// titles) and the read alias, then reindexes every differing id (which also
// deletes extras). With repair false it only reports.
func (d *Drift) CheckAndRepair(ctx context.Context, repair bool) (DriftReport, error) {
	var rep DriftReport
	want := map[string]string{}
	if err := d.Titles.Scan(ctx, 0, func(t *catalog.Title) error {
		if t.Status == catalog.StatusActive {
			h := t.ContentHash
			if h == "" {
				h = t.Hash()
			}
			want[t.ID] = h
		}
		return nil
	}); err != nil {
		return rep, fmt.Errorf("scanning Cosmos: %w", err)
	}
	have := map[string]string{}
	if err := d.Admin.Hashes(ctx, d.Admin.ReadAlias, func(id, hash string) { have[id] = hash }); err != nil {
		return rep, fmt.Errorf("reading the index: %w", err)
	}
	rep.Cosmos, rep.Index = len(want), len(have)
	var diff []string
	for id, h := range want {
		switch got, ok := have[id]; {
		case !ok:
			rep.Missing++
			diff = append(diff, id)
		case got != h:
			rep.Stale++
			diff = append(diff, id)
		}
	}
	for id := range have {
		if _, ok := want[id]; !ok {
			rep.Extra++
			diff = append(diff, id)
		}
	}
	telemetry.RecordIndexDrift(ctx, rep.Missing, rep.Extra, rep.Stale)
	sort.Strings(diff)
	if len(diff) > 10 {
		rep.Sample = diff[:10]
	} else {
		rep.Sample = diff
	}
	if repair && len(diff) > 0 {
		if err := d.Repair.ReindexIDs(ctx, diff); err != nil {
			return rep, fmt.Errorf("repairing %d ids: %w", len(diff), err)
		}
		rep.Repaired = len(diff)
	}
	return rep, nil
}
