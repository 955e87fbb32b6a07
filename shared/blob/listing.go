package blob

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// maxReportBytes bounds what ReadReport loads: reports carry at most
// ingest.DefaultLimits.MaxReportErrors row errors, well under this.
const maxReportBytes = 32 << 20

// ReadReport returns <Container>/<name>; apperr.NotFound when absent.
func (r *Reports) ReadReport(ctx context.Context, name string) (_ []byte, err error) {
	defer apperr.Wrap(&err, "blob.Reports.ReadReport(%s/%s)", r.Container, name)
	resp, err := r.Client.DownloadStream(ctx, r.Container, name, nil)
	if err != nil {
		return nil, translate(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(resp.Body, maxReportBytes+1)); err != nil {
		return nil, fmt.Errorf("%w: reading: %v", apperr.Unavailable, err)
	}
	if buf.Len() > maxReportBytes {
		return nil, fmt.Errorf("report over %d bytes", maxReportBytes)
	}
	return buf.Bytes(), nil
}

// ReportInfo describes one stored report.
type ReportInfo struct {
	Name         string    `json:"name"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"lastModified"`
}

// List returns up to max reports whose names start with prefix, in name
// order, starting after the Storage marker (from a previous page; "" for the
// first), and the marker of the next page ("" when none).
func (r *Reports) List(ctx context.Context, prefix, marker string, max int32) (_ []ReportInfo, next string, err error) {
	defer apperr.Wrap(&err, "blob.Reports.List(%s/%s)", r.Container, prefix)
	opts := &container.ListBlobsFlatOptions{Prefix: &prefix, MaxResults: &max}
	if marker != "" {
		opts.Marker = &marker
	}
	page, err := r.Client.NewListBlobsFlatPager(r.Container, opts).NextPage(ctx)
	if err != nil {
		return nil, "", translate(err)
	}
	out := make([]ReportInfo, 0, len(page.Segment.BlobItems))
	for _, b := range page.Segment.BlobItems {
		info := ReportInfo{Name: *b.Name}
		if p := b.Properties; p != nil {
			if p.ContentLength != nil {
				info.Size = *p.ContentLength
			}
			if p.LastModified != nil {
				info.LastModified = p.LastModified.UTC()
			}
		}
		out = append(out, info)
	}
	if page.NextMarker != nil {
		next = *page.NextMarker
	}
	return out, next, nil
}

// QueueSender sends messages to one Storage queue, base64-encoded as the
// Functions host expects (host.json extensions.queues.messageEncoding).
type QueueSender struct {
	Client *azqueue.QueueClient
}

// Enqueue sends body as one message.
func (q *QueueSender) Enqueue(ctx context.Context, body []byte) error {
	if _, err := q.Client.EnqueueMessage(ctx, base64.StdEncoding.EncodeToString(body), nil); err != nil {
		return fmt.Errorf("%w: enqueue: %v", apperr.Unavailable, err)
	}
	return nil
}
