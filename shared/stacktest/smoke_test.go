package stacktest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// The smoke tests prove that each real local service works with the SDK the
// system uses against it in production.

func TestAzuriteBlobRoundTrip(t *testing.T) {
	t.Parallel()
	c, container := stacktest.BlobContainer(t)
	ctx := t.Context()
	content := []byte("titre;éditeur\nLe Soir;Rossel\n")
	if _, err := c.UploadBuffer(ctx, container, "supplier/a.csv", content, nil); err != nil {
		t.Fatalf("UploadBuffer: %v", err)
	}
	var names []string
	pager := c.NewListBlobsFlatPager(container, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("listing blobs: %v", err)
		}
		for _, b := range page.Segment.BlobItems {
			names = append(names, *b.Name)
		}
	}
	if len(names) != 1 || names[0] != "supplier/a.csv" {
		t.Fatalf("listed blobs = %v, want [supplier/a.csv]", names)
	}
	resp, err := c.DownloadStream(ctx, container, "supplier/a.csv", nil)
	if err != nil {
		t.Fatalf("DownloadStream: %v", err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatalf("downloaded %q, want %q", got, content)
	}
	if _, err := c.DeleteBlob(ctx, container, "supplier/a.csv", nil); err != nil {
		t.Fatalf("DeleteBlob: %v", err)
	}
	if _, err := c.DownloadStream(ctx, container, "supplier/a.csv", nil); !isStatus(err, http.StatusNotFound) {
		t.Fatalf("download after delete: err = %v, want 404", err)
	}
}

func TestAzuriteQueueSendReceive(t *testing.T) {
	t.Parallel()
	q := stacktest.Queue(t)
	ctx := t.Context()
	if _, err := q.EnqueueMessage(ctx, `{"ids":["m-1"]}`, nil); err != nil {
		t.Fatalf("EnqueueMessage: %v", err)
	}
	resp, err := q.DequeueMessage(ctx, &azqueue.DequeueMessageOptions{VisibilityTimeout: to.Ptr(int32(30))})
	if err != nil {
		t.Fatalf("DequeueMessage: %v", err)
	}
	if len(resp.Messages) != 1 {
		t.Fatalf("dequeued %d messages, want 1", len(resp.Messages))
	}
	m := resp.Messages[0]
	if got := *m.MessageText; got != `{"ids":["m-1"]}` {
		t.Errorf("message text = %q, want %q", got, `{"ids":["m-1"]}`)
	}
	if got := *m.DequeueCount; got != 1 {
		t.Errorf("dequeue count = %d, want 1", got)
	}
	if _, err := q.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	again, err := q.DequeueMessage(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Messages) != 0 {
		t.Fatalf("queue still holds %d messages after delete", len(again.Messages))
	}
}

type smokeDoc struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Country     string `json:"country"`
	Circulation int    `json:"circulation"`
}

func TestCosmosCRUDQueryETagPatch(t *testing.T) {
	t.Parallel()
	db := stacktest.CosmosDatabase(t)
	ctx := t.Context()
	props := azcosmos.ContainerProperties{
		ID:                     "media",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/id"}},
	}
	if _, err := db.CreateContainer(ctx, props, nil); err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	c, err := db.NewContainer("media")
	if err != nil {
		t.Fatal(err)
	}
	docs := []smokeDoc{
		{ID: "be-lesoir", Name: "Le Soir", Country: "BE", Circulation: 60000},
		{ID: "be-destandaard", Name: "De Standaard", Country: "BE", Circulation: 90000},
		{ID: "fr-liberation", Name: "Libération", Country: "FR", Circulation: 70000},
	}
	for _, d := range docs {
		body, _ := json.Marshal(d)
		if _, err := c.UpsertItem(ctx, azcosmos.NewPartitionKeyString(d.ID), body, nil); err != nil {
			t.Fatalf("UpsertItem(%s): %v", d.ID, err)
		}
	}

	read, err := c.ReadItem(ctx, azcosmos.NewPartitionKeyString("fr-liberation"), "fr-liberation", nil)
	if err != nil {
		t.Fatalf("ReadItem: %v", err)
	}
	var got smokeDoc
	if err := json.Unmarshal(read.Value, &got); err != nil {
		t.Fatal(err)
	}
	if got != docs[2] {
		t.Fatalf("ReadItem = %+v, want %+v", got, docs[2])
	}

	q := c.NewQueryItemsPager("SELECT * FROM c WHERE c.country = @country ORDER BY c.circulation DESC",
		azcosmos.NewPartitionKey(), &azcosmos.QueryOptions{
			QueryParameters: []azcosmos.QueryParameter{{Name: "@country", Value: "BE"}},
		})
	var ids []string
	for q.More() {
		page, err := q.NextPage(ctx)
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		for _, item := range page.Items {
			var d smokeDoc
			if err := json.Unmarshal(item, &d); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ID)
		}
	}
	if strings.Join(ids, ",") != "be-destandaard,be-lesoir" {
		t.Fatalf("query ids = %v, want [be-destandaard be-lesoir]", ids)
	}

	// Optimistic concurrency: a replace with a stale ETag is refused with 412.
	stale := read.ETag
	got.Circulation = 71000
	body, _ := json.Marshal(got)
	if _, err := c.ReplaceItem(ctx, azcosmos.NewPartitionKeyString(got.ID), got.ID, body,
		&azcosmos.ItemOptions{IfMatchEtag: &stale}); err != nil {
		t.Fatalf("ReplaceItem with current ETag: %v", err)
	}
	_, err = c.ReplaceItem(ctx, azcosmos.NewPartitionKeyString(got.ID), got.ID, body,
		&azcosmos.ItemOptions{IfMatchEtag: &stale})
	if !isStatus(err, http.StatusPreconditionFailed) {
		t.Fatalf("ReplaceItem with stale ETag: err = %v, want 412", err)
	}

	// Patch sets one field without rewriting the document.
	var patch azcosmos.PatchOperations
	patch.AppendSet("/circulation", 72000)
	if _, err := c.PatchItem(ctx, azcosmos.NewPartitionKeyString(got.ID), got.ID, patch, nil); err != nil {
		t.Fatalf("PatchItem: %v", err)
	}
	read, err = c.ReadItem(ctx, azcosmos.NewPartitionKeyString(got.ID), got.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(read.Value, &got); err != nil {
		t.Fatal(err)
	}
	if got.Circulation != 72000 || got.Name != "Libération" {
		t.Fatalf("after patch = %+v, want circulation 72000 and name kept", got)
	}
}

func isStatus(err error, code int) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == code
}
