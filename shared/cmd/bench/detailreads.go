package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/loadtest"
)

// pairedReads compares the detail route's read paths back to back, closed
// loop: for each id in turn a raw azcosmos ReadItem (the baseline), Store.Get
// (ReadItem and JSON decoding) and TitleCache.Get (a conditional ReadItem,
// decoding only when the title changed), rotating which goes first. Pairing
// each request with its baseline cancels the drift of a shared machine,
// which open-loop phases 20 s apart cannot; the open-loop phases measure
// the whole route. Latency here is from call to return, with no arrival
// schedule: it shows what each path costs, not queueing.
func pairedReads(ctx context.Context, container *azcosmos.ContainerClient, label string, ids []string, rounds int) []loadtest.Result {
	store := cosmos.NewStore(container, nil)
	cache := cosmos.NewTitleCache(store, len(ids))
	paths := []struct {
		name string
		read func(id string) error
	}{
		{"ReadItem", func(id string) error {
			_, err := container.ReadItem(ctx, azcosmos.NewPartitionKeyString(id), id, nil)
			return err
		}},
		{"Store.Get", func(id string) error { _, _, err := store.Get(ctx, id); return err }},
		{"TitleCache.Get", func(id string) error { _, _, err := cache.Get(ctx, id); return err }},
	}
	lat := make([][]time.Duration, len(paths))
	errs := make([]int, len(paths))
	for i := range rounds * len(ids) {
		if ctx.Err() != nil {
			break
		}
		id := ids[i%len(ids)]
		for k := range paths {
			p := (k + i) % len(paths)
			start := time.Now()
			if err := paths[p].read(id); err != nil {
				errs[p]++
				continue
			}
			// The first pass over the ids fills the cache: not measured.
			if i >= len(ids) {
				lat[p] = append(lat[p], time.Since(start))
			}
		}
	}
	out := make([]loadtest.Result, len(paths))
	for p, path := range paths {
		l := lat[p]
		slices.Sort(l)
		out[p] = loadtest.Result{Name: fmt.Sprintf("detail read %s, %s (paired, closed loop)", path.name, label),
			Requests: len(l) + errs[p], Errors: errs[p],
			P50: loadtest.Percentile(l, 50), P90: loadtest.Percentile(l, 90), P99: loadtest.Percentile(l, 99)}
		if len(l) > 0 {
			out[p].Max = l[len(l)-1]
		}
	}
	return out
}

// enlarged returns a copy of t the size of a well-documented title (about
// 11 KB instead of the generator's 1.5 KB): extra ad products with their
// prices, and sales contacts.
func enlarged(t *catalog.Title) *catalog.Title {
	big := *t
	big.ID = t.ID + "_large"
	big.AdProducts = slices.Clone(t.AdProducts)
	for i := 0; len(t.AdProducts) > 0 && i < 30; i++ {
		ap := t.AdProducts[i%len(t.AdProducts)]
		ap.ID = fmt.Sprintf("ap_extra_%d", i)
		ap.Prices = append(slices.Clone(ap.Prices), ap.Prices...)
		big.AdProducts = append(big.AdProducts, ap)
	}
	for range 5 {
		big.Contacts = append(big.Contacts, catalog.Contact{Role: "sales", Name: "Marie Dubois", Email: "marie.dubois@example.be", Phone: "+32 2 000 00 00"})
	}
	return &big
}
