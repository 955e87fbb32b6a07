package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Manifests keeps one ingest manifest per supplier, the blob
// <prefix><supplier>.manifest in one container, with the claim protocol
// pipeline.Manifests describes: Begin reads the manifest and replaces it by
// a "file in progress" marker; Commit writes the new manifest only if the
// marker is still the one Begin wrote, and otherwise removes whatever is
// there. What the bodies mean is the pipeline's business.
type Manifests struct {
	client    *azblob.Client
	container string
	prefix    string
}

// NewManifests returns Manifests stored in container under prefix (e.g.
// "_manifests/").
func NewManifests(client *azblob.Client, container, prefix string) *Manifests {
	return &Manifests{client: client, container: container, prefix: prefix}
}

func (m *Manifests) name(supplier string) string { return m.prefix + supplier + ".manifest" }

// Begin returns the supplier's manifest blob (nil when there is none) and
// replaces it by marker, returning the marker's ETag.
func (m *Manifests) Begin(ctx context.Context, supplier string, marker []byte) (body []byte, token string, err error) {
	defer apperr.Wrap(&err, "blob.Manifests.Begin(%s)", supplier)
	name := m.name(supplier)
	res, err := m.client.DownloadStream(ctx, m.container, name, nil)
	switch {
	case err == nil:
		body, err = io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, "", fmt.Errorf("%w: %v", apperr.Unavailable, err)
		}
	case errors.Is(translate(err), apperr.NotFound):
	default:
		return nil, "", translate(err)
	}
	up, err := m.client.UploadBuffer(ctx, m.container, name, marker, nil)
	if err != nil {
		return nil, "", translate(err)
	}
	return body, string(*up.ETag), nil
}

// Commit replaces the marker written by Begin (token) by body, or deletes
// it when body is empty. When the blob is no longer that marker (another
// file of the supplier began meanwhile) or token is "" (the caller knows of
// such a file), it deletes whatever is there and returns false: neither
// file's manifest can be trusted.
func (m *Manifests) Commit(ctx context.Context, supplier, token string, body []byte) (committed bool, err error) {
	defer apperr.Wrap(&err, "blob.Manifests.Commit(%s)", supplier)
	name := m.name(supplier)
	e := azcore.ETag(token)
	cond := &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &e}}
	switch {
	case token == "":
		err = fmt.Errorf("%w: another file of %s was in progress", apperr.Conflict, supplier)
	case len(body) == 0:
		_, err = m.client.ServiceClient().NewContainerClient(m.container).NewBlobClient(name).Delete(ctx, &blob.DeleteOptions{AccessConditions: cond})
		err = translate(err)
	default:
		_, err = m.client.UploadStream(ctx, m.container, name, bytes.NewReader(body), &blockblob.UploadStreamOptions{AccessConditions: cond})
		err = translate(err)
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, apperr.Conflict) || errors.Is(err, apperr.NotFound):
		_, derr := m.client.DeleteBlob(ctx, m.container, name, nil)
		if derr = translate(derr); derr != nil && !errors.Is(derr, apperr.NotFound) {
			return false, derr
		}
		return false, nil
	default:
		return false, err
	}
}
