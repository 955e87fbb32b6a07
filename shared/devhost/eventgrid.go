package devhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
)

// The Event Grid stand-in replaces, locally, the Event Grid subscription
// that in Azure sends the supplier container's BlobCreated events to the
// ingest queue. What it writes follows these sources:
//
// Event shape — MicrosoftDocs/azure-docs articles/event-grid/event-schema-blob-storage.md
// (commit 03adcc30, "Event Grid event schema" tab, Microsoft.Storage.BlobCreated):
// top-level topic (/subscriptions/{id}/resourceGroups/{rg}/providers/
// Microsoft.Storage/storageAccounts/{account}), subject
// (/blobServices/default/containers/{container}/blobs/{name}), eventType,
// eventTime, id, data, dataVersion ("" for blob events) and metadataVersion
// ("1"); data holds api, clientRequestId, requestId, eTag (quoted, as in
// "\"0x8D4BCC2E4835CD0\""), contentType, contentLength, blobType, url,
// sequencer and storageDiagnostics{batchId}. The example there is an
// array because that is the webhook batch format.
//
// Delivery to a queue — articles/event-grid/handler-storage-queues.md
// (commit 01629349) only shows the subscription (endpointType StorageQueue,
// eventDeliverySchema EventGridSchema) and says nothing about the message
// format. The quickstart articles/event-grid/custom-event-to-queue-storage.md
// (2021 text) said Event Grid writes "plain text", but
// MicrosoftDocs/azure-docs#102923 (2022-12) reports that messages "pushed by
// EventGrid are base64 encoded", and the SDK samples that read such queues
// agree: Azure/azure-sdk-for-python
// sdk/eventgrid/azure-eventgrid/samples/champion_scenarios/sample_consume_from_storage_queue.py
// reads each message with BinaryBase64DecodePolicy and json.loads() it into
// ONE event, and Azure/azure-sdk-for-java ReceiveEventsFromEventHandler.java
// base64-decodes each message text before parsing. So: one queue message
// per event, holding the event as a single JSON object (not an array),
// base64-encoded UTF-8 — which the queue trigger's default base64
// messageEncoding decodes. Event Grid's encoding does not depend on the
// function app's host.json, so neither does devhost's.

// EventGridConfig configures the Event Grid stand-in.
type EventGridConfig struct {
	// Disabled turns the stand-in off.
	Disabled bool
	// Container is the watched blob container; default the app setting
	// SUPPLIER_CONTAINER, else "supplier-drop".
	Container string
	// Queue receives the events; default the app setting INGEST_QUEUE, else
	// "ingest-events". It is created if missing.
	Queue string
	// Connection names the app setting holding the storage connection
	// string; default "Storage".
	Connection string
	// StateFile keeps the ETag of every blob already announced, so a
	// restart neither repeats nor misses events; default
	// <temp>/mediaspecs-devhost/eventgrid-<hash>.json.
	StateFile string
	// Interval is the time between container scans; default 1 s.
	Interval time.Duration
}

// eventGridWatcher announces every new blob version in a container.
type eventGridWatcher struct {
	cfg       EventGridConfig
	blobs     *azblob.Client
	queue     *azqueue.QueueClient
	account   string
	topic     string
	blobURL   string // service URL, ending in /
	stateKey  string
	state     *eventGridState
	log       *slog.Logger
	lastError string
}

// eventGridState is the state file: per subscription (account/container
// -> queue), the announced ETag of each blob name.
type eventGridState struct {
	Version       int                          `json:"version"`
	Subscriptions map[string]map[string]string `json:"subscriptions"`
}

func newEventGridWatcher(cfg EventGridConfig, st *settings, log *slog.Logger) (*eventGridWatcher, error) {
	if cfg.Container == "" {
		cfg.Container = settingOr(st, "SUPPLIER_CONTAINER", "supplier-drop")
	}
	if cfg.Queue == "" {
		cfg.Queue = settingOr(st, "INGEST_QUEUE", "ingest-events")
	}
	if cfg.Connection == "" {
		cfg.Connection = "Storage"
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	connStr, err := st.connectionString(cfg.Connection)
	if err != nil {
		return nil, fmt.Errorf("event grid stand-in: %w", err)
	}
	bc, err := azblob.NewClientFromConnectionString(connStr, nil)
	if err != nil {
		return nil, fmt.Errorf("event grid stand-in: azblob.NewClientFromConnectionString: %w", err)
	}
	qs, err := azqueue.NewServiceClientFromConnectionString(connStr, nil)
	if err != nil {
		return nil, fmt.Errorf("event grid stand-in: azqueue.NewServiceClientFromConnectionString: %w", err)
	}
	account := connField(connStr, "AccountName")
	w := &eventGridWatcher{
		cfg:     cfg,
		blobs:   bc,
		queue:   qs.NewQueueClient(cfg.Queue),
		account: account,
		topic: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devhost" +
			"/providers/Microsoft.Storage/storageAccounts/" + account,
		blobURL:  strings.TrimSuffix(bc.URL(), "/") + "/",
		stateKey: account + "/" + cfg.Container + " -> " + cfg.Queue,
		log:      log.With(slog.String("component", "eventgrid"), slog.String("container", cfg.Container), slog.String("queue", cfg.Queue)),
	}
	if w.cfg.StateFile == "" {
		sum := sha256.Sum256([]byte(w.stateKey))
		w.cfg.StateFile = filepath.Join(os.TempDir(), "mediaspecs-devhost", "eventgrid-"+hex.EncodeToString(sum[:6])+".json")
	}
	if w.state, err = loadEventGridState(w.cfg.StateFile); err != nil {
		return nil, fmt.Errorf("event grid stand-in: %w", err)
	}
	return w, nil
}

func settingOr(st *settings, name, def string) string {
	if v, ok := st.lookup(name); ok && v != "" {
		return v
	}
	return def
}

// connField returns a field of a storage connection string.
func connField(cs, name string) string {
	for part := range strings.SplitSeq(cs, ";") {
		if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func loadEventGridState(path string) (*eventGridState, error) {
	st := &eventGridState{Version: 1, Subscriptions: map[string]map[string]string{}}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, st); err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	if st.Subscriptions == nil {
		st.Subscriptions = map[string]map[string]string{}
	}
	return st, nil
}

// save writes the state atomically (temporary file, then rename).
func (w *eventGridWatcher) save() error {
	raw, err := json.MarshalIndent(w.state, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(w.cfg.StateFile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".eventgrid-*.tmp")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), w.cfg.StateFile)
}

// run scans every Interval until ctx ends.
func (w *eventGridWatcher) run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.scan(ctx); err != nil && ctx.Err() == nil {
				if msg := err.Error(); msg != w.lastError {
					w.log.Warn("scanning the container failed", slog.String("error", msg))
					w.lastError = msg
				}
				continue
			}
			w.lastError = ""
		}
	}
}

// scan lists the container and announces every blob whose ETag differs
// from the recorded one: a new blob, or a new version of one (a re-upload
// under the same name). Block blobs are announced per version; append and
// page blobs only when first seen (appending raises no BlobCreated). The
// state is saved after each event is enqueued, so a crash can repeat at
// most one event but never lose one. Blobs no longer listed are forgotten.
// A missing container counts as empty and forgets nothing.
func (w *eventGridWatcher) scan(ctx context.Context) error {
	known := w.state.Subscriptions[w.stateKey]
	if known == nil {
		known = map[string]string{}
		w.state.Subscriptions[w.stateKey] = known
	}
	listed := map[string]bool{}
	pager := w.blobs.NewListBlobsFlatPager(w.cfg.Container, &container.ListBlobsFlatOptions{})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if bloberror.HasCode(err, bloberror.ContainerNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("listing %s: %w", w.cfg.Container, err)
		}
		for _, item := range page.Segment.BlobItems {
			if item.Name == nil || item.Properties == nil || item.Properties.ETag == nil {
				continue
			}
			name := *item.Name
			etag := quotedETag(string(*item.Properties.ETag))
			listed[name] = true
			prev, seen := known[name]
			if prev == etag {
				continue
			}
			blobType := "BlockBlob"
			if item.Properties.BlobType != nil {
				blobType = string(*item.Properties.BlobType)
			}
			if seen && blobType != "BlockBlob" {
				known[name] = etag
				continue
			}
			ev, err := w.blobCreated(name, etag, blobType, item.Properties)
			if err != nil {
				return err
			}
			if err := enqueue(ctx, w.queue, base64.StdEncoding.EncodeToString(ev)); err != nil {
				return fmt.Errorf("enqueueing the event for %s: %w", name, err)
			}
			known[name] = etag
			if err := w.save(); err != nil {
				return fmt.Errorf("saving state: %w", err)
			}
			w.log.Info("BlobCreated event enqueued", slog.String("blob", name), slog.String("etag", etag))
		}
	}
	dirty := false
	for name := range known {
		if !listed[name] {
			delete(known, name)
			dirty = true
		}
	}
	if dirty {
		return w.save()
	}
	return nil
}

// quotedETag normalizes an ETag to the quoted form the event carries.
func quotedETag(e string) string { return `"` + strings.Trim(e, `"`) + `"` }

// blobCreatedEvent is one Event Grid event in the Event Grid schema, with
// the members in the documented order.
type blobCreatedEvent struct {
	Topic           string            `json:"topic"`
	Subject         string            `json:"subject"`
	EventType       string            `json:"eventType"`
	EventTime       string            `json:"eventTime"`
	ID              string            `json:"id"`
	Data            blobCreatedDetail `json:"data"`
	DataVersion     string            `json:"dataVersion"`
	MetadataVersion string            `json:"metadataVersion"`
}

type blobCreatedDetail struct {
	API                string             `json:"api"`
	ClientRequestID    string             `json:"clientRequestId"`
	RequestID          string             `json:"requestId"`
	ETag               string             `json:"eTag"`
	ContentType        string             `json:"contentType"`
	ContentLength      int64              `json:"contentLength"`
	BlobType           string             `json:"blobType"`
	URL                string             `json:"url"`
	Sequencer          string             `json:"sequencer"`
	StorageDiagnostics storageDiagnostics `json:"storageDiagnostics"`
}

type storageDiagnostics struct {
	BatchID string `json:"batchId"`
}

// blobCreated builds the event JSON for one blob version. Values that only
// the storage service knows are stood in for: api is "CopyBlob" for a
// copied blob and "PutBlob" otherwise (the listing cannot tell PutBlob from
// PutBlockList); the request ids are fresh GUIDs; eventTime is the blob's
// Last-Modified; sequencer orders versions of a name (Last-Modified, then
// the time devhost saw it, as 32 hex digits).
func (w *eventGridWatcher) blobCreated(name, etag, blobType string, p *container.BlobProperties) ([]byte, error) {
	now := time.Now().UTC()
	modified := now
	if p.LastModified != nil {
		modified = p.LastModified.UTC()
	}
	api := "PutBlob"
	if p.CopyID != nil && *p.CopyID != "" {
		api = "CopyBlob"
	}
	contentType := "application/octet-stream"
	if p.ContentType != nil && *p.ContentType != "" {
		contentType = *p.ContentType
	}
	var length int64
	if p.ContentLength != nil {
		length = *p.ContentLength
	}
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	ev := blobCreatedEvent{
		Topic:     w.topic,
		Subject:   "/blobServices/default/containers/" + w.cfg.Container + "/blobs/" + name,
		EventType: "Microsoft.Storage.BlobCreated",
		EventTime: utcNow(modified),
		ID:        newGUID(),
		Data: blobCreatedDetail{
			API:                api,
			ClientRequestID:    newGUID(),
			RequestID:          newGUID(),
			ETag:               etag,
			ContentType:        contentType,
			ContentLength:      length,
			BlobType:           blobType,
			URL:                w.blobURL + w.cfg.Container + "/" + strings.Join(segs, "/"),
			Sequencer:          fmt.Sprintf("%016X%016X", modified.Unix(), now.UnixNano()),
			StorageDiagnostics: storageDiagnostics{BatchID: newGUID()},
		},
		DataVersion:     "",
		MetadataVersion: "1",
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
