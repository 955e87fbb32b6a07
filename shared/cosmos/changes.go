package cosmos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
)

// ChangesContainerProperties describes the container of change records
// (catalog.Change), one per written title version.
//
// The partition key is /titleId: ingestion writes change records for many
// titles at once, and a per-title key spreads those writes over every
// physical partition (a time-based key such as the day would make one hot
// partition take the whole ingestion). A title's history is a single-partition
// query; the changes feed (Since) is a cross-partition range query on the
// server timestamp _ts, which the default indexing policy (/*) covers.
func ChangesContainerProperties(name string) azcosmos.ContainerProperties {
	return azcosmos.ContainerProperties{
		ID:                     name,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/titleId"}},
	}
}

// Changes writes change records to the changes container and reads them
// back as the B2B changes feed (Since).
type Changes struct {
	container *azcosmos.ContainerClient
}

// NewChanges returns Changes over the changes container.
func NewChanges(container *azcosmos.ContainerClient) *Changes { return &Changes{container: container} }

// Put upserts c. Its id is "<titleId>:<version>", so writing the record of
// the same title version again (a retried file) replaces it: no duplicates.
func (c *Changes) Put(ctx context.Context, ch catalog.Change) (err error) {
	defer apperr.Wrap(&err, "cosmos.Changes.Put(%q)", ch.ID)
	body, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	_, err = c.container.UpsertItem(ctx, azcosmos.NewPartitionKeyString(ch.TitleID), body, &azcosmos.ItemOptions{EnableContentResponseOnWrite: false})
	if err != nil {
		return translate(err)
	}
	return nil
}

// Create writes c only if no record has its id (Conflict otherwise) and
// returns the record's ETag. The pipeline's presumed-new path uses it as
// its guard: a title created by ingestion always has its "<titleId>:1"
// record.
func (c *Changes) Create(ctx context.Context, ch catalog.Change) (etag string, err error) {
	defer apperr.Wrap(&err, "cosmos.Changes.Create(%q)", ch.ID)
	body, err := json.Marshal(ch)
	if err != nil {
		return "", err
	}
	res, err := c.container.CreateItem(ctx, azcosmos.NewPartitionKeyString(ch.TitleID), body, &azcosmos.ItemOptions{EnableContentResponseOnWrite: false})
	if err != nil {
		return "", translate(err)
	}
	return string(res.ETag), nil
}

// Delete removes the record of c if it still has ETag ifMatch: Conflict
// when it was replaced since, NotFound when there is none.
func (c *Changes) Delete(ctx context.Context, ch catalog.Change, ifMatch string) (err error) {
	defer apperr.Wrap(&err, "cosmos.Changes.Delete(%q)", ch.ID)
	e := azcore.ETag(ifMatch)
	if _, err := c.container.DeleteItem(ctx, azcosmos.NewPartitionKeyString(ch.TitleID), ch.ID, &azcosmos.ItemOptions{IfMatchEtag: &e}); err != nil {
		return translate(err)
	}
	return nil
}

// The changes feed
//
// Since pages through the change records by windows of the server timestamp
// _ts (whole seconds, set by Cosmos DB when a write commits). A window is
// (since, until]; its upper bound is fixed when the window is opened, at
// least SettleLag before the clock, and a window is read with one
// cross-partition query (no ORDER BY) whose Cosmos continuation token the
// cursor carries. When a window is exhausted the next cursor opens
// (until, now − SettleLag]. Hence:
//
//   - every record is read exactly once by a client following Next, in
//     window order: records written while a client pages get a _ts after the
//     window's upper bound, so they fall in a later window;
//   - within a window the order is Cosmos DB's (partition by partition), not
//     by time: a client wanting the latest version of a title keeps the
//     highest version, which never sits in an earlier window than a lower one;
//   - a record written again with the same id (a retried supplier file
//     rewriting the same title version) moves to the window of its new _ts
//     and is delivered again there: clients upsert by id.
//
// Why not ORDER BY c._ts: azcosmos v1.5.0 sends a query to the gateway as it
// is (no query plan, no client-side merge; the query engine integration was
// removed for the 1.5.0 release), and the gateway refuses cross-partition
// ORDER BY, TOP, OFFSET/LIMIT, DISTINCT, GROUP BY and aggregates ("cross
// partition query can not be directly served by the gateway"). The local
// cosmosdb-server accepts them, so a test there would pass and production
// would fail. Why not the Cosmos change feed (ContainerClient.ReadChangeFeed):
// its continuation holds one ETag per physical partition (unbounded size for
// a URL cursor), it offers no time window to re-read a page, and the local
// server does not implement it (ReadFeedRanges fails to decode its
// partition key ranges; an incremental read answers every document, then 304
// forever), so it could not be tested here.

// SettleLag is how far a window's upper bound stays behind the clock. A
// record's _ts is the second its write committed on the Cosmos server, so
// the lag only has to cover the clock skew between this host and Cosmos DB
// (NTP-synchronised Azure hosts: well under a second), the replica lag of a
// read in the single region of a serverless account (milliseconds), and the
// in-flight second itself (the bound is a whole second that ended at least
// SettleLag ago). 30 s is a wide margin on all three and invisible to a feed
// clients poll every few minutes. The record's own "at" is not usable for
// windows: ingestion stamps it once per file, when the file starts, and
// writes the file's records over the following minutes (up to the 30-minute
// function timeout), so a window on "at" would need a lag longer than any
// ingestion; "at" is also a string whose fractional seconds vary in length,
// which does not sort as time.
const SettleLag = 30 * time.Second

// MaxChangesLimit is the largest page Since returns.
const MaxChangesLimit = 1000

// Cursor bounds. A cursor goes into a URL: the whole cursor stays under
// maxCursorChars, the Cosmos continuation inside it under
// maxContinuationBytes (Cosmos is asked for tokens of at most 1 KB; a plain
// cross-partition range query's token is about 100 bytes).
const (
	maxCursorChars        = 4096
	maxContinuationBytes  = 2048
	continuationLimitInKB = 1
	// maxQueryRoundTrips bounds the Cosmos requests of one Since call: the
	// gateway may answer pages with fewer items than asked for, even none
	// (an empty partition, a page cut by its time or RU budget).
	maxQueryRoundTrips = 16
)

const changesWindowQuery = "SELECT * FROM c WHERE c._ts > @since AND c._ts <= @until"

// ChangePage is one page of the changes feed.
type ChangePage struct {
	// Changes are the records of the page, at most the limit asked for;
	// never nil.
	Changes []catalog.Change
	// Next is the cursor for the next page. It is also returned when the page
	// is empty, so a client stores it and polls with it.
	Next string
	// More is true when the client should fetch Next right away: the current
	// window is not exhausted, or a newer settled window is already open. It
	// is false when the feed has caught up with the settled time; then Next
	// is worth polling later, not now. A page with More may be followed by an
	// empty page (Cosmos cannot tell in advance that a window's rest is empty).
	More bool
}

// Since returns up to limit change records after cursor, and the cursor of
// the following page. cursor is "" (from the first record), a Next from an
// earlier page, or an RFC 3339 time (records stored at or after that time,
// up to a second earlier: the store time is the record's commit, at or
// after its "at"). A malformed or tampered cursor is an apperr.ParamError on
// "since"; a limit outside 1..MaxChangesLimit one on "limit". now is the
// clock (time.Now in production).
//
// The same cursor with the same limit returns the same records (as long as
// none of them was deleted or rewritten since). Its Next is the same too,
// except at the end of a window: then Next fixes the following window when
// it is issued, so two calls at different times get different, equally
// valid, Next cursors. A cursor whose window is not yet open ("", an RFC
// 3339 time, the Next of a caught-up page) reads what has settled by the
// time it is used.
func (c *Changes) Since(ctx context.Context, cursor string, limit int, now time.Time) (page ChangePage, err error) {
	defer apperr.Wrap(&err, "cosmos.Changes.Since")
	if limit < 1 || limit > MaxChangesLimit {
		return ChangePage{}, &apperr.ParamError{Param: "limit", Reason: fmt.Sprintf("between 1 and %d", MaxChangesLimit)}
	}
	cur, err := decodeChangesCursor(cursor)
	if err != nil {
		return ChangePage{}, err
	}
	page.Changes = []catalog.Change{}
	if cur.Until == 0 {
		until := settledUntil(now)
		if until <= cur.Since {
			page.Next = encodeChangesCursor(cur)
			return page, nil // caught up: poll later with the same cursor
		}
		cur.Until = until
	}
	for range maxQueryRoundTrips {
		items, continuation, err := c.window(ctx, cur, limit-len(page.Changes))
		if err != nil {
			return ChangePage{}, err
		}
		page.Changes = append(page.Changes, items...)
		if continuation == "" {
			// The window is exhausted. Open the next one now if time has
			// settled past it, so its bound is fixed in the cursor.
			next := changesCursor{Since: cur.Until}
			if until := settledUntil(now); until > next.Since {
				next.Until = until
			}
			page.Next, page.More = encodeChangesCursor(next), next.Until != 0
			return page, nil
		}
		cur.Continuation = continuation
		if len(page.Changes) >= limit {
			break
		}
	}
	page.Next, page.More = encodeChangesCursor(cur), true
	return page, nil
}

// window reads up to n records of cur's window from cur's position, and the
// continuation after them ("" when the window is exhausted).
func (c *Changes) window(ctx context.Context, cur changesCursor, n int) ([]catalog.Change, string, error) {
	opts := &azcosmos.QueryOptions{
		PageSizeHint:                       int32(n),
		ResponseContinuationTokenLimitInKB: continuationLimitInKB,
		QueryParameters: []azcosmos.QueryParameter{
			{Name: "@since", Value: cur.Since},
			{Name: "@until", Value: cur.Until},
		},
	}
	if cur.Continuation != "" {
		opts.ContinuationToken = &cur.Continuation
	}
	pager := c.container.NewQueryItemsPager(changesWindowQuery, azcosmos.NewPartitionKey(), opts)
	res, err := pager.NextPage(ctx)
	if err != nil {
		var re *azcore.ResponseError
		if cur.Continuation != "" && errors.As(err, &re) && re.StatusCode == http.StatusBadRequest {
			// Cosmos validates the continuation; one it refuses came from a
			// forged cursor or from a container that was since recreated.
			return nil, "", &apperr.ParamError{Param: "since", Reason: "the cursor is no longer valid; start again with an RFC 3339 time"}
		}
		return nil, "", translate(err)
	}
	changes := make([]catalog.Change, 0, len(res.Items))
	for _, item := range res.Items {
		var ch catalog.Change
		if err := json.Unmarshal(item, &ch); err != nil {
			return nil, "", fmt.Errorf("decoding change record: %w", err)
		}
		changes = append(changes, ch)
	}
	var continuation string
	if res.ContinuationToken != nil {
		continuation = *res.ContinuationToken
	}
	if len(continuation) > maxContinuationBytes {
		return nil, "", fmt.Errorf("cosmos returned a %d-byte continuation, over the cursor's %d bytes", len(continuation), maxContinuationBytes)
	}
	return changes, continuation, nil
}

// settledUntil is the last whole second of _ts that is settled at now: it
// ended at least SettleLag before now.
func settledUntil(now time.Time) int64 { return now.Add(-SettleLag).Unix() - 1 }

// changesCursor is the decoded cursor: the window (Since, Until] in _ts
// seconds and the Cosmos continuation inside it. Until 0 is a window not yet
// opened (no continuation then): the call that uses it opens it.
type changesCursor struct {
	Version      int    `json:"v"`
	Since        int64  `json:"s"`
	Until        int64  `json:"u,omitempty"`
	Continuation string `json:"c,omitempty"`
}

const changesCursorVersion = 1

// cursorChecksumLen bytes of SHA-256 prefix the cursor's JSON, so garbage,
// truncation and hand edits are refused before anything reaches Cosmos. It
// is not a MAC: a client who forges a valid cursor only chooses a window of
// a feed it may read whole anyway, and Cosmos refuses a forged continuation.
const cursorChecksumLen = 8

var cursorChecksumDomain = []byte("mediaspecs changes cursor\x00")

func cursorChecksum(payload []byte) []byte {
	h := sha256.New()
	h.Write(cursorChecksumDomain)
	h.Write(payload)
	return h.Sum(nil)[:cursorChecksumLen]
}

// encodeChangesCursor is base64url(checksum ‖ JSON).
func encodeChangesCursor(cur changesCursor) string {
	cur.Version = changesCursorVersion
	payload, _ := json.Marshal(cur) // ints and a string: cannot fail
	return base64.RawURLEncoding.EncodeToString(append(cursorChecksum(payload), payload...))
}

var errBadCursor = &apperr.ParamError{Param: "since", Reason: "neither a cursor returned by the changes feed nor an RFC 3339 time; start again without since, or with a time"}

// decodeChangesCursor parses a cursor as Since accepts it. Every failure is
// errBadCursor (an apperr.ParamError on "since").
func decodeChangesCursor(s string) (changesCursor, error) {
	if s == "" {
		return changesCursor{Version: changesCursorVersion}, nil
	}
	if len(s) > maxCursorChars {
		return changesCursor{}, errBadCursor
	}
	if strings.Contains(s, ":") { // never in base64url, always in RFC 3339
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return changesCursor{}, errBadCursor
		}
		// The second before t's, so records stored in t's second are included.
		return changesCursor{Version: changesCursorVersion, Since: max(t.Unix()-1, 0)}, nil
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) <= cursorChecksumLen {
		return changesCursor{}, errBadCursor
	}
	sum, payload := raw[:cursorChecksumLen], raw[cursorChecksumLen:]
	if !bytes.Equal(sum, cursorChecksum(payload)) {
		return changesCursor{}, errBadCursor
	}
	var cur changesCursor
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cur); err != nil || dec.More() {
		return changesCursor{}, errBadCursor
	}
	valid := cur.Version == changesCursorVersion && cur.Since >= 0 &&
		(cur.Until == 0 && cur.Continuation == "" || cur.Until > cur.Since) &&
		len(cur.Continuation) <= maxContinuationBytes
	if !valid {
		return changesCursor{}, errBadCursor
	}
	return cur, nil
}
