package devhost_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"

	"github.com/mediaspecs/catalogue/shared/devhost"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// blobCreated is the Event Grid event the stand-in writes.
type blobCreated struct {
	Topic           string `json:"topic"`
	Subject         string `json:"subject"`
	EventType       string `json:"eventType"`
	EventTime       string `json:"eventTime"`
	ID              string `json:"id"`
	DataVersion     string `json:"dataVersion"`
	MetadataVersion string `json:"metadataVersion"`
	Data            struct {
		API                string `json:"api"`
		ClientRequestID    string `json:"clientRequestId"`
		RequestID          string `json:"requestId"`
		ETag               string `json:"eTag"`
		ContentType        string `json:"contentType"`
		ContentLength      int64  `json:"contentLength"`
		BlobType           string `json:"blobType"`
		URL                string `json:"url"`
		Sequencer          string `json:"sequencer"`
		StorageDiagnostics struct {
			BatchID string `json:"batchId"`
		} `json:"storageDiagnostics"`
	} `json:"data"`
}

// decodeEvent decodes one queue message as Event Grid writes it: base64 of
// a single JSON object.
func decodeEvent(t *testing.T, text string) (blobCreated, json.RawMessage) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		t.Fatalf("event message is not base64: %v", err)
	}
	var ev blobCreated
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("event message is not one JSON object: %v: %s", err, raw)
	}
	return ev, raw
}

func upload(t *testing.T, c *azblob.Client, container, name, content string) string {
	t.Helper()
	resp, err := c.UploadBuffer(t.Context(), container, name, []byte(content), &azblob.UploadBufferOptions{
		HTTPHeaders: &blob.HTTPHeaders{BlobContentType: to.Ptr("text/csv")},
	})
	if err != nil {
		t.Fatalf("UploadBuffer: %v", err)
	}
	return `"` + strings.Trim(string(*resp.ETag), `"`) + `"`
}

// TestEventGridStandIn proves the Event Grid stand-in: one BlobCreated
// event per blob version (upload, then re-upload under the same name),
// encoded as Event Grid writes to a storage queue, and, across a devhost
// restart with the same state file, an event for a blob dropped while
// devhost was down but none again for the untouched one.
func TestEventGridStandIn(t *testing.T) {
	blobs, container := stacktest.BlobContainer(t)
	events := stacktest.Queue(t)
	eg := &devhost.EventGridConfig{
		Container:  container,
		Queue:      queueName(events),
		Connection: "Storage",
		StateFile:  t.TempDir() + "/eventgrid-state.json",
		Interval:   100 * time.Millisecond,
	}
	h := start(t, options{eventGrid: eg})

	name := "supplier-a/2026-01-15 titles.csv"
	etag1 := upload(t, blobs, container, name, "id,title\n1,One\n")
	waitFor(t, func() bool { return len(peekAll(t, events)) >= 1 }, "the first event")
	etag2 := upload(t, blobs, container, name, "id,title\n1,One\n2,Two\n")
	waitFor(t, func() bool { return len(peekAll(t, events)) >= 2 }, "the second event")
	h.stop()

	dropped := "late.csv"
	etag3 := upload(t, blobs, container, dropped, "id\n3\n")
	start(t, options{eventGrid: eg}) // ready only after its first scan

	texts := peekAll(t, events)
	if len(texts) != 3 {
		t.Fatalf("got %d events, want 3 (two versions of %s, one of %s)", len(texts), name, dropped)
	}
	for i, tc := range []struct {
		name, etag string
		length     int64
	}{
		{name, etag1, 15},
		{name, etag2, 21},
		{dropped, etag3, 5},
	} {
		ev, raw := decodeEvent(t, texts[i])
		if got := objectKeys(t, raw); !slices.Equal(got, []string{"topic", "subject", "eventType", "eventTime", "id", "data", "dataVersion", "metadataVersion"}) {
			t.Errorf("event keys = %v", got)
		}
		dataKeys := objectKeys(t, mustRaw(t, string(raw), "data"))
		if !slices.Equal(dataKeys, []string{"api", "clientRequestId", "requestId", "eTag", "contentType", "contentLength", "blobType", "url", "sequencer", "storageDiagnostics"}) {
			t.Errorf("data keys = %v", dataKeys)
		}
		segs := strings.Split(tc.name, "/")
		for j := range segs {
			segs[j] = url.PathEscape(segs[j])
		}
		wantURL := stacktest.BlobURL + "/" + container + "/" + strings.Join(segs, "/")
		switch {
		case ev.EventType != "Microsoft.Storage.BlobCreated",
			ev.Subject != "/blobServices/default/containers/"+container+"/blobs/"+tc.name,
			ev.Topic != "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devhost/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
			ev.DataVersion != "" || ev.MetadataVersion != "1",
			ev.Data.ETag != tc.etag,
			ev.Data.ContentType != "text/csv" || ev.Data.ContentLength != tc.length || ev.Data.BlobType != "BlockBlob",
			ev.Data.API != "PutBlob",
			ev.Data.URL != wantURL:
			t.Errorf("event %d = %+v\nwant subject .../blobs/%s, eTag %s, length %d, url %s", i, ev, tc.name, tc.etag, tc.length, wantURL)
		}
		if !regexp.MustCompile(`^`+utcNowPattern+`$`).MatchString(ev.EventTime) ||
			!regexp.MustCompile(`^`+guidPattern+`$`).MatchString(ev.ID) ||
			!regexp.MustCompile(`^[0-9A-F]{32}$`).MatchString(ev.Data.Sequencer) ||
			ev.Data.StorageDiagnostics.BatchID == "" || ev.Data.RequestID == "" || ev.Data.ClientRequestID == "" {
			t.Errorf("event %d: eventTime %q id %q sequencer %q: want 7-digit UTC, GUID, 32 hex digits", i, ev.EventTime, ev.ID, ev.Data.Sequencer)
		}
	}
	first, _ := decodeEvent(t, texts[0])
	second, _ := decodeEvent(t, texts[1])
	if second.Data.Sequencer <= first.Data.Sequencer {
		t.Errorf("sequencer %s of the second version is not after %s", second.Data.Sequencer, first.Data.Sequencer)
	}
}
