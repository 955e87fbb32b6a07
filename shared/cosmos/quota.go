package cosmos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/quota"
)

// DefaultQuotaTTL is how long a day's quota document is kept: a week past
// the day for support questions, then Cosmos deletes it.
const DefaultQuotaTTL = 8 * 24 * time.Hour

// QuotaLedger is the B2B daily quota ledger (quota.Ledger) in the
// maintenance container (partition key /id), one document per client and
// UTC day:
//
//	{"id": "quota:<client>:<yyyy-mm-dd>", "type": "quota", "client": …,
//	 "day": …, "count": <n>, "ttl": <seconds>}
//
// The client id is path-escaped in the document id (Cosmos ids may not hold
// '/', '\', '?' or '#'). Add is one patch with an Increment operation, which
// Cosmos applies atomically on the server, so concurrent instances never lose
// an update and no ETag loop is needed; only the first Add of a day creates
// the document (see Add).
//
// The ttl field removes old days only if the container has TTL enabled
// (default_ttl = -1 in infra/cosmos.tf: on, nothing expires by default, so
// the lease documents stay). The local cosmosdb-server ignores ttl, so tests
// never depend on expiry.
//
// Counting is at-least-once: the SDK retries a patch whose response was lost
// (timeouts, 5xx, 429), and an increment the server had already applied is
// then applied twice. The error only ever counts more, never less.
type QuotaLedger struct {
	container *azcosmos.ContainerClient
	// TTL is the documents' time to live; DefaultQuotaTTL when zero.
	TTL time.Duration
}

// NewQuotaLedger returns a ledger over container (the maintenance container).
func NewQuotaLedger(container *azcosmos.ContainerClient) *QuotaLedger {
	return &QuotaLedger{container: container}
}

var _ quota.Ledger = (*QuotaLedger)(nil)

type quotaDoc struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Client string `json:"client"`
	Day    string `json:"day"`
	Count  int64  `json:"count"`
	TTL    int64  `json:"ttl"`
}

// QuotaDocID is the document id of clientID's count for day.
func QuotaDocID(clientID, day string) string {
	return "quota:" + url.PathEscape(clientID) + ":" + day
}

// Add implements quota.Ledger: a patch incrementing count by n; on 404 it
// creates the document with count n; if another instance created it in
// between (409), the patch is retried.
func (l *QuotaLedger) Add(ctx context.Context, clientID, day string, n int64) (total int64, err error) {
	defer apperr.Wrap(&err, "cosmos.QuotaLedger.Add(%q, %s)", clientID, day)
	if n < 0 {
		return 0, fmt.Errorf("%w: negative increment %d", apperr.InvalidArgument, n)
	}
	id := QuotaDocID(clientID, day)
	pk := azcosmos.NewPartitionKeyString(id)
	var ops azcosmos.PatchOperations
	ops.AppendIncrement("/count", n)
	// Ask for the patched document: the new count is the answer.
	opts := &azcosmos.ItemOptions{EnableContentResponseOnWrite: true}

	for range 3 {
		res, err := l.container.PatchItem(ctx, pk, id, ops, opts)
		if err == nil {
			return countOf(res.Value)
		}
		if !isStatus(err, http.StatusNotFound) {
			return 0, translate(err)
		}
		ttl := l.TTL
		if ttl <= 0 {
			ttl = DefaultQuotaTTL
		}
		doc, _ := json.Marshal(quotaDoc{ID: id, Type: "quota", Client: clientID, Day: day, Count: n, TTL: int64(ttl.Seconds())})
		if _, err := l.container.CreateItem(ctx, pk, doc, nil); err == nil {
			return n, nil
		} else if !isStatus(err, http.StatusConflict) {
			return 0, translate(err)
		}
		// Another instance created it first: patch that document.
	}
	return 0, fmt.Errorf("%w: quota document %s neither patchable nor creatable", apperr.Unavailable, id)
}

func countOf(body []byte) (int64, error) {
	var doc quotaDoc
	if err := json.Unmarshal(body, &doc); err != nil || len(body) == 0 {
		return 0, fmt.Errorf("%w: unreadable quota document in the patch response (%d bytes)", apperr.Unavailable, len(body))
	}
	return doc.Count, nil
}

func isStatus(err error, code int) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == code
}
