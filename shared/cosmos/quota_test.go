package cosmos_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/quota"
	"github.com/mediaspecs/catalogue/shared/quota/quotatest"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func TestQuotaLedgerConformance(t *testing.T) {
	t.Parallel()
	c := stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("maintenance"))
	quotatest.TestLedger(t, cosmos.NewQuotaLedger(c), "agency-demo")
}

// Several instances (Limiters, each with its own ledger over the container)
// counting at once: their counts add up exactly.
func TestQuotaLedgerSharedByInstances(t *testing.T) {
	t.Parallel()
	c := stacktest.CosmosContainer(t, cosmos.MediaContainerProperties("maintenance"))
	clock := func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	day := quota.Day(clock())
	lim := quota.Limits{Default: quota.Limit{Rate: 1e6, Burst: 1e6, Daily: 1e9}}
	var limiters []*quota.Limiter
	for range 3 {
		l := quota.New(lim, cosmos.NewQuotaLedger(c), clock)
		l.FlushEvery = 5
		limiters = append(limiters, l)
	}
	done := make(chan int)
	for _, l := range limiters {
		go func() {
			n := 0
			for range 40 {
				if d, _ := l.Allow(t.Context(), "agency/with-slash"); d.Allowed {
					n++
				}
			}
			l.Flush(t.Context())
			done <- n
		}()
	}
	admitted := 0
	for range limiters {
		admitted += <-done
	}
	total, err := cosmos.NewQuotaLedger(c).Add(t.Context(), "agency/with-slash", day, 0)
	if err != nil {
		t.Fatal(err)
	}
	if admitted != 120 || total != 120 {
		t.Errorf("admitted %d, ledger total %d; want 120 and 120", admitted, total)
	}

	// The document: escaped id, readable fields, a ttl for Cosmos to expire it.
	id := cosmos.QuotaDocID("agency/with-slash", day)
	if id != "quota:agency%2Fwith-slash:"+day {
		t.Errorf("document id = %q", id)
	}
	res, err := c.ReadItem(t.Context(), azcosmos.NewPartitionKeyString(id), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Type, Client, Day string
		Count, TTL        int64
	}
	if err := json.Unmarshal(res.Value, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Type != "quota" || doc.Client != "agency/with-slash" || doc.Day != day || doc.Count != 120 ||
		doc.TTL != int64(cosmos.DefaultQuotaTTL.Seconds()) {
		t.Errorf("document = %+v", doc)
	}
}
