package blob_test

import (
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func TestDeleteOlderThanTouchesOnlyItsPrefix(t *testing.T) {
	t.Parallel()
	c, container := stacktest.BlobContainer(t)
	ctx := t.Context()
	for _, name := range []string{"processed/rossel/a.csv", "processed/rossel/b.csv", "rossel/new.csv"} {
		if _, err := c.UploadBuffer(ctx, container, name, []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing is older than an hour ago.
	if n, err := blob.DeleteOlderThan(ctx, c, container, "processed/", time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("deleted %d (%v), want 0", n, err)
	}
	// Everything is older than an hour from now, but only processed/ is touched.
	if n, err := blob.DeleteOlderThan(ctx, c, container, "processed/", time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("deleted %d (%v), want 2", n, err)
	}
	var left []string
	pager := c.NewListBlobsFlatPager(container, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Segment.BlobItems {
			left = append(left, *b.Name)
		}
	}
	if len(left) != 1 || left[0] != "rossel/new.csv" {
		t.Errorf("left %v, want only the fresh drop", left)
	}
}

func TestReportsWriteJSON(t *testing.T) {
	t.Parallel()
	c, container := stacktest.BlobContainer(t)
	r := &blob.Reports{Client: c, Container: container}
	if err := r.WriteReport(t.Context(), "2026-11-26/023000.json", []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	props, err := c.ServiceClient().NewContainerClient(container).NewBlobClient("2026-11-26/023000.json").GetProperties(t.Context(), nil)
	if err != nil || props.ContentType == nil || *props.ContentType != "application/json" {
		t.Errorf("report blob: %v %v", props.ContentType, err)
	}
}
