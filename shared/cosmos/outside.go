package cosmos

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// OutsideWrites is the log of titles written by anything but supplier
// ingestion: Store.Upsert and Store.Replace record every title they write
// here before writing it. The ingest manifest (shared/pipeline) trusts a
// supplier's previous delivery only for titles this log does not list since
// that delivery began, so a title changed by an editor or a tool is merged
// again on the supplier's next file instead of being skipped.
//
// The log is one small document in the maintenance container, read with one
// point read: asking Cosmos DB which titles changed (a query over the media
// container) costs a scan on the local emulator and, after a first
// delivery, reads every title on Cosmos DB too. Out-of-band writes are rare
// (editors, tools, repairs), so contention on the document is low and is
// resolved with If-Match retries.
//
// The document is bounded: at most outsideWritesMax titles and none older
// than outsideWritesKeep. Dropping an entry moves completeSince past it; a
// question about an earlier time fails (the caller then trusts nothing).
// Its epoch is drawn when the document is created, so a log that was
// deleted and begun again is never mistaken for the one a manifest checked.
type OutsideWrites struct {
	container *azcosmos.ContainerClient
	// Now is the clock; nil means time.Now (tests set it).
	Now func() time.Time
}

// NewOutsideWrites returns the log kept in container (the maintenance
// container: partition key /id).
func NewOutsideWrites(container *azcosmos.ContainerClient) *OutsideWrites {
	return &OutsideWrites{container: container}
}

const (
	outsideWritesID   = "outside-title-writes"
	outsideWritesMax  = 5_000
	outsideWritesKeep = 60 * 24 * time.Hour
	// outsideWritesRetries bounds the If-Match retries of one record.
	outsideWritesRetries = 20
	// OutsideWriteDeadline bounds a title write after its record: an entry
	// time is at most this much earlier than the write it announces, which
	// the manifest's clock-skew margin (5 minutes) covers.
	OutsideWriteDeadline = time.Minute
)

type outsideWritesDoc struct {
	ID    string `json:"id"`
	Epoch string `json:"epoch"`
	// CompleteSince (Unix seconds): every outside write recorded at or
	// after it is listed; 0 means since the epoch began.
	CompleteSince int64          `json:"completeSince"`
	Entries       []outsideWrite `json:"entries"`
}

type outsideWrite struct {
	Title string `json:"title"`
	// At (Unix seconds, the writer's clock) is taken before the write.
	At int64 `json:"at"`
}

// ErrOutsideWritesIncomplete: the log no longer lists every outside write
// since the time asked about (entries were dropped to stay bounded).
var ErrOutsideWritesIncomplete = errors.New("outside writes log no longer complete for that time")

func (o *OutsideWrites) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Record notes that the titles ids are about to be written outside
// ingestion. Call it before the write: a write that then fails leaves a
// harmless entry; the other order could lose one.
func (o *OutsideWrites) Record(ctx context.Context, ids ...string) (err error) {
	defer apperr.Wrap(&err, "cosmos.OutsideWrites.Record(%d titles)", len(ids))
	if len(ids) == 0 {
		return nil
	}
	for attempt := 0; ; attempt++ {
		doc, etag, err := o.read(ctx)
		if errors.Is(err, apperr.NotFound) {
			doc, err = newOutsideWritesDoc()
		}
		if err != nil {
			return err
		}
		doc.add(o.now(), ids)
		err = o.write(ctx, doc, etag)
		if err == nil || !errors.Is(err, apperr.Conflict) || attempt >= outsideWritesRetries {
			return err
		}
	}
}

// Since returns the log's epoch and the titles written outside ingestion at
// or after since (to the second). With a zero since it returns the epoch
// alone. A log that does not exist yet is created, so that its epoch is
// stable from the first question on. ErrOutsideWritesIncomplete means the
// log can no longer answer for since.
func (o *OutsideWrites) Since(ctx context.Context, since time.Time) (epoch string, ids []string, err error) {
	defer apperr.Wrap(&err, "cosmos.OutsideWrites.Since")
	doc, _, err := o.read(ctx)
	if errors.Is(err, apperr.NotFound) {
		if doc, err = newOutsideWritesDoc(); err == nil {
			err = o.write(ctx, doc, "")
		}
		if errors.Is(err, apperr.Conflict) { // created meanwhile: read that one
			doc, _, err = o.read(ctx)
		}
	}
	if err != nil {
		return "", nil, err
	}
	if since.IsZero() {
		return doc.Epoch, nil, nil
	}
	if doc.CompleteSince > since.Unix() {
		return doc.Epoch, nil, fmt.Errorf("%w: complete since %s, asked for %s", ErrOutsideWritesIncomplete,
			time.Unix(doc.CompleteSince, 0).UTC().Format(time.RFC3339), since.UTC().Format(time.RFC3339))
	}
	for _, e := range doc.Entries {
		if e.At >= since.Unix() {
			ids = append(ids, e.Title)
		}
	}
	return doc.Epoch, ids, nil
}

func newOutsideWritesDoc() (*outsideWritesDoc, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &outsideWritesDoc{ID: outsideWritesID, Epoch: hex.EncodeToString(b)}, nil
}

// add records ids at now (one entry a title: a later write moves it) and
// drops what the bounds exclude, moving CompleteSince past it.
func (d *outsideWritesDoc) add(now time.Time, ids []string) {
	at := now.Unix()
	d.Entries = slices.DeleteFunc(d.Entries, func(e outsideWrite) bool { return slices.Contains(ids, e.Title) })
	for _, id := range ids {
		d.Entries = append(d.Entries, outsideWrite{Title: id, At: at})
	}
	// Oldest first (a clock set back may have appended out of order).
	slices.SortStableFunc(d.Entries, func(a, b outsideWrite) int { return cmp.Compare(a.At, b.At) })
	cut := 0
	for cut < len(d.Entries) && (len(d.Entries)-cut > outsideWritesMax || d.Entries[cut].At < now.Add(-outsideWritesKeep).Unix()) {
		d.CompleteSince = max(d.CompleteSince, d.Entries[cut].At+1)
		cut++
	}
	d.Entries = d.Entries[cut:]
}

func (o *OutsideWrites) read(ctx context.Context) (*outsideWritesDoc, string, error) {
	res, err := o.container.ReadItem(ctx, azcosmos.NewPartitionKeyString(outsideWritesID), outsideWritesID, nil)
	if err != nil {
		return nil, "", translate(err)
	}
	var doc outsideWritesDoc
	if err := json.Unmarshal(res.Value, &doc); err != nil {
		return nil, "", fmt.Errorf("decoding the outside writes log: %w", err)
	}
	return &doc, string(res.ETag), nil
}

// write creates doc (etag "") or replaces it if its ETag is still etag;
// either way a concurrent writer gives Conflict.
func (o *OutsideWrites) write(ctx context.Context, doc *outsideWritesDoc, etag string) error {
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	pk := azcosmos.NewPartitionKeyString(outsideWritesID)
	if etag == "" {
		_, err = o.container.CreateItem(ctx, pk, body, &azcosmos.ItemOptions{EnableContentResponseOnWrite: false})
	} else {
		e := azcore.ETag(etag)
		_, err = o.container.ReplaceItem(ctx, pk, outsideWritesID, body, &azcosmos.ItemOptions{IfMatchEtag: &e, EnableContentResponseOnWrite: false})
	}
	if err != nil {
		return translate(err)
	}
	return nil
}
