package cosmos_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// The changes feed against the local Cosmos (cosmosdb-server). Windows are
// on the server's _ts, and the server runs on this machine's clock: a test
// passes a now of (real time + SettleLag + 1 s), whose settled bound is the
// current second, instead of waiting SettleLag.

func settledNow() time.Time { return time.Now().Add(cosmos.SettleLag + time.Second) }

// waitForNextSecond returns once the clock is past the second of t, so a
// record written afterwards gets a _ts after every _ts of that second.
func waitForNextSecond(t time.Time) {
	time.Sleep(time.Until(time.Unix(t.Unix()+1, 0)))
}

// putChanges writes one record for each of n new titles named prefix-i,
// eight at a time, and returns their ids.
func putChanges(t *testing.T, feed *cosmos.Changes, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	sem := make(chan struct{}, 8)
	for i := range n {
		title := fmt.Sprintf("%s-%03d", prefix, i)
		ch := catalog.Change{ID: title + ":1", TitleID: title, Version: 1, Kind: "created",
			Blocks: []catalog.Block{catalog.BlockIdentity}, Fields: []string{"name"}, NewHash: "h1",
			Provenance: catalog.Provenance{Supplier: "acme", File: "acme/" + prefix + ".csv", Row: i + 2}, At: time.Now().UTC()}
		ids[i] = ch.ID
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := feed.Put(t.Context(), ch); err != nil {
				errMu.Lock()
				if first == nil {
					first = err
				}
				errMu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
	return ids
}

// follow reads pages from cursor with limit until More is false and returns
// the records in order, the last page and the number of pages.
func follow(t *testing.T, feed *cosmos.Changes, cursor string, limit int, now time.Time) ([]catalog.Change, cosmos.ChangePage, int) {
	t.Helper()
	var (
		all   []catalog.Change
		page  cosmos.ChangePage
		pages int
	)
	for {
		var err error
		page, err = feed.Since(t.Context(), cursor, limit, now)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		if len(page.Changes) > limit {
			t.Fatalf("page %d has %d records, over the limit %d", pages, len(page.Changes), limit)
		}
		if page.Next == "" {
			t.Fatalf("page %d has no Next cursor", pages)
		}
		all = append(all, page.Changes...)
		cursor = page.Next
		if !page.More {
			return all, page, pages
		}
		if pages > 10_000 {
			t.Fatal("the feed never ends")
		}
	}
}

// assertExactlyOnce checks that got holds each of want exactly once and
// nothing else.
func assertExactlyOnce(t *testing.T, what string, got []catalog.Change, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, ch := range got {
		seen[ch.ID]++
	}
	var missing, twice, extra []string
	for _, id := range want {
		switch seen[id] {
		case 0:
			missing = append(missing, id)
		case 1:
		default:
			twice = append(twice, id)
		}
		delete(seen, id)
	}
	for id := range seen {
		extra = append(extra, id)
	}
	if len(missing)+len(twice)+len(extra) > 0 || len(got) != len(want) {
		t.Errorf("%s: %d records for %d expected; missing %v, repeated %v, unexpected %v", what, len(got), len(want), missing, twice, extra)
	}
}

func newFeed(t *testing.T) *cosmos.Changes {
	t.Helper()
	return cosmos.NewChanges(stacktest.CosmosContainer(t, cosmos.ChangesContainerProperties("changes")))
}

func TestChangesFeedPagesEveryRecordExactlyOnce(t *testing.T) {
	t.Parallel()
	feed := newFeed(t)
	ids := putChanges(t, feed, "once", 250)
	now := settledNow()

	got, last, pages := follow(t, feed, "", 7, now)
	assertExactlyOnce(t, "limit 7 from the start", got, ids)
	if pages < 250/7 {
		t.Errorf("%d pages of at most 7 for 250 records", pages)
	}
	// The record comes back whole, provenance included.
	i := slices.IndexFunc(got, func(c catalog.Change) bool { return c.ID == "once-042:1" })
	if i < 0 {
		t.Fatal("record once-042:1 not read")
	}
	if got[i].Provenance.File != "acme/once.csv" || got[i].Provenance.Row != 44 || got[i].TitleID != "once-042" ||
		!slices.Equal(got[i].Fields, []string{"name"}) || got[i].Kind != "created" {
		t.Errorf("record once-042:1 = %+v", got[i])
	}

	// Caught up: the last Next answers an empty page and itself, for polling.
	page, err := feed.Since(t.Context(), last.Next, 7, now)
	if err != nil || len(page.Changes) != 0 || page.More || page.Next != last.Next {
		t.Errorf("polling when caught up = %d records, More %v, same cursor %v, err %v; want 0, false, true",
			len(page.Changes), page.More, page.Next == last.Next, err)
	}

	// The largest page takes everything at once; the smallest one record.
	got, _, pages = follow(t, feed, "", cosmos.MaxChangesLimit, now)
	assertExactlyOnce(t, "limit 1000", got, ids)
	if pages != 1 {
		t.Errorf("limit %d took %d pages for 250 records, want 1", cosmos.MaxChangesLimit, pages)
	}
	page, err = feed.Since(t.Context(), "", 1, now)
	if err != nil || len(page.Changes) != 1 || !page.More {
		t.Errorf("limit 1 = %d records, More %v, err %v; want 1 record and More", len(page.Changes), page.More, err)
	}
}

// TestChangesFeedSeesRecordsWrittenWhilePaging: records written while a
// client pages are not mixed into the window being paged; they come in the
// next window, once. A record rewritten (same id) moves to the later window.
func TestChangesFeedSeesRecordsWrittenWhilePaging(t *testing.T) {
	t.Parallel()
	feed := newFeed(t)
	first := putChanges(t, feed, "first", 60)
	now1 := settledNow()

	page, err := feed.Since(t.Context(), "", 10, now1)
	if err != nil || len(page.Changes) != 10 || !page.More {
		t.Fatalf("first page = %d records, More %v, err %v", len(page.Changes), page.More, err)
	}
	readEarly := page.Changes

	waitForNextSecond(now1.Add(-cosmos.SettleLag - time.Second))
	writtenFrom := time.Now()
	second := putChanges(t, feed, "second", 40)
	// Rewrite two records of the first batch: one the client has already
	// read, one it has not.
	readOne := readEarly[0]
	var unreadOne catalog.Change
	for _, id := range first {
		if !slices.ContainsFunc(readEarly, func(c catalog.Change) bool { return c.ID == id }) {
			unreadOne = catalog.Change{ID: id, TitleID: strings.TrimSuffix(id, ":1"), Version: 1, Kind: "created"}
			break
		}
	}
	for _, ch := range []catalog.Change{readOne, unreadOne} {
		ch.NewHash = "rewritten"
		if err := feed.Put(t.Context(), ch); err != nil {
			t.Fatal(err)
		}
	}

	// The rest of the first window, with the clock of the first call: the
	// new records are not in it, nor is the rewritten unread one.
	rest, last, _ := follow(t, feed, page.Next, 10, now1)
	firstWindow := append(slices.Clone(readEarly), rest...)
	wantFirst := slices.DeleteFunc(slices.Clone(first), func(id string) bool { return id == unreadOne.ID })
	assertExactlyOnce(t, "first window", firstWindow, wantFirst)

	// Later: the next window holds the new records and both rewritten ones.
	later, _, _ := follow(t, feed, last.Next, 10, settledNow())
	assertExactlyOnce(t, "next window", later, append(slices.Clone(second), readOne.ID, unreadOne.ID))
	for _, ch := range later {
		if (ch.ID == readOne.ID || ch.ID == unreadOne.ID) && ch.NewHash != "rewritten" {
			t.Errorf("rewritten record %s delivered with hash %q, want the new one", ch.ID, ch.NewHash)
		}
	}

	// An RFC 3339 since starts at that time: here exactly what was written
	// after the first batch's last second.
	fromTime, _, _ := follow(t, feed, writtenFrom.UTC().Format(time.RFC3339Nano), 25, settledNow())
	assertExactlyOnce(t, "since a time", fromTime, append(slices.Clone(second), readOne.ID, unreadOne.ID))
}

func ids(cs []catalog.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// TestChangesFeedSameCursorSamePage: a cursor is a position, not a session;
// it reads the same page however often and whenever it is used.
func TestChangesFeedSameCursorSamePage(t *testing.T) {
	t.Parallel()
	feed := newFeed(t)
	putChanges(t, feed, "same", 23)
	now := settledNow()

	first, err := feed.Since(t.Context(), "", 5, now)
	if err != nil {
		t.Fatal(err)
	}
	mid, err := feed.Since(t.Context(), first.Next, 5, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, later := range []time.Duration{0, time.Hour} {
		again, err := feed.Since(t.Context(), first.Next, 5, now.Add(later))
		if err != nil || !slices.Equal(ids(again.Changes), ids(mid.Changes)) || again.Next != mid.Next || again.More != mid.More {
			t.Errorf("cursor reused %v later: %v next %.20q more %v (err %v); first use %v next %.20q more %v",
				later, ids(again.Changes), again.Next, again.More, err, ids(mid.Changes), mid.Next, mid.More)
		}
	}
	if slices.Equal(ids(first.Changes), ids(mid.Changes)) {
		t.Errorf("the second page repeats the first: %v", ids(mid.Changes))
	}

	// Every page of the window, read again an hour later: the same records.
	// Only the Next of the window's last page may differ (it fixes the
	// following window when issued).
	cursor := first.Next
	for pages := 0; ; pages++ {
		p, err := feed.Since(t.Context(), cursor, 5, now)
		if err != nil {
			t.Fatal(err)
		}
		again, err := feed.Since(t.Context(), cursor, 5, now.Add(time.Hour))
		if err != nil || !slices.Equal(ids(again.Changes), ids(p.Changes)) {
			t.Errorf("page %d read an hour later: %v (err %v), first read %v", pages+2, ids(again.Changes), err, ids(p.Changes))
		}
		if !p.More {
			if len(p.Changes) != 3 || pages != 3 {
				t.Errorf("the window ended on page %d with %d records; want page 5 with 3 (23 = 4×5 + 3)", pages+2, len(p.Changes))
			}
			break
		}
		cursor = p.Next
	}
}

// refuseContinuation answers 400 to a query carrying the continuation
// "refused", as Cosmos DB answers a continuation it cannot parse (the local
// server ignores a bad continuation and starts over instead).
type refuseContinuation struct{}

func (refuseContinuation) Do(req *policy.Request) (*http.Response, error) {
	if req.Raw().Header.Get("x-ms-continuation") != "refused" {
		return req.Next()
	}
	return &http.Response{
		StatusCode: http.StatusBadRequest, Status: "400 Bad Request", Request: req.Raw(),
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   io.NopCloser(strings.NewReader(`{"code":"BadRequest","message":"Invalid Continuation Token"}`)),
	}, nil
}

func TestChangesFeedRefusedContinuationIsASinceError(t *testing.T) {
	t.Parallel()
	db := stacktest.CosmosDatabase(t)
	props := cosmos.ChangesContainerProperties("changes")
	if _, err := db.CreateContainer(t.Context(), props, nil); err != nil {
		t.Fatal(err)
	}
	client, err := cosmos.NewClient(cosmos.ClientConfig{Endpoint: stacktest.CosmosEndpoint, Key: stacktest.CosmosKey,
		CAFile: stacktest.CosmosCAFile(), PerRetryPolicies: []policy.Policy{refuseContinuation{}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	container, err := client.NewContainer(db.ID(), props.ID)
	if err != nil {
		t.Fatal(err)
	}
	feed := cosmos.NewChanges(container)
	putChanges(t, feed, "refused", 3)
	now := settledNow()

	if page, err := feed.Since(t.Context(), "", 10, now); err != nil || len(page.Changes) != 3 {
		t.Fatalf("reading without a continuation: %d records, %v", len(page.Changes), err)
	}
	_, err = feed.Since(t.Context(), cosmos.EncodeChangesCursor(0, cosmos.SettledUntil(now), "refused"), 10, now)
	var pe *apperr.ParamError
	if !errors.As(err, &pe) || pe.Param != "since" || apperr.Status(err) != http.StatusBadRequest {
		t.Errorf("refused continuation: err = %v; want a 400 ParamError on since", err)
	}
}

// TestChangesFeedQueryIsServedByTheGateway guards the one query the feed
// runs: Cosmos DB's gateway serves a cross-partition query only without
// ORDER BY, TOP, OFFSET/LIMIT, DISTINCT, GROUP BY or aggregates, and
// azcosmos sends queries to the gateway as they are. The local server
// accepts all of them, so this is checked on the text.
func TestChangesFeedQueryIsServedByTheGateway(t *testing.T) {
	t.Parallel()
	q := strings.ToUpper(cosmos.ChangesWindowQuery)
	for _, refused := range []string{"ORDER BY", " TOP ", "OFFSET", "LIMIT", "DISTINCT", "GROUP BY", "COUNT(", "SUM(", "MIN(", "MAX(", "AVG("} {
		if strings.Contains(q, refused) {
			t.Errorf("the window query %q uses %s, which the gateway refuses across partitions", cosmos.ChangesWindowQuery, refused)
		}
	}
}
