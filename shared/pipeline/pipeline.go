// Package pipeline is the IngestSupplierFile function: it turns one supplier
// file dropped into Blob Storage into merged titles in Cosmos DB, change
// records, a report for the supplier, an archived file and reindex messages.
//
// One invocation handles one Event Grid BlobCreated event for one blob
// version (supplier-drop/<supplier>/<file>, ETag E):
//
//  1. Already done? The report <supplier>/<file>.<E>.report.json in the
//     reports container is the completion marker: it is written only after
//     every title is written and the file is copied to its archive folder.
//     If it exists the event is a re-delivery: the source is deleted if the
//     copy is there (finishing a crashed move) and nothing else happens.
//  2. The blob version is streamed with azblob (If-Match E) through
//     ingest.Parse with the supplier's profile (suppliers.json) and Limits.
//  3. The supplier's ingest manifest (manifest.go) is claimed: titles
//     delivered exactly as in the supplier's last completed file, and not
//     written since by anything but ingestion (the outside writes log, one
//     point read per file), are skipped with no lookup at all (the fast
//     re-delivery path). The other valid titles are read by id, in batches
//     of 100 (point reads, a few batches in flight, bounded by the bytes
//     the parsed titles hold): a stored title whose delivery fingerprint
//     for this supplier shows this delivery written onto its current
//     content is skipped without a merge. A supplier's first file (no
//     manifest, no marker) looks nothing up: its titles are presumed new
//     and created with two conditional creates (write.go, writeNew).
//     Titles then go, in file order, to a small worker
//     pool keyed by title id, so one id is never written concurrently:
//     stored document → catalog.Merge → skip when the content hash is unchanged →
//     catalog.CheckSize → change record (upsert, id <title>:<version>) →
//     Create (new) or Replace with If-Match (existing), re-reading and
//     re-merging on Conflict a bounded number of times.
//     As titles are written, the ids of the changed ones are sent to the
//     reindex queue (Config.Reindex) in JSON-object messages of at most
//     48 KB, each as soon as it is full; the last one once every title is
//     written. Nothing of the file accumulates in memory: one message, the
//     titles in flight, the report's bounded error list and the bounded
//     manifest (16 bytes a title, files up to ManifestMaxTitles).
//     The new manifest is stored once every title is written.
//  4. The file is copied to processed/<supplier>/<file> or
//     rejected/<supplier>/<file> in the drop container and the copy
//     confirmed; the rejected-rows CSV and the report are written; only
//     then is the source deleted (If-Match E, so a newer upload is kept).
//
// Failure semantics: a bad file or bad rows are the supplier's problem — the
// report says why, the file goes to rejected/, the invocation succeeds and
// the queue moves on. Storage or Cosmos failures fail the invocation
// (non-2xx) and the host retries, then poisons the message. A retry after a
// crash re-reads the file: stable ids and the hash skip make every title
// already written a no-op (no duplicates), the rest are written (no lost
// rows). Because the crashed try may not have sent the ids of titles it
// wrote, a retried delivery (DequeueCount > 1) sends every title id of the
// file, changed or not; reindexing is idempotent. Every reindex message is
// sent before the report exists, so a crash after the report (before the
// host got the answer) loses nothing: the re-delivery finds the report and
// has nothing left to send.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/funchost"
	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// Titles is the title store (cosmos.Store). Errors are apperr kinds:
// NotFound from Get, Conflict from the writes when another writer won,
// anything else is an infrastructure failure.
type Titles interface {
	Get(ctx context.Context, id string) (*catalog.Title, string, error)
	// GetDelivered reads a title with its ETag and its deliveries
	// (supplier → delivery fingerprint); NotFound when there is none.
	GetDelivered(ctx context.Context, id string) (*catalog.Title, string, map[string]string, error)
	// CreateDelivered creates t (Conflict if it exists) and ReplaceDelivered
	// replaces it if its ETag is still ifMatch; both store deliveries beside it.
	CreateDelivered(ctx context.Context, t *catalog.Title, deliveries map[string]string) (string, error)
	ReplaceDelivered(ctx context.Context, t *catalog.Title, deliveries map[string]string, ifMatch string) (string, error)
	// WrittenOutside returns the epoch of the log of titles written by
	// anything but ingestion and the titles it lists at or after since (none
	// asked for with a zero since); see manifest.go and cosmos.OutsideWrites.
	WrittenOutside(ctx context.Context, since time.Time) (epoch string, ids []string, err error)
}

// Changes stores change records (cosmos.Changes); Put is idempotent per
// change id.
type Changes interface {
	Put(ctx context.Context, c catalog.Change) error
	// Create writes c only if no record has its id (Conflict otherwise)
	// and returns its ETag; Delete removes it if its ETag is still ifMatch
	// (Conflict when it was replaced since).
	Create(ctx context.Context, c catalog.Change) (string, error)
	Delete(ctx context.Context, c catalog.Change, ifMatch string) error
}

// ReindexQueue sends one message (a JSON object) to the reindex queue
// (blob.Messages, encoded as the host's queue trigger reads it).
type ReindexQueue interface {
	Send(ctx context.Context, body []byte) error
}

// Files is the blob storage the pipeline reads and writes (blob.Files).
// Open returns NotFound for a missing blob and Conflict when its ETag is no
// longer etag.
type Files interface {
	Open(ctx context.Context, container, name, etag string) (io.ReadCloser, int64, error)
	Read(ctx context.Context, container, name string) ([]byte, error)
	Exists(ctx context.Context, container, name string) (bool, error)
	Put(ctx context.Context, container, name, contentType string, body []byte) error
	Copy(ctx context.Context, container, src, dst, etag string) error
	DeleteVersion(ctx context.Context, container, name, etag string) error
}

// Archive folders inside the drop container. Events for blobs under them
// (the copies the pipeline makes) are ignored, so "processed" and
// "rejected" cannot be supplier names.
const (
	ProcessedFolder = "processed"
	RejectedFolder  = "rejected"
)

// MaxMessageBytes bounds one reindex message: 48 KB of JSON stays under the
// 64 KB queue message limit once base64-encoded.
const MaxMessageBytes = 48 * 1024

// Config configures a Pipeline.
type Config struct {
	// DropContainer is the container suppliers drop files into.
	DropContainer string
	// ReportsContainer receives the reports.
	ReportsContainer string
	// Writers is the number of concurrent title writers (default 16).
	Writers int
	// ConflictRetries bounds re-read + re-merge rounds after an ETag
	// conflict on one title (default 5).
	ConflictRetries int
	// Limits bound each file (default ingest.DefaultLimits).
	Limits ingest.Limits
	// Profiles maps suppliers to profiles (default DefaultProfiles).
	Profiles *Profiles
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Reindex receives the changed title ids (required).
	Reindex ReindexQueue
	// MessageBytes bounds one reindex message (default and maximum
	// MaxMessageBytes).
	MessageBytes int
	// Manifests keeps each supplier's ingest manifest, which lets an
	// unchanged re-delivery skip titles without reading them (manifest.go);
	// nil turns the shortcut off.
	Manifests Manifests
	// ManifestMaxTitles bounds the titles of a file that gets a manifest
	// (default 100,000: 1.6 MB held while the file is ingested).
	ManifestMaxTitles int
	// InFlightBytes bounds, by catalog.Title.SizeBound, the parsed titles
	// held between the parser and the writers (default DefaultInFlightBytes;
	// write.go, the in-flight budget).
	InFlightBytes int
}

// DefaultInFlightBytes holds about 650 titles of the usual size (13 KB by
// SizeBound, some 6 KB of heap): six prefetch batches, so the point reads
// of some overlap the writes of others, while the parser runs ahead of the
// writers by about 4 MB of heap at most.
const DefaultInFlightBytes = 8 << 20

// Pipeline ingests supplier files. It is safe for concurrent use.
type Pipeline struct {
	cfg     Config
	titles  Titles
	changes Changes
	files   Files
	log     *slog.Logger
}

// New returns a Pipeline, filling the defaults of cfg.
func New(cfg Config, titles Titles, changes Changes, files Files, log *slog.Logger) (*Pipeline, error) {
	if cfg.DropContainer == "" || cfg.ReportsContainer == "" {
		return nil, errors.New("pipeline.New: the drop and reports containers are required")
	}
	if cfg.Reindex == nil {
		return nil, errors.New("pipeline.New: the reindex queue is required")
	}
	if cfg.Writers <= 0 {
		cfg.Writers = 16
	}
	if cfg.ConflictRetries <= 0 {
		cfg.ConflictRetries = 5
	}
	if cfg.Limits == (ingest.Limits{}) {
		cfg.Limits = ingest.DefaultLimits
	}
	if cfg.Profiles == nil {
		p, err := DefaultProfiles()
		if err != nil {
			return nil, err
		}
		cfg.Profiles = p
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ManifestMaxTitles <= 0 {
		cfg.ManifestMaxTitles = 100_000
	}
	if cfg.InFlightBytes <= 0 {
		cfg.InFlightBytes = DefaultInFlightBytes
	}
	if cfg.MessageBytes <= 0 || cfg.MessageBytes > MaxMessageBytes {
		cfg.MessageBytes = MaxMessageBytes
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{cfg: cfg, titles: titles, changes: changes, files: files, log: log}, nil
}

// Event is the part of an Event Grid event (Event Grid schema) the pipeline
// reads.
type Event struct {
	ID        string    `json:"id"`
	EventType string    `json:"eventType"`
	Subject   string    `json:"subject"`
	EventTime time.Time `json:"eventTime"`
	Data      struct {
		URL           string `json:"url"`
		ETag          string `json:"eTag"`
		ContentLength int64  `json:"contentLength"`
	} `json:"data"`
	// TraceParent is a W3C traceparent the event's producer sent along (the
	// CloudEvents distributed-tracing extension attribute); when valid, the
	// ingestion continues that trace. Storage's Event Grid-schema events
	// carry none: the ingestion then continues the invocation's trace.
	TraceParent string `json:"traceparent,omitempty"`
}

// BlobCreated is the event type the pipeline acts on.
const BlobCreated = "Microsoft.Storage.BlobCreated"

// ReindexMessage is one message of the reindex queue. Always an object: the
// host base64-decodes bare strings that look like base64.
type ReindexMessage struct {
	IDs         []string `json:"ids"`
	TraceParent string   `json:"traceparent,omitempty"`
}

// Ingest is the IngestSupplierFile function (trigger binding "event"). The
// reindex messages are sent by Run while the file is ingested, not returned
// as an output binding: a large file's ids never sit in memory, and they are
// all sent before the report marks the file done.
func (p *Pipeline) Ingest(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
	log := inv.Logger
	if log == nil {
		log = p.log
	}
	var ev Event
	if err := inv.QueueMessage("event", &ev); err != nil {
		// Not an event at all: fail, so it ends in the poison queue to be looked at.
		return nil, fmt.Errorf("decoding the Event Grid event: %w", err)
	}
	retried := false
	if meta, err := inv.QueueMeta(); err == nil {
		retried = meta.DequeueCount > 1
	}
	if ev.EventType != BlobCreated {
		log.Info("event ignored", slog.String("event_type", ev.EventType), slog.String("subject", ev.Subject))
		return &funchost.InvokeResponse{}, nil
	}
	parts, err := azblob.ParseURL(ev.Data.URL)
	if err != nil || parts.ContainerName == "" || parts.BlobName == "" {
		return nil, fmt.Errorf("event %s: data.url %q is not a blob URL", ev.ID, ev.Data.URL)
	}
	if parts.ContainerName != p.cfg.DropContainer {
		log.Info("event for another container ignored", slog.String("container", parts.ContainerName))
		return &funchost.InvokeResponse{}, nil
	}
	// The ingestion's span: a child of the invocation's, or of the event's
	// producer when it sent a trace context (telemetry.StartMessageSpan).
	// The reindex messages carry this span's context (Run), so the
	// reindexing of the file's titles joins the same trace.
	ctx, span := telemetry.StartMessageSpan(ctx, "ingest supplier file", ev.TraceParent,
		attribute.String("mediaspecs.file", parts.BlobName))
	defer span.End()
	f := File{Name: parts.BlobName, ETag: ev.Data.ETag, ReceivedAt: ev.EventTime, TraceParent: inv.TraceParent}
	res, err := p.Run(ctx, f, retried, log)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "ingestion failed")
		return nil, err
	}
	if res.Report != nil {
		span.SetAttributes(attribute.String("mediaspecs.profile", res.Report.Profile),
			attribute.Int("mediaspecs.rows", res.Report.Rows), attribute.Int("mediaspecs.reindexed", res.Reindexed))
	}
	return &funchost.InvokeResponse{}, nil
}

// File is one blob version in the drop container.
type File struct {
	// Name is the blob name, <supplier>/<file>.
	Name string
	// ETag is the version (quoted, as Event Grid sends it).
	ETag string
	// ReceivedAt is when the blob was written (the event time); zero is now.
	ReceivedAt time.Time
	// TraceParent is carried in the reindex messages when ctx carries no
	// span (telemetry off): the host's traceparent of the invocation. With
	// telemetry on, the messages carry the context of the span in Run's ctx.
	TraceParent string
}

// Result is what Run did.
type Result struct {
	// Skipped says why nothing was ingested ("" when the file was).
	Skipped string
	// Report is the report written (nil when skipped).
	Report *FileReport
	// Reindexed counts the title ids sent to the reindex queue: the changed
	// ones, or every title of the file on a retried delivery.
	Reindexed int
	// ReindexMessages counts the messages they were sent in.
	ReindexMessages int
}

// FileReport is the report the supplier reads: ingest's report of the
// parse, plus what the pipeline did with it.
type FileReport struct {
	*ingest.Report
	// Blob and ETag name the blob version reported on.
	Blob string `json:"blob"`
	ETag string `json:"etag"`
	// ArchivedTo is where the file was moved in the drop container.
	ArchivedTo string `json:"archivedTo"`
	Writes     Writes `json:"writes"`
}

// Writes counts what happened to the valid titles.
type Writes struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Refused counts titles where some delivered blocks belong to another
	// supplier and were left as they were.
	Refused int `json:"refused"`
	// UnchangedByManifest counts the unchanged titles recognised from the
	// supplier's ingest manifest alone (no Cosmos lookup).
	UnchangedByManifest int `json:"unchangedByManifest"`
}

// ReportName is the report of one blob version: <supplier>/<file>.<etag>.report.json
// (the ETag without quotes). Its existence marks the version as done.
func ReportName(name, etag string) string {
	return reportBase(name, etag) + ".report.json"
}

func reportBase(name, etag string) string {
	if !strings.Contains(name, "/") {
		name = noSupplier + "/" + name
	}
	return name + "." + strings.Trim(etag, `"`)
}

// noSupplier is the report folder of files dropped outside a supplier folder.
const noSupplier = "_no-supplier"

// Run ingests one blob version of the drop container. retried says the
// delivery is a retry (DequeueCount > 1): every title id of the file is
// then returned for reindexing. The error is an infrastructure failure to
// retry; bad files end in the report with a nil error.
func (p *Pipeline) Run(ctx context.Context, f File, retried bool, log *slog.Logger) (*Result, error) {
	if log == nil {
		log = p.log
	}
	first, _, inFolder := strings.Cut(f.Name, "/")
	// Every ingestion line names the file and its profile (the summary line
	// adds the row counts); a file outside a supplier folder has none.
	profile := ""
	if inFolder {
		profile = p.cfg.Profiles.For(first)
	}
	log = log.With(slog.String("file", f.Name), slog.String("etag", f.ETag), slog.String("profile", profile))
	if first == ProcessedFolder || first == RejectedFolder {
		return &Result{Skipped: "archived copy"}, nil
	}
	reportName := ReportName(f.Name, f.ETag)
	done, err := p.files.Exists(ctx, p.cfg.ReportsContainer, reportName)
	if err != nil {
		return nil, err
	}
	if done {
		log.InfoContext(ctx, "blob version already ingested", slog.String("report", reportName))
		return &Result{Skipped: "already ingested"}, p.finishMove(ctx, f, reportName)
	}

	rc, size, err := p.files.Open(ctx, p.cfg.DropContainer, f.Name, f.ETag)
	if errors.Is(err, apperr.NotFound) || errors.Is(err, apperr.Conflict) {
		// The version is gone (deleted, or replaced by a newer upload that
		// has its own event): there is nothing left to ingest or to lose.
		log.WarnContext(ctx, "blob version no longer exists", slog.String("error", err.Error()))
		return &Result{Skipped: "blob version gone"}, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()

	received := f.ReceivedAt
	if received.IsZero() {
		received = p.cfg.Now()
	}
	// The reindex messages carry the trace context of the span in ctx (the
	// ingestion's), so ReindexMedia continues this trace.
	traceparent := telemetry.TraceParent(ctx)
	if traceparent == "" {
		traceparent = f.TraceParent
	}
	reindex := newReindexStream(p.cfg.Reindex, traceparent, retried, p.cfg.MessageBytes)
	rep, w, err := p.ingest(ctx, f, rc, size, received, reindex, log)
	if err != nil {
		return nil, err
	}
	// Every id is on the queue before anything marks the file done.
	if err := reindex.flush(ctx); err != nil {
		return nil, err
	}
	folder := ProcessedFolder
	if rep.Verdict == ingest.Rejected {
		folder = RejectedFolder
	}
	fr := &FileReport{Report: rep, Blob: f.Name, ETag: f.ETag, ArchivedTo: folder + "/" + f.Name, Writes: w}

	// Copy (confirmed) → CSV → report (the marker) → delete the source.
	if err := p.files.Copy(ctx, p.cfg.DropContainer, f.Name, fr.ArchivedTo, f.ETag); err != nil {
		return nil, err
	}
	if rep.ErrorCount > 0 || rep.FileError != "" {
		var csv strings.Builder
		if err := ingest.WriteRejectedCSV(&csv, rep); err != nil {
			return nil, err
		}
		if err := p.files.Put(ctx, p.cfg.ReportsContainer, reportBase(f.Name, f.ETag)+".rejected.csv", "text/csv; charset=utf-8", []byte(csv.String())); err != nil {
			return nil, err
		}
	}
	body, err := json.MarshalIndent(fr, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := p.files.Put(ctx, p.cfg.ReportsContainer, reportName, "application/json", body); err != nil {
		return nil, err
	}
	if err := p.files.DeleteVersion(ctx, p.cfg.DropContainer, f.Name, f.ETag); err != nil {
		return nil, err
	}
	res := &Result{Report: fr, Reindexed: reindex.ids, ReindexMessages: reindex.messages}
	log.InfoContext(ctx, "file ingested", slog.String("verdict", string(rep.Verdict)), slog.Int("rows", rep.Rows),
		slog.Int("accepted_rows", rep.AcceptedRows), slog.Int("rejected_rows", rep.RejectedRows), slog.Int("titles", rep.Titles), slog.Int("created", w.Created), slog.Int("updated", w.Updated),
		slog.Int("unchanged", w.Unchanged), slog.Int("errors", rep.ErrorCount), slog.Int("reindex", res.Reindexed))
	telemetry.RecordIngestedFile(ctx, rep.Supplier, rep.Profile, string(rep.Verdict), rep.AcceptedRows, rep.RejectedRows)
	return res, nil
}

// finishMove completes the move of a version whose report exists: the
// source is deleted only when its archived copy is there.
func (p *Pipeline) finishMove(ctx context.Context, f File, reportName string) error {
	b, err := p.files.Read(ctx, p.cfg.ReportsContainer, reportName)
	if err != nil {
		return err
	}
	var fr struct {
		ArchivedTo string `json:"archivedTo"`
	}
	if err := json.Unmarshal(b, &fr); err != nil || fr.ArchivedTo == "" {
		return nil // a report we cannot read is left for an operator; the source stays
	}
	ok, err := p.files.Exists(ctx, p.cfg.DropContainer, fr.ArchivedTo)
	if err != nil || !ok {
		return err
	}
	return p.files.DeleteVersion(ctx, p.cfg.DropContainer, f.Name, f.ETag)
}

// fileReport returns a report for a file rejected before parsing.
func fileReport(f File, supplier, profile, reason string) *ingest.Report {
	now := time.Now().UTC()
	return &ingest.Report{File: path.Base(f.Name), Supplier: supplier, Profile: profile, Verdict: ingest.Rejected,
		FileError: reason, Errors: []ingest.RowError{}, StartedAt: now, FinishedAt: now}
}
