package blob

import (
	"context"
	"encoding/base64"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Messages sends messages to one Storage queue that a Functions queue
// trigger reads. host.json sets messageEncoding to base64, so each body is
// base64-encoded here exactly as the host's own queue output binding does.
type Messages struct {
	queue *azqueue.QueueClient
}

// NewMessages returns Messages over queue.
func NewMessages(queue *azqueue.QueueClient) *Messages { return &Messages{queue: queue} }

// Send enqueues body (at most 48 KB, so that it stays under the 64 KB
// message limit once encoded). Failures are apperr kinds, as for blobs.
func (m *Messages) Send(ctx context.Context, body []byte) (err error) {
	defer apperr.Wrap(&err, "blob.Messages.Send(%d bytes)", len(body))
	_, err = m.queue.EnqueueMessage(ctx, base64.StdEncoding.EncodeToString(body), nil)
	return translate(err)
}
