package telemetry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// newManual builds telemetry with an SDK manual reader beside the
// Prometheus exporter, so tests read the instruments' data points directly.
func newManual(t *testing.T) (*Telemetry, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	tel, err := newWithReaders(context.Background(), Config{SampleRatio: 0}, reader)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel, reader
}

// point is one data point: its attributes as "k=v,k=v" (sorted) and value.
type point struct {
	attrs string
	value float64
}

func collect(t *testing.T, reader *sdkmetric.ManualReader) map[string][]point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string][]point{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], point{attrString(p.Attributes), float64(p.Value)})
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], point{attrString(p.Attributes), p.Value})
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], point{attrString(p.Attributes), float64(p.Value)})
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], point{attrString(p.Attributes), p.Value})
				}
			}
		}
	}
	return out
}

func attrString(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() { // sorted by key
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	return strings.Join(parts, ",")
}

func valueOf(t *testing.T, points map[string][]point, name, attrs string) float64 {
	t.Helper()
	for _, p := range points[name] {
		if p.attrs == attrs {
			return p.value
		}
	}
	t.Fatalf("%s{%s}: no data point; have %v", name, attrs, points[name])
	return 0
}

func TestIngestedFilesCountRowsBySupplierAndProfile(t *testing.T) {
	tel, reader := newManual(t)
	ctx := context.Background()
	tel.RecordIngestedFile(ctx, "cim", "cim-audience", "accepted_with_rejections", 90, 10)
	tel.RecordIngestedFile(ctx, "cim", "cim-audience", "accepted", 5, 0)
	tel.RecordIngestedFile(ctx, "", "", "rejected", 0, 3)
	got := collect(t, reader)
	for attrs, want := range map[string]float64{
		"outcome=accepted,profile=cim-audience,supplier=cim": 95,
		"outcome=rejected,profile=cim-audience,supplier=cim": 10,
		"outcome=rejected,profile=none,supplier=none":        3,
		"outcome=accepted,profile=none,supplier=none":        0,
	} {
		if v := valueOf(t, got, MetricIngestRows, attrs); v != want {
			t.Errorf("%s{%s} = %v, want %v", MetricIngestRows, attrs, v, want)
		}
	}
	if v := valueOf(t, got, MetricIngestFiles, "profile=cim-audience,supplier=cim,verdict=accepted"); v != 1 {
		t.Errorf("accepted files = %v", v)
	}
	// Only bounded labels: no file or blob name (one series per file).
	for _, p := range append(got[MetricIngestRows], got[MetricIngestFiles]...) {
		for _, kv := range strings.Split(p.attrs, ",") {
			if key, _, _ := strings.Cut(kv, "="); key != "supplier" && key != "profile" && key != "outcome" && key != "verdict" {
				t.Errorf("unbounded attribute %q in %s", key, p.attrs)
			}
		}
	}
}

func TestIndexFreshnessFollowsTheLastWrite(t *testing.T) {
	tel, reader := newManual(t)
	got := collect(t, reader)
	if len(got[MetricIndexFreshness]) != 0 || len(got[MetricIndexLastWrite]) != 0 {
		t.Fatalf("freshness reported before any write: %v %v", got[MetricIndexFreshness], got[MetricIndexLastWrite])
	}
	// A write an hour ago, as the atomic would hold it.
	tel.catalogue.lastWriteNanos.Store(time.Now().Add(-time.Hour).UnixNano())
	got = collect(t, reader)
	if v := valueOf(t, got, MetricIndexFreshness, ""); v < 3600 || v > 3600+60 {
		t.Errorf("freshness an hour after the write = %vs", v)
	}
	before := time.Now()
	tel.RecordIndexWrite(context.Background())
	got = collect(t, reader)
	if v := valueOf(t, got, MetricIndexFreshness, ""); v < 0 || v > time.Since(before).Seconds() {
		t.Errorf("freshness right after a write = %vs", v)
	}
	if v := valueOf(t, got, MetricIndexLastWrite, ""); v < float64(before.Unix()) || v > float64(time.Now().Unix()+1) {
		t.Errorf("last write = %v, want about %d", v, before.Unix())
	}
}

func TestDriftGaugeKeepsTheLastCheck(t *testing.T) {
	tel, reader := newManual(t)
	ctx := context.Background()
	tel.RecordIndexDrift(ctx, 4, 1, 2)
	tel.RecordIndexDrift(ctx, 0, 3, 0)
	got := collect(t, reader)
	for kind, want := range map[string]float64{"missing": 0, "extra": 3, "stale": 0} {
		if v := valueOf(t, got, MetricIndexDrift, "kind="+kind); v != want {
			t.Errorf("drift %s = %v, want %v", kind, v, want)
		}
	}
}

func TestJobRunsByOutcomeAndLastSuccess(t *testing.T) {
	tel, reader := newManual(t)
	ctx := context.Background()
	tel.RecordJobRun(ctx, "nightly-maintenance", 0, errors.New("lease held"))
	tel.RecordJobRun(ctx, "nightly-maintenance", 3, errors.New("drift: boom"))
	got := collect(t, reader)
	if len(got[MetricJobLastSuccess]) != 0 {
		t.Errorf("last success set without a successful run: %v", got[MetricJobLastSuccess])
	}
	before := time.Now().Unix()
	tel.RecordJobRun(ctx, "nightly-maintenance", 3, nil)
	got = collect(t, reader)
	for outcome, want := range map[string]float64{JobNotStarted: 1, JobFailed: 1, JobSucceeded: 1} {
		if v := valueOf(t, got, MetricJobRuns, "job_name=nightly-maintenance,outcome="+outcome); v != want {
			t.Errorf("runs %s = %v, want %v", outcome, v, want)
		}
	}
	if v := valueOf(t, got, MetricJobLastSuccess, "job_name=nightly-maintenance"); v < float64(before) {
		t.Errorf("last success %v before the run at %d", v, before)
	}
}

func TestObservedQueueAgesAndIndexGeneration(t *testing.T) {
	tel, reader := newManual(t)
	ages := map[string]time.Duration{"ingest-events": 90 * time.Second, "reindex-poison": 2 * time.Hour}
	if err := tel.ObserveQueueAges(func(context.Context) map[string]time.Duration { return ages }); err != nil {
		t.Fatal(err)
	}
	generation, readable := time.Date(2026, 11, 26, 2, 30, 0, 0, time.UTC), true
	if err := tel.ObserveIndexGeneration(func(context.Context) (time.Time, bool) { return generation, readable }); err != nil {
		t.Fatal(err)
	}
	got := collect(t, reader)
	if v := valueOf(t, got, MetricQueueOldestAge, "queue=ingest-events"); v != 90 {
		t.Errorf("ingest-events age = %v", v)
	}
	if v := valueOf(t, got, MetricQueueOldestAge, "queue=reindex-poison"); v != 7200 {
		t.Errorf("reindex-poison age = %v", v)
	}
	if v := valueOf(t, got, MetricIndexGeneration, ""); v != float64(generation.Unix()) {
		t.Errorf("generation = %v, want %d", v, generation.Unix())
	}
	// Read at each collection: an emptied queue and an unreadable alias
	// leave no sample rather than a stale one.
	delete(ages, "ingest-events")
	readable = false
	got = collect(t, reader)
	if len(got[MetricQueueOldestAge]) != 1 || len(got[MetricIndexGeneration]) != 0 {
		t.Errorf("after emptying: ages %v generation %v", got[MetricQueueOldestAge], got[MetricIndexGeneration])
	}
}

// TestPrometheusNames pins the exported names the rules and dashboards use.
func TestPrometheusNames(t *testing.T) {
	tel, _ := newTest(t, 0)
	ctx := context.Background()
	tel.RecordIngestedFile(ctx, "cim", "cim-audience", "accepted", 1, 0)
	tel.RecordIndexWrite(ctx)
	tel.RecordIndexDrift(ctx, 1, 0, 0)
	tel.RecordJobRun(ctx, "nightly-maintenance", 1, nil)
	_ = tel.ObserveQueueAges(func(context.Context) map[string]time.Duration {
		return map[string]time.Duration{"reindex": time.Second}
	})
	_ = tel.ObserveIndexGeneration(func(context.Context) (time.Time, bool) { return time.Unix(1764124200, 0), true })
	m := scrape(t, tel)
	for _, want := range []string{
		`mediaspecs_ingest_rows_total{outcome="accepted",profile="cim-audience",supplier="cim"} 1`,
		`mediaspecs_ingest_files_total{profile="cim-audience",supplier="cim",verdict="accepted"} 1`,
		`mediaspecs_index_last_write_timestamp_seconds `,
		`mediaspecs_index_freshness_seconds `,
		`mediaspecs_index_drift{kind="missing"} 1`,
		`mediaspecs_job_runs_total{job_name="nightly-maintenance",outcome="succeeded"} 1`,
		`mediaspecs_job_last_success_timestamp_seconds{job_name="nightly-maintenance"} `,
		`mediaspecs_queue_oldest_message_age_seconds{queue="reindex"} 1`,
		`mediaspecs_index_generation_timestamp_seconds 1.7641242e+09`,
	} {
		if !containsMetric(m, want) {
			t.Errorf("metrics lack %s\n%s", want, grepMetrics(m, "mediaspecs_"))
		}
	}
}

func TestServeMetricsOnAFixedAddress(t *testing.T) {
	tel, _ := newTest(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // find a free port
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	if err := tel.ServeMetrics(ctx, addr); err != nil {
		t.Fatal(err)
	}
	if err := tel.ServeMetrics(ctx, addr); err == nil {
		t.Error("a second listener on the same address did not fail")
	}
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	// The rare-event counter is exported from the start, at 0.
	if res.StatusCode != http.StatusOK || !containsMetric(string(body), "mediaspecs_search_bulk_rejections_total 0") {
		t.Errorf("GET /metrics = %d\n%s", res.StatusCode, grepMetrics(string(body), "mediaspecs_"))
	}
}
