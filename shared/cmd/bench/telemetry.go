package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mediaspecs/catalogue/shared/app"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/health"
	"github.com/mediaspecs/catalogue/shared/loadtest"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// Phase names of the telemetry overhead comparison (ratios pairs them).
const (
	telemetryOffPhase = "search, telemetry off"
	telemetryOnPhase  = "search, telemetry on"
)

// telemetryOverhead measures what telemetry costs a search (issue 10 item
// 10): the search mix through two handlers over the same index, one with
// telemetry off (no telemetry installed, an untraced Elasticsearch client)
// and one as the handler runs in production: 10 % of new traces sampled,
// the RED metrics on, sampled spans batched to an exporter (OTLP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, else one that discards them after the
// batcher), the Elasticsearch client traced and counted per attempt, and
// /metrics scraped every 15 s as the local Prometheus does. Both handlers
// log through the same redacting JSON logger (to io.Discard): logs are not
// switched off with telemetry in production either.
//
// The app's routes read the process default telemetry, which stays unset
// here; the "on" handler is wrapped in the same middleware
// (Telemetry.Middleware, function "Search", as Instrument does for the
// route), so both handlers serve at once. The two run side by side, each at
// the full rate with their arrivals interleaved, so the load of this shared
// machine weighs on both alike (sequential phases were tried first: the
// drift between two 20 s phases was larger than any overhead, ratios 0.2 to
// 7); the interleaving order alternates by round.
func telemetryOverhead(ctx context.Context, o options, esURL, readAlias string, mix []query, client *http.Client, logger *slog.Logger) ([]loadtest.Result, error) {
	var exporter sdktrace.SpanExporter = tracetest.NewNoopExporter()
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" {
		e, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, err
		}
		exporter = e
	}
	tel, err := telemetry.New(ctx, telemetry.Config{ServiceName: "mediaspecs-bench", SampleRatio: 0.1,
		SpanProcessors: []sdktrace.SpanProcessor{sdktrace.NewBatchSpanProcessor(exporter)}})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tel.Shutdown(context.WithoutCancel(ctx)) }()
	telemetry.SetDefault(nil)
	plainES, err := search.NewClient(config.Elasticsearch{URL: esURL})
	if err != nil {
		return nil, err
	}
	tracedES, err := search.NewClient(config.Elasticsearch{URL: esURL}, search.WithTracing(tel.TracerProvider()),
		search.WithTransport(func(rt http.RoundTripper) http.RoundTripper { return tel.HTTPDependency("elasticsearch", rt) }))
	if err != nil {
		return nil, err
	}
	appLogger := telemetry.NewLogger(io.Discard, slog.LevelInfo)
	searchHandler := func(s *search.Searcher) http.Handler {
		return app.New(app.Deps{
			Logger: appLogger, Health: health.New(time.Second, nil), Search: s,
			Labels: func(f, v, l string) string { return catalog.Label(f, v, catalog.Lang(l)) },
			Auth: auth.AuthenticatorFunc(func(*http.Request) (*auth.Principal, error) {
				return &auth.Principal{Subject: "bench", Roles: []string{"subscriber"}, Kind: auth.KindPerson}, nil
			}),
		}).Handler()
	}
	off := httptest.NewServer(searchHandler(&search.Searcher{ES: plainES, Index: readAlias}))
	defer off.Close()
	on := httptest.NewServer(tel.Middleware("Search", searchHandler(&search.Searcher{ES: tracedES, Index: readAlias})))
	defer on.Close()
	target := func(base string) loadtest.Target {
		return func(ctx context.Context, i int) error { return getOK(ctx, client, base+mix[i%len(mix)].path) }
	}
	// The scrape of the local Prometheus.
	sctx, stopScrape := context.WithCancel(ctx)
	defer stopScrape()
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
				rec := httptest.NewRecorder()
				tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequestWithContext(sctx, http.MethodGet, "/metrics", nil))
			}
		}
	}()
	opts := loadtest.Options{Rate: o.rate, Duration: o.duration}
	sideBySide(ctx, loadtest.Options{Rate: o.rate, Duration: o.duration / 4}, []benchPhase{
		{"warm-up", target(off.URL)}, {"warm-up", target(on.URL)}})

	var out []loadtest.Result
	for round := 1; round <= o.telemetryRounds; round++ {
		offPhase := benchPhase{fmt.Sprintf("%s (round %d)", telemetryOffPhase, round), target(off.URL)}
		onPhase := benchPhase{fmt.Sprintf("%s (round %d)", telemetryOnPhase, round), target(on.URL)}
		logger.Info("phase", "name", fmt.Sprintf("telemetry overhead round %d", round))
		if round%2 == 1 {
			out = append(out, sideBySide(ctx, opts, []benchPhase{offPhase, onPhase})...)
		} else {
			out = append(out, sideBySide(ctx, opts, []benchPhase{onPhase, offPhase})...)
		}
	}
	return out, nil
}

// telemetryRatios pairs the on and off phases of each round: p50, p99 and
// throughput of on over off, the median of the rounds' p99 ratios and the
// ratio of their summed p99s.
func telemetryRatios(rs []loadtest.Result, out map[string]float64) {
	by := map[string]loadtest.Result{}
	for _, r := range rs {
		by[r.Name] = r
	}
	var p99s []float64
	var onSum, offSum time.Duration
	for _, r := range rs {
		round, ok := strings.CutPrefix(r.Name, telemetryOnPhase+" ")
		if !ok {
			continue
		}
		b := by[telemetryOffPhase+" "+round]
		if b.P99 == 0 || b.Achieved == 0 {
			continue
		}
		ratio := float64(r.P99) / float64(b.P99)
		p99s = append(p99s, ratio)
		onSum += r.P99
		offSum += b.P99
		out["telemetry p99 ratio "+round] = ratio
		out["telemetry p50 ratio "+round] = float64(r.P50) / float64(b.P50)
		out["telemetry throughput ratio "+round] = r.Achieved / b.Achieved
	}
	if len(p99s) > 0 {
		slices.Sort(p99s)
		mid := len(p99s) / 2
		median := p99s[mid]
		if len(p99s)%2 == 0 {
			median = (p99s[mid-1] + p99s[mid]) / 2
		}
		out["telemetry p99 ratio (median of rounds)"] = median
		// The rounds' p99s summed: a round where the whole machine stalled
		// weighs by its size rather than as one vote.
		out["telemetry p99 ratio (sum of rounds)"] = float64(onSum) / float64(offSum)
	}
}
