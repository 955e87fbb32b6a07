// Command bench measures the HTTP API against baselines in the same run, with
// open-loop load (shared/loadtest) on the local stack:
//
//   - search: the search mix through the handler (over loopback TCP, as the
//     host forwards it) against the very same Elasticsearch request bodies
//     sent straight to Elasticsearch;
//   - suggest: as-you-type suggestions through the handler;
//   - detail: GET /api/media/{id} through the handler against a direct
//     azcosmos point read of the same ids.
//
// It loads a generated catalogue into a fresh index and Cosmos database named
// for the run, removes them afterwards, and writes the results as JSON (and a
// Markdown table on stdout) for BENCHMARKS.md.
//
//	go run ./shared/cmd/bench -titles 20000 -rate 100 -duration 20s -out bench-results.json
//
// The telemetry phase (-phases telemetry) compares search with telemetry on
// (10 % trace sampling, metrics on) and off, alternating (telemetry.go).
//
// `bench maintenance` runs the reindexing and maintenance benchmarks instead
// (rebuild throughput, searches during alias swaps, drop-to-searchable
// latency; see maintenance.go).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/app"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/health"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
	"github.com/mediaspecs/catalogue/shared/loadtest"
	"github.com/mediaspecs/catalogue/shared/search"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	titles, detailTitles int
	rate                 float64
	duration             time.Duration
	out                  string
	esURL, cosmosURL     string
	cosmosCA             string
	cache                string
	phases               string
	cpuProfile           string
	telemetryRounds      int
}

// report is what one run writes.
type report struct {
	Date    time.Time          `json:"date"`
	Machine string             `json:"machine"`
	Titles  int                `json:"titles"`
	Results []loadtest.Result  `json:"results"`
	Ratios  map[string]float64 `json:"ratios"`
}

func realMain(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "maintenance" {
		return maintenanceMain(ctx, args[1:]) // maintenance.go
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.titles, "titles", 20000, "titles in the search index")
	fs.IntVar(&o.detailTitles, "detail-titles", 2000, "titles in Cosmos for the detail benchmark")
	fs.Float64Var(&o.rate, "rate", 100, "arrival rate per second for each phase")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "length of each phase")
	fs.StringVar(&o.out, "out", "bench-results.json", "results file")
	fs.StringVar(&o.esURL, "es", "http://127.0.0.1:9200", "Elasticsearch URL")
	fs.StringVar(&o.cosmosURL, "cosmos", "https://127.0.0.1:8081/", "Cosmos DB endpoint")
	fs.StringVar(&o.cosmosCA, "cosmos-ca", "/opt/mediaspecs-cache/tls/cosmos-cert.pem", "Cosmos DB certificate")
	fs.StringVar(&o.cache, "cache", "/opt/mediaspecs-cache", "local stack cache (for the generated Keycloak test password)")
	fs.StringVar(&o.phases, "phases", "search,detail,suggest,devhost", "comma-separated phases to run: search, detail, suggest, devhost, telemetry")
	fs.IntVar(&o.telemetryRounds, "telemetry-rounds", 4, "rounds of the telemetry phase (each one telemetry-off and one telemetry-on phase)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured phases (handler and client share the process)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	phase := map[string]bool{}
	for _, p := range strings.Split(o.phases, ",") {
		phase[strings.TrimSpace(p)] = true
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	run := fmt.Sprintf("bench-%d", time.Now().Unix())

	es, err := search.NewClient(config.Elasticsearch{URL: o.esURL})
	if err != nil {
		return err
	}
	admin := &search.Admin{ES: es, Prefix: run, ReadAlias: run + "-read", WriteAlias: run + "-write"}
	defer cleanupIndex(admin)
	if _, err := admin.Bootstrap(ctx, time.Now()); err != nil {
		return err
	}
	titles := gen.Generate(gen.Options{Seed: 7, Titles: o.titles})
	needIndex := phase["search"] || phase["suggest"] || phase["devhost"] || phase["telemetry"]
	if needIndex {
		logger.Info("loading the search index", "titles", o.titles)
	}
	var batch []search.Doc
	for i, t := range titles {
		if !needIndex {
			break
		}
		batch = append(batch, search.FromTitle(toTitle(t)))
		if len(batch) == 1000 || i == len(titles)-1 {
			if err := search.IndexBatch(ctx, es, admin.WriteAlias, batch, false); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := admin.Refresh(ctx, admin.WriteAlias); err != nil && needIndex {
		return err
	}

	cc, err := cosmos.NewClient(cosmos.ClientConfig{Endpoint: o.cosmosURL, Key: "YmVuY2g=", CAFile: o.cosmosCA}, nil)
	if err != nil {
		return err
	}
	// Detail phases and the devhost handler need the run's Cosmos database.
	var (
		container *azcosmos.ContainerClient
		store     *cosmos.Store
		ids       []string
	)
	if phase["detail"] || phase["devhost"] {
		if _, err := cc.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: run}, nil); err != nil {
			return err
		}
		db, _ := cc.NewDatabase(run)
		defer func() { _, _ = db.Delete(context.WithoutCancel(ctx), nil) }()
		if _, err := db.CreateContainer(ctx, cosmos.MediaContainerProperties("media"), nil); err != nil {
			return err
		}
		container, _ = db.NewContainer("media")
		store = cosmos.NewStore(container, nil)
		for _, t := range titles[:min(o.detailTitles, len(titles))] {
			ct := toTitle(t)
			if _, err := store.Upsert(ctx, ct); err != nil {
				return err
			}
			ids = append(ids, ct.ID)
		}
	}

	searcher := &search.Searcher{ES: es, Index: admin.ReadAlias}
	handlerWith := func(media app.MediaReader) *httptest.Server {
		return httptest.NewServer(app.New(app.Deps{
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Health: health.New(time.Second, nil),
			Search: searcher, Media: media,
			Labels: func(f, v, l string) string { return catalog.Label(f, v, catalog.Lang(l)) },
			// A fixed subscriber: the benchmark measures search and detail, not
			// token verification (which is a local signature check per request).
			Auth: auth.AuthenticatorFunc(func(*http.Request) (*auth.Principal, error) {
				return &auth.Principal{Subject: "bench", Roles: []string{"subscriber"}, Kind: auth.KindPerson}, nil
			}),
		}).Handler())
	}
	srv := handlerWith(store)
	defer srv.Close()
	// The same handler over the ETag-revalidated title cache, large enough
	// to hold every id the detail phases read (an upper bound on its hit rate).
	titleCache := cosmos.NewTitleCache(store, len(ids))
	srvCached := handlerWith(titleCache)
	defer srvCached.Close()
	// And with the production setting DETAIL_FRESH_FOR=5s: a title confirmed
	// less than 5 s ago is served without a round trip.
	freshCache := cosmos.NewTitleCache(store, len(ids))
	freshCache.FreshFor = 5 * time.Second
	srvFresh := handlerWith(freshCache)
	defer srvFresh.Close()
	// Detail requests follow a Zipf law over the ids (s = 1.1), as page views
	// of a catalogue do: a few titles are read often, most rarely. Every
	// variant reads the same sequence.
	idAt := zipfIDs(ids)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

	mix, err := searchMix(searcher)
	if err != nil {
		return err
	}
	viaHandler := func(ctx context.Context, i int) error {
		return getOK(ctx, client, srv.URL+mix[i%len(mix)].path)
	}
	direct := func(ctx context.Context, i int) error {
		m := mix[i%len(mix)]
		res, err := es.Search(es.Search.WithContext(ctx), es.Search.WithIndex(admin.ReadAlias), es.Search.WithBody(strings.NewReader(m.body)))
		if err != nil {
			return err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		if res.IsError() {
			return errors.New(res.Status())
		}
		return nil
	}
	suggest := func(ctx context.Context, i int) error {
		prefixes := []string{"le", "de s", "tele", "gaz", "het", "lux", "la d", "kn"}
		return getOK(ctx, client, srv.URL+"/api/suggest?q="+url.QueryEscape(prefixes[i%len(prefixes)]))
	}
	detailHandler := func(ctx context.Context, i int) error {
		return getOK(ctx, client, srv.URL+"/api/media/"+idAt(i))
	}
	detailCached := func(ctx context.Context, i int) error {
		return getOK(ctx, client, srvCached.URL+"/api/media/"+idAt(i))
	}
	detailFresh := func(ctx context.Context, i int) error {
		return getOK(ctx, client, srvFresh.URL+"/api/media/"+idAt(i))
	}
	// The cached handler called in-process: the same work without the HTTP
	// hop, to tell the hop's share of the difference from the handler's.
	cachedHandler := srvCached.Config.Handler
	detailInProcess := func(ctx context.Context, i int) error {
		rec := httptest.NewRecorder()
		cachedHandler.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/media/"+idAt(i), nil))
		if rec.Code != http.StatusOK {
			return fmt.Errorf("in-process detail: %d", rec.Code)
		}
		return nil
	}
	detailDirect := func(ctx context.Context, i int) error {
		id := idAt(i)
		_, err := container.ReadItem(ctx, azcosmos.NewPartitionKeyString(id), id, nil)
		return err
	}

	opts := loadtest.Options{Rate: o.rate, Duration: o.duration}
	warm := loadtest.Options{Rate: o.rate, Duration: o.duration / 4}
	if phase["search"] {
		loadtest.Run(ctx, "warm-up", warm, viaHandler)
		loadtest.Run(ctx, "warm-up", warm, direct)
	}
	if phase["detail"] {
		loadtest.Run(ctx, "warm-up", warm, detailHandler)
		loadtest.Run(ctx, "warm-up", warm, detailCached)
		loadtest.Run(ctx, "warm-up", warm, detailFresh)
		loadtest.Run(ctx, "warm-up", warm, detailDirect)
	}
	if o.cpuProfile != "" {
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	rep := report{Date: time.Now().UTC(), Machine: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()), Titles: o.titles}
	// Alternate the handler and its baseline twice so drift in machine load
	// hits both alike.
	for round := 1; round <= 2; round++ {
		var phases []benchPhase
		if phase["search"] {
			phases = append(phases,
				benchPhase{fmt.Sprintf("search via handler (round %d)", round), viaHandler},
				benchPhase{fmt.Sprintf("search direct to Elasticsearch (round %d)", round), direct})
		}
		for _, p := range phases {
			logger.Info("phase", "name", p.name)
			rep.Results = append(rep.Results, loadtest.Run(ctx, p.name, opts, p.fn))
		}
		if phase["detail"] {
			// The detail variants differ by a fraction of a millisecond, less
			// than the drift of a shared machine between two 20 s phases: they
			// run side by side, each at the full rate, arrivals interleaved.
			logger.Info("phase", "name", fmt.Sprintf("detail side by side (round %d)", round))
			rep.Results = append(rep.Results, sideBySide(ctx, opts, []benchPhase{
				{fmt.Sprintf("detail via handler (round %d)", round), detailHandler},
				{fmt.Sprintf("detail via handler, title cache (round %d)", round), detailCached},
				{fmt.Sprintf("detail via handler, title cache fresh 5 s (round %d)", round), detailFresh},
				{fmt.Sprintf("detail direct azcosmos ReadItem (round %d)", round), detailDirect},
				{fmt.Sprintf("detail in-process handler, title cache (round %d)", round), detailInProcess},
			})...)
		}
	}
	if phase["detail"] {
		st := titleCache.Stats()
		logger.Info("title cache", "revalidated", st.Revalidated, "fetched", st.Fetched, "held", st.Len)
		fst := freshCache.Stats()
		logger.Info("title cache fresh 5 s", "fresh", fst.Fresh, "revalidated", fst.Revalidated, "fetched", fst.Fetched, "held", fst.Len)
		logger.Info("phase", "name", "detail read paths, paired")
		rep.Results = append(rep.Results, pairedReads(ctx, container, "generated titles", ids[:min(200, len(ids))], 5)...)
		var large []string
		for _, id := range ids[:min(100, len(ids))] {
			t, _, err := store.Get(ctx, id)
			if err != nil {
				return err
			}
			big := enlarged(t)
			if _, err := store.Upsert(ctx, big); err != nil {
				return err
			}
			large = append(large, big.ID)
		}
		rep.Results = append(rep.Results, pairedReads(ctx, container, "11 KB titles", large, 10)...)
	}
	if phase["suggest"] {
		rep.Results = append(rep.Results, loadtest.Run(ctx, "suggest via handler", opts, suggest))
	}
	if phase["telemetry"] {
		rs, err := telemetryOverhead(ctx, o, o.esURL, admin.ReadAlias, mix, client, logger)
		if err != nil {
			return fmt.Errorf("telemetry phase: %w", err)
		}
		rep.Results = append(rep.Results, rs...)
	}
	if !phase["devhost"] {
		return writeReport(o.out, rep)
	}

	// The extra hop through the host stand-in, measured apart: the real
	// handler binary under devhost, with real token verification.
	hop, err := startHostHop(ctx, run, admin.ReadAlias, admin.WriteAlias, o.cache)
	if err != nil {
		return fmt.Errorf("devhost phase: %w", err)
	}
	defer hop.stop()
	viaHost := func(ctx context.Context, i int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, hop.url+mix[i%len(mix)].path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+hop.token)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		if res.StatusCode != http.StatusOK {
			return errors.New(res.Status)
		}
		return nil
	}
	loadtest.Run(ctx, "warm-up", warm, viaHost)
	rep.Results = append(rep.Results, loadtest.Run(ctx, "search via devhost + handler binary", opts, viaHost))
	rep.Results = append(rep.Results, loadtest.Run(ctx, "search via handler (after devhost)", opts, viaHandler))
	return writeReport(o.out, rep)
}

// writeReport computes the ratios, writes the JSON results and prints the table.
func writeReport(path string, rep report) error {
	rep.Ratios = ratios(rep.Results)
	body, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return err
	}
	printTable(rep)
	return nil
}

// startCPUProfile profiles the process until the returned stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

type benchPhase struct {
	name string
	fn   loadtest.Target
}

// sideBySide runs the phases at the same time, each at opts.Rate, the
// arrivals of one offset from the others' by an even share of the interval,
// so the load of the machine weighs on each alike.
func sideBySide(ctx context.Context, opts loadtest.Options, phases []benchPhase) []loadtest.Result {
	out := make([]loadtest.Result, len(phases))
	interval := time.Duration(float64(time.Second) / opts.Rate)
	var wg sync.WaitGroup
	for i, p := range phases {
		wg.Go(func() {
			select {
			case <-time.After(time.Duration(i) * interval / time.Duration(len(phases))):
			case <-ctx.Done():
			}
			out[i] = loadtest.Run(ctx, p.name, opts, p.fn)
		})
	}
	wg.Wait()
	return out
}

type query struct{ path, body string }

// searchMix is the benchmark's query mix: each handler URL with the exact
// Elasticsearch body the handler sends for it.
func searchMix(s *search.Searcher) ([]query, error) {
	cases := []struct {
		path string
		q    search.Query
	}{
		{"/api/search?q=krant&lang=nl", search.Query{Text: "krant", Lang: "nl"}},
		{"/api/search?q=quotidien+regional&country=BE", search.Query{Text: "quotidien regional", Filters: map[string][]string{"country": {"BE"}}}},
		{"/api/search?type=print&sort=circulation", search.Query{Filters: map[string][]string{"type": {"print"}}, Sort: search.SortCirculation}},
		{"/api/search?q=magazine&lang=en&page_size=50", search.Query{Text: "magazine", Lang: "en", PageSize: 50}},
		{"/api/search?subtype=daily&country=FR&sort=name", search.Query{Filters: map[string][]string{"subtype": {"daily"}, "country": {"FR"}}, Sort: search.SortName}},
		{"/api/search?q=zeitung&lang=de", search.Query{Text: "zeitung", Lang: "de"}},
		{"/api/search?q=gazete", search.Query{Text: "gazete"}},
		{"/api/search?country=LU&circulation_min=1000", search.Query{Filters: map[string][]string{"country": {"LU"}}, Circulation: search.Range{Min: ptr(int64(1000))}}},
	}
	var out []query
	for _, c := range cases {
		b, err := s.Body(c.q)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.path, err)
		}
		out = append(out, query{path: c.path, body: string(b)})
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

func getOK(ctx context.Context, c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, res.Status)
	}
	return nil
}

// ratios compares each handler phase with the baseline phase run right
// after it, round by round. Both rounds are reported: a round where the
// machine was disturbed shows as the two rounds disagreeing.
func ratios(rs []loadtest.Result) map[string]float64 {
	by := map[string]loadtest.Result{}
	for _, r := range rs {
		by[r.Name] = r
	}
	out := map[string]float64{}
	for _, kind := range []struct{ key, handler, base string }{
		{"search", "search via handler", "search direct to Elasticsearch"},
		{"detail", "detail via handler", "detail direct azcosmos ReadItem"},
		{"detail (title cache)", "detail via handler, title cache", "detail direct azcosmos ReadItem"},
		{"detail (title cache, fresh 5 s)", "detail via handler, title cache fresh 5 s", "detail direct azcosmos ReadItem"},
		{"detail (title cache, in-process)", "detail in-process handler, title cache", "detail direct azcosmos ReadItem"},
	} {
		for round := 1; round <= 2; round++ {
			h, b := by[fmt.Sprintf("%s (round %d)", kind.handler, round)], by[fmt.Sprintf("%s (round %d)", kind.base, round)]
			if b.P99 == 0 || b.Achieved == 0 {
				continue
			}
			out[fmt.Sprintf("%s p99 ratio (round %d)", kind.key, round)] = float64(h.P99) / float64(b.P99)
			out[fmt.Sprintf("%s throughput ratio (round %d)", kind.key, round)] = h.Achieved / b.Achieved
		}
	}
	for _, r := range rs {
		rest, ok := strings.CutPrefix(r.Name, "detail read ")
		path, label, _ := strings.Cut(rest, ", ")
		if base := by["detail read ReadItem, "+label]; ok && path != "ReadItem" && base.P50 > 0 {
			out[fmt.Sprintf("%s / ReadItem p50, %s", path, label)] = float64(r.P50) / float64(base.P50)
		}
	}
	telemetryRatios(rs, out)
	if h, b := by["search via devhost + handler binary"], by["search via handler (after devhost)"]; b.P99 > 0 && b.Achieved > 0 {
		out["devhost hop p99 ratio"] = float64(h.P99) / float64(b.P99)
		out["devhost hop throughput ratio"] = h.Achieved / b.Achieved
	}
	return out
}

func printTable(rep report) {
	fmt.Printf("| phase | rate/s | achieved/s | errors | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Results {
		fmt.Printf("| %s | %.0f | %.1f | %d | %s | %s | %s | %s |\n", r.Name, r.Rate, r.Achieved, r.Errors,
			r.P50.Round(10*time.Microsecond), r.P90.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond))
	}
	keys := make([]string, 0, len(rep.Ratios))
	for k := range rep.Ratios {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("\n%s: %.3f", k, rep.Ratios[k])
	}
	fmt.Println()
}

func cleanupIndex(a *search.Admin) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if all, err := a.Indices(ctx); err == nil {
		for _, idx := range all {
			_ = a.DeleteIndex(ctx, idx)
		}
	}
	if res, err := a.ES.Indices.DeleteIndexTemplate(search.TemplateName+"-"+a.Prefix, a.ES.Indices.DeleteIndexTemplate.WithContext(ctx)); err == nil {
		res.Body.Close()
	}
}

// toTitle turns a generated title into a catalogue title (the fields the
// search projection and the detail view use).
func toTitle(g gen.Title) *catalog.Title {
	t := &catalog.Title{ID: catalog.StableID("bench", g.Key), SchemaVersion: catalog.SchemaVersion, Status: catalog.StatusActive,
		Name: g.Name, MediaType: catalog.MediaType(g.MediaType), SubType: catalog.SubType(g.SubType), Segment: catalog.Segment(g.Segment),
		Frequency: catalog.Frequency{Code: g.Frequency}, ContentLanguages: g.Languages, Topics: g.Topics,
		Coverage:  catalog.Coverage{Countries: g.Countries, Regions: g.Regions, PostalCodes: g.PostalCodes},
		Publisher: catalog.OrgRef{ID: g.PublisherID, Name: g.Publisher}, SalesHouse: catalog.OrgRef{ID: g.SalesHouseID, Name: g.SalesHouse},
		UpdatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Version: 1}
	t.Description.Set(catalog.NL, g.DescNL, false)
	t.Description.Set(catalog.FR, g.DescFR, false)
	t.Description.Set(catalog.DE, g.DescDE, false)
	t.Headline = map[string]catalog.Headline{}
	if g.Circulation > 0 {
		t.Headline["circulation"] = catalog.Headline{Value: float64(g.Circulation), Period: g.Period}
	}
	if g.Readership > 0 {
		t.Headline["readership"] = catalog.Headline{Value: float64(g.Readership), Period: g.Period}
	}
	for i, ad := range g.Ads {
		ap := catalog.AdProduct{ID: fmt.Sprintf("ap_%d", i), Channel: t.MediaType, Kind: "display",
			Dimensions: catalog.Dimensions{Unit: ad.Unit, Width: ad.W, Height: ad.H, Seconds: ad.Seconds},
			Prices:     []catalog.Price{{AmountMinor: ad.PriceCents, Currency: "EUR", Basis: ad.Basis, Type: "gross"}}}
		ap.Name.Set(catalog.FR, ad.Name, false)
		t.AdProducts = append(t.AdProducts, ap)
	}
	t.ContentHash = t.Hash()
	return t
}

// zipfIDs returns the i-th id of a fixed Zipf-distributed sequence over ids
// (s = 1.1, seeded, so every variant and every run reads the same titles in
// the same order).
func zipfIDs(ids []string) func(i int) string {
	if len(ids) == 0 {
		return func(int) string { return "" }
	}
	z := mathrand.NewZipf(mathrand.New(mathrand.NewSource(20261126)), 1.1, 1, uint64(len(ids)-1))
	seq := make([]int, 1<<16)
	for i := range seq {
		seq[i] = int(z.Uint64())
	}
	return func(i int) string { return ids[seq[i%len(seq)]] }
}
