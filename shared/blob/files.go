package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Files reads and moves blobs of one storage account for the ingestion
// pipeline. Every method translates Storage failures into apperr kinds:
// 404 → NotFound, 409/412 → Conflict, anything else → Unavailable (retry).
type Files struct {
	client *azblob.Client
	// CopyPoll is the interval between checks of a pending server-side copy.
	CopyPoll time.Duration
}

// NewFiles returns Files over client.
func NewFiles(client *azblob.Client) *Files {
	return &Files{client: client, CopyPoll: 200 * time.Millisecond}
}

// Open streams one version of a blob: etag (quoted, as Event Grid sends it)
// must still be the blob's ETag, otherwise Conflict; a missing blob is
// NotFound. The reader retries interrupted downloads of the same version.
func (f *Files) Open(ctx context.Context, container, name, etag string) (_ io.ReadCloser, size int64, err error) {
	defer apperr.Wrap(&err, "blob.Open(%s/%s)", container, name)
	var cond *blob.AccessConditions
	if etag != "" {
		e := azcore.ETag(etag)
		cond = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &e}}
	}
	res, err := f.client.DownloadStream(ctx, container, name, &blob.DownloadStreamOptions{AccessConditions: cond})
	if err != nil {
		return nil, 0, translate(err)
	}
	size = -1
	if res.ContentLength != nil {
		size = *res.ContentLength
	}
	return res.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: 5}), size, nil
}

// Read returns a whole (small) blob.
func (f *Files) Read(ctx context.Context, container, name string) (_ []byte, err error) {
	defer apperr.Wrap(&err, "blob.Read(%s/%s)", container, name)
	rc, _, err := f.Open(ctx, container, name, "")
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	return b, nil
}

// Exists reports whether a blob exists.
func (f *Files) Exists(ctx context.Context, container, name string) (_ bool, err error) {
	defer apperr.Wrap(&err, "blob.Exists(%s/%s)", container, name)
	_, err = f.client.ServiceClient().NewContainerClient(container).NewBlobClient(name).GetProperties(ctx, nil)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(translate(err), apperr.NotFound):
		return false, nil
	default:
		return false, translate(err)
	}
}

// Put writes a whole blob, replacing any existing one.
func (f *Files) Put(ctx context.Context, container, name, contentType string, body []byte) (err error) {
	defer apperr.Wrap(&err, "blob.Put(%s/%s)", container, name)
	_, err = f.client.UploadStream(ctx, container, name, bytes.NewReader(body), &blockblob.UploadStreamOptions{
		HTTPHeaders: &blob.HTTPHeaders{BlobContentType: &contentType},
	})
	return translate(err)
}

// Move copies one version of a blob (etag) to dst in the same container,
// and only once the copy is confirmed deletes the source, still only if it
// has that ETag: a newer version uploaded meanwhile is kept for its own
// event. The file is never lost: a failure leaves at least one copy.
func (f *Files) Move(ctx context.Context, container, src, dst, etag string) error {
	if err := f.Copy(ctx, container, src, dst, etag); err != nil {
		return err
	}
	return f.DeleteVersion(ctx, container, src, etag)
}

// Copy copies one version of a blob (etag; Conflict when the source has
// another) to dst in the same container and returns once the copy is
// confirmed complete.
func (f *Files) Copy(ctx context.Context, container, src, dst, etag string) (err error) {
	defer apperr.Wrap(&err, "blob.Copy(%s/%s → %s)", container, src, dst)
	cc := f.client.ServiceClient().NewContainerClient(container)
	source := cc.NewBlobClient(src)
	target := cc.NewBlobClient(dst)
	e := azcore.ETag(etag)
	res, err := target.StartCopyFromURL(ctx, source.URL(), &blob.StartCopyFromURLOptions{
		SourceModifiedAccessConditions: &blob.SourceModifiedAccessConditions{SourceIfMatch: &e},
	})
	if err != nil {
		return translate(err)
	}
	status := blob.CopyStatusTypePending
	if res.CopyStatus != nil {
		status = *res.CopyStatus
	}
	for status == blob.CopyStatusTypePending {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for the copy: %v", apperr.Unavailable, ctx.Err())
		case <-time.After(f.CopyPoll):
		}
		p, err := target.GetProperties(ctx, nil)
		if err != nil {
			return translate(err)
		}
		status = blob.CopyStatusTypeSuccess // no copy state left: the copy completed synchronously
		if p.CopyStatus != nil {
			status = *p.CopyStatus
		}
	}
	if status != blob.CopyStatusTypeSuccess {
		return fmt.Errorf("%w: copy ended %s", apperr.Unavailable, status)
	}
	return nil
}

// DeleteVersion deletes a blob only if its ETag is etag. A missing blob or
// a newer version (a re-upload) is left alone without error.
func (f *Files) DeleteVersion(ctx context.Context, container, name, etag string) (err error) {
	defer apperr.Wrap(&err, "blob.DeleteVersion(%s/%s)", container, name)
	e := azcore.ETag(etag)
	_, err = f.client.ServiceClient().NewContainerClient(container).NewBlobClient(name).Delete(ctx, &blob.DeleteOptions{
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &e}},
	})
	if err == nil {
		return nil
	}
	err = translate(err)
	if errors.Is(err, apperr.NotFound) || errors.Is(err, apperr.Conflict) {
		return nil
	}
	return err
}

// translate maps a Storage error to an apperr kind.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return fmt.Errorf("%w: %v", apperr.Unavailable, err)
	}
	switch re.StatusCode {
	case http.StatusNotFound:
		return fmt.Errorf("%w: storage %d %s", apperr.NotFound, re.StatusCode, re.ErrorCode)
	case http.StatusConflict, http.StatusPreconditionFailed:
		return fmt.Errorf("%w: storage %d %s", apperr.Conflict, re.StatusCode, re.ErrorCode)
	default:
		return fmt.Errorf("%w: storage %d %s", apperr.Unavailable, re.StatusCode, re.ErrorCode)
	}
}
