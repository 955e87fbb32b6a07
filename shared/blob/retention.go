package blob

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// DeleteOlderThan deletes the blobs under prefix in a container whose last
// modification is before cutoff, and returns how many it deleted. Retention
// only ever touches the prefixes it is given (processed/, rejected/,
// reports), never fresh supplier drops.
func DeleteOlderThan(ctx context.Context, c *azblob.Client, containerName, prefix string, cutoff time.Time) (deleted int, err error) {
	defer apperr.Wrap(&err, "blob.DeleteOlderThan(%s/%s)", containerName, prefix)
	pager := c.NewListBlobsFlatPager(containerName, &container.ListBlobsFlatOptions{Prefix: &prefix})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return deleted, fmt.Errorf("%w: listing: %v", apperr.Unavailable, err)
		}
		for _, b := range page.Segment.BlobItems {
			if b.Properties == nil || b.Properties.LastModified == nil || !b.Properties.LastModified.Before(cutoff) {
				continue
			}
			if _, err := c.DeleteBlob(ctx, containerName, *b.Name, nil); err != nil {
				return deleted, fmt.Errorf("%w: deleting %s: %v", apperr.Unavailable, *b.Name, err)
			}
			deleted++
		}
	}
	return deleted, nil
}

// Reports writes job reports as JSON blobs into one container.
type Reports struct {
	Client    *azblob.Client
	Container string
}

// WriteReport uploads body as <Container>/<name>.
func (r *Reports) WriteReport(ctx context.Context, name string, body []byte) error {
	ct := "application/json"
	_, err := r.Client.UploadBuffer(ctx, r.Container, name, body, &azblob.UploadBufferOptions{HTTPHeaders: &azblobblob.HTTPHeaders{BlobContentType: &ct}})
	if err != nil {
		return fmt.Errorf("%w: uploading report %s: %v", apperr.Unavailable, name, err)
	}
	return nil
}
