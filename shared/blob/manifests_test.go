package blob_test

import (
	"errors"
	"testing"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// TestManifestsClaimProtocol runs Begin/Commit against Azurite: a commit
// lands only over the committer's own marker; an overlapping Begin makes
// the earlier file's commit remove everything.
func TestManifestsClaimProtocol(t *testing.T) {
	stacktest.Require(t, stacktest.Azurite)
	client, container := stacktest.BlobContainer(t)
	m := blob.NewManifests(client, container, "_manifests/")
	files := blob.NewFiles(client)
	ctx := t.Context()

	old, token, err := m.Begin(ctx, "acme", []byte("busy-1"))
	if err != nil || old != nil || token == "" {
		t.Fatalf("first Begin = %q, %q, %v; want no manifest and a token", old, token, err)
	}
	if ok, err := m.Commit(ctx, "acme", token, []byte("manifest-1")); err != nil || !ok {
		t.Fatalf("Commit over its own marker = %v, %v", ok, err)
	}
	old, tokenA, err := m.Begin(ctx, "acme", []byte("busy-A"))
	if err != nil || string(old) != "manifest-1" {
		t.Fatalf("Begin A = %q, %v; want manifest-1", old, err)
	}
	old, tokenB, err := m.Begin(ctx, "acme", []byte("busy-B"))
	if err != nil || string(old) != "busy-A" {
		t.Fatalf("Begin B = %q, %v; want A's marker", old, err)
	}
	if ok, err := m.Commit(ctx, "acme", tokenA, []byte("manifest-A")); err != nil || ok {
		t.Fatalf("Commit A after B began = %v, %v; want false", ok, err)
	}
	if _, err := files.Read(ctx, container, "_manifests/acme.manifest"); !errors.Is(err, apperr.NotFound) {
		t.Fatalf("after the refused commit the blob is still there (%v)", err)
	}
	if ok, err := m.Commit(ctx, "acme", tokenB, []byte("manifest-B")); err != nil || ok {
		t.Fatalf("Commit B after A removed the marker = %v, %v; want false", ok, err)
	}
	// An empty body releases the claim; token "" never commits.
	_, token, _ = m.Begin(ctx, "acme", []byte("busy-C"))
	if ok, err := m.Commit(ctx, "acme", token, nil); err != nil || !ok {
		t.Fatalf("releasing = %v, %v", ok, err)
	}
	if ok, err := m.Commit(ctx, "acme", "", []byte("x")); err != nil || ok {
		t.Fatalf("Commit with no token = %v, %v; want false", ok, err)
	}
	if _, err := files.Read(ctx, container, "_manifests/acme.manifest"); !errors.Is(err, apperr.NotFound) {
		t.Fatalf("a manifest was left behind (%v)", err)
	}
}
