package telemetry

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The catalogue's flow metrics, beside the RED and dependency metrics of
// telemetry.go. Prometheus names in brackets; alert rules and dashboards use
// those (tests keep them in step).
const (
	// MetricIngestRows [mediaspecs_ingest_rows_total{supplier, profile,
	// outcome}]: data rows of ingested supplier files, outcome "accepted" or
	// "rejected". Labelled by supplier folder and profile, never by file
	// name: suppliers are the onboarded drop folders, a small fixed set.
	MetricIngestRows = "mediaspecs.ingest.rows"
	// MetricIngestFiles [mediaspecs_ingest_files_total{supplier, profile,
	// verdict}]: ingested files by verdict (accepted,
	// accepted_with_rejections, rejected).
	MetricIngestFiles = "mediaspecs.ingest.files"
	// MetricQueueOldestAge [mediaspecs_queue_oldest_message_age_seconds
	// {queue}]: age of the message at the front of a queue, read at
	// collection time (see [Telemetry.ObserveQueueAges]).
	MetricQueueOldestAge = "mediaspecs.queue.oldest_message_age"
	// MetricIndexLastWrite [mediaspecs_index_last_write_timestamp_seconds]:
	// Unix time of this process's last successful write to the search
	// index (a reindex batch, a rebuild's alias swap).
	MetricIndexLastWrite = "mediaspecs.index.last_write_timestamp"
	// MetricIndexFreshness [mediaspecs_index_freshness_seconds]: now minus
	// the last successful index write, computed at collection time; no
	// sample before the process's first write.
	MetricIndexFreshness = "mediaspecs.index.freshness"
	// MetricIndexDrift [mediaspecs_index_drift{kind}]: titles that differ
	// between Cosmos DB and the read alias at the last drift check, kind
	// "missing" (active in Cosmos, not indexed), "extra" (indexed, not
	// active) or "stale" (content hash differs).
	MetricIndexDrift = "mediaspecs.index.drift"
	// MetricIndexGeneration [mediaspecs_index_generation_timestamp_seconds]:
	// the creation time encoded in the name of the index behind the read
	// alias (media-YYYYMMDDhhmmss), as Unix seconds; it moves forward at
	// each rebuild's alias swap (see [Telemetry.ObserveIndexGeneration]).
	MetricIndexGeneration = "mediaspecs.index.generation_timestamp"
	// MetricJobRuns [mediaspecs_job_runs_total{job_name, outcome}]: runs of
	// a scheduled job, outcome "succeeded", "failed" or "not_started" (the
	// lease was held by another run or could not be taken). The label is
	// job_name, not job: Prometheus sets job to the scrape job and would
	// rename ours to exported_job.
	MetricJobRuns = "mediaspecs.job.runs"
	// MetricJobLastSuccess [mediaspecs_job_last_success_timestamp_seconds
	// {job_name}]: Unix time of the job's last fully successful run.
	MetricJobLastSuccess = "mediaspecs.job.last_success_timestamp"
)

// Job run outcomes (the outcome label of MetricJobRuns).
const (
	JobSucceeded  = "succeeded"
	JobFailed     = "failed"
	JobNotStarted = "not_started"
)

type catalogueInstruments struct {
	ingestRows     metric.Int64Counter
	ingestFiles    metric.Int64Counter
	indexWrite     metric.Float64Gauge
	indexDrift     metric.Int64Gauge
	jobRuns        metric.Int64Counter
	jobLastOK      metric.Float64Gauge
	lastWriteNanos atomic.Int64 // Unix nanoseconds of the last index write; 0: none yet
}

func (c *catalogueInstruments) init(meter metric.Meter) error {
	var errs []error
	var err error
	c.ingestRows, err = meter.Int64Counter(MetricIngestRows, metric.WithUnit("{row}"),
		metric.WithDescription("Data rows of ingested supplier files, by supplier, profile and outcome (accepted, rejected)."))
	errs = append(errs, err)
	c.ingestFiles, err = meter.Int64Counter(MetricIngestFiles, metric.WithUnit("{file}"),
		metric.WithDescription("Ingested supplier files, by supplier, profile and verdict."))
	errs = append(errs, err)
	c.indexWrite, err = meter.Float64Gauge(MetricIndexLastWrite, metric.WithUnit("s"),
		metric.WithDescription("Unix time of the last successful write to the search index."))
	errs = append(errs, err)
	_, err = meter.Float64ObservableGauge(MetricIndexFreshness, metric.WithUnit("s"),
		metric.WithDescription("Seconds since the last successful write to the search index."),
		metric.WithFloat64Callback(func(_ context.Context, o metric.Float64Observer) error {
			if last := c.lastWriteNanos.Load(); last != 0 {
				o.Observe(time.Since(time.Unix(0, last)).Seconds())
			}
			return nil
		}))
	errs = append(errs, err)
	c.indexDrift, err = meter.Int64Gauge(MetricIndexDrift, metric.WithUnit("{title}"),
		metric.WithDescription("Titles that differ between Cosmos DB and the search index at the last drift check, by kind."))
	errs = append(errs, err)
	c.jobRuns, err = meter.Int64Counter(MetricJobRuns, metric.WithUnit("{run}"),
		metric.WithDescription("Runs of a scheduled job, by job and outcome."))
	errs = append(errs, err)
	c.jobLastOK, err = meter.Float64Gauge(MetricJobLastSuccess, metric.WithUnit("s"),
		metric.WithDescription("Unix time of the job's last fully successful run."))
	errs = append(errs, err)
	return errors.Join(errs...)
}

// RecordIngestedFile counts one ingested supplier file: its accepted and
// rejected rows and its verdict, labelled by supplier and profile. A file
// dropped outside a supplier folder has supplier "" and is labelled "none".
func (t *Telemetry) RecordIngestedFile(ctx context.Context, supplier, profile, verdict string, accepted, rejected int) {
	if t == nil {
		return
	}
	if supplier == "" {
		supplier = "none"
	}
	if profile == "" {
		profile = "none"
	}
	c := &t.catalogue
	for outcome, n := range map[string]int{"accepted": accepted, "rejected": rejected} {
		// Both outcomes get a series from the first file on, so a ratio of
		// the two is defined even before the first rejection.
		c.ingestRows.Add(ctx, int64(max(n, 0)), metric.WithAttributeSet(attribute.NewSet(
			attribute.String("supplier", supplier), attribute.String("profile", profile), attribute.String("outcome", outcome))))
	}
	c.ingestFiles.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(
		attribute.String("supplier", supplier), attribute.String("profile", profile), attribute.String("verdict", verdict))))
}

// RecordIndexWrite notes a successful write to the search index now: the
// last-write gauge and the freshness the next collection reports.
func (t *Telemetry) RecordIndexWrite(ctx context.Context) {
	if t == nil {
		return
	}
	now := time.Now()
	t.catalogue.lastWriteNanos.Store(now.UnixNano())
	t.catalogue.indexWrite.Record(ctx, float64(now.UnixNano())/1e9)
}

// RecordIndexDrift sets the drift gauge from one drift check.
func (t *Telemetry) RecordIndexDrift(ctx context.Context, missing, extra, stale int) {
	if t == nil {
		return
	}
	for kind, n := range map[string]int{"missing": missing, "extra": extra, "stale": stale} {
		t.catalogue.indexDrift.Record(ctx, int64(n), metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", kind))))
	}
}

// RecordJobRun counts one run of a scheduled job. stepsRun is how many steps
// it ran: a run that failed before its first step (the lease was held or
// could not be taken) is "not_started", not "failed". A run without error
// also sets the job's last-success time.
func (t *Telemetry) RecordJobRun(ctx context.Context, job string, stepsRun int, err error) {
	if t == nil {
		return
	}
	outcome := JobSucceeded
	switch {
	case err != nil && stepsRun == 0:
		outcome = JobNotStarted
	case err != nil:
		outcome = JobFailed
	}
	jobAttr := attribute.String("job_name", job)
	t.catalogue.jobRuns.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(jobAttr, attribute.String("outcome", outcome))))
	if outcome == JobSucceeded {
		t.catalogue.jobLastOK.Record(ctx, float64(time.Now().Unix()), metric.WithAttributeSet(attribute.NewSet(jobAttr)))
	}
}

// ObserveQueueAges reports, at each collection, the age of the message at
// the front of each queue that oldest returns (queue name → age) as
// mediaspecs_queue_oldest_message_age_seconds{queue}; queues it leaves out
// (empty, or unreadable this time) have no sample.
func (t *Telemetry) ObserveQueueAges(oldest func(ctx context.Context) map[string]time.Duration) error {
	if t == nil {
		return nil
	}
	_, err := t.meter.Float64ObservableGauge(MetricQueueOldestAge, metric.WithUnit("s"),
		metric.WithDescription("Age of the oldest visible message in a queue."),
		metric.WithFloat64Callback(func(ctx context.Context, o metric.Float64Observer) error {
			for q, age := range oldest(ctx) {
				o.Observe(max(age.Seconds(), 0), metric.WithAttributeSet(attribute.NewSet(attribute.String("queue", q))))
			}
			return nil
		}))
	return err
}

// ObserveIndexGeneration reports, at each collection, the creation time of
// the index behind the read alias that generation returns (ok false: no
// sample this time, say the alias could not be read).
func (t *Telemetry) ObserveIndexGeneration(generation func(ctx context.Context) (created time.Time, ok bool)) error {
	if t == nil {
		return nil
	}
	_, err := t.meter.Float64ObservableGauge(MetricIndexGeneration, metric.WithUnit("s"),
		metric.WithDescription("Creation time (Unix seconds) of the index behind the read alias, from its name."),
		metric.WithFloat64Callback(func(ctx context.Context, o metric.Float64Observer) error {
			if created, ok := generation(ctx); ok {
				o.Observe(float64(created.Unix()))
			}
			return nil
		}))
	return err
}

// The package-level helpers below record on the process default (see
// [Setup]) and do nothing before it is set, so the flow packages call them
// without being handed a *Telemetry.

// RecordIngestedFile is [Telemetry.RecordIngestedFile] on the default.
func RecordIngestedFile(ctx context.Context, supplier, profile, verdict string, accepted, rejected int) {
	Default().RecordIngestedFile(ctx, supplier, profile, verdict, accepted, rejected)
}

// RecordIndexWrite is [Telemetry.RecordIndexWrite] on the default.
func RecordIndexWrite(ctx context.Context) { Default().RecordIndexWrite(ctx) }

// RecordIndexDrift is [Telemetry.RecordIndexDrift] on the default.
func RecordIndexDrift(ctx context.Context, missing, extra, stale int) {
	Default().RecordIndexDrift(ctx, missing, extra, stale)
}

// RecordJobRun is [Telemetry.RecordJobRun] on the default.
func RecordJobRun(ctx context.Context, job string, stepsRun int, err error) {
	Default().RecordJobRun(ctx, job, stepsRun, err)
}
