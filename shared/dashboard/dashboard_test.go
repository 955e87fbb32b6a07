package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	sdkdashboard "github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/mediaspecs/catalogue/shared/telemetry"
)

func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func committedDir(t testing.TB) string {
	return filepath.Join(repoRoot(t), "infra", "observability", "dashboards")
}

// TestCommittedJSONIsGenerated fails when infra/observability/dashboards is
// not exactly what the code generates (run `make dashboards`), or holds a
// dashboard the code no longer makes.
func TestCommittedJSONIsGenerated(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Errorf("%d dashboards, want the overview and three flows", len(files))
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(committedDir(t), name))
		if err != nil {
			t.Errorf("%s: %v (run make dashboards)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what shared/dashboard generates (run make dashboards)", name)
		}
	}
	// The committed files read back into the SDK's dashboard model.
	plugins.RegisterDefaultPlugins()
	for name, body := range files {
		//lint:ignore SA1019 the classic model, see build
		var d sdkdashboard.Dashboard
		if err := json.Unmarshal(body, &d); err != nil {
			t.Errorf("%s does not read back as a Grafana dashboard: %v", name, err)
		}
	}
	entries, err := os.ReadDir(committedDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := files[e.Name()]; !ok && strings.HasSuffix(e.Name(), ".json") {
			t.Errorf("%s is committed but not generated", e.Name())
		}
	}
}

// panelQuery is one query of one panel of a dashboard file.
type panelQuery struct {
	dashboard, panel, refID, expr string
}

// queriesOf reads every panel's queries from a dashboard's JSON (the
// provisioned form, not the Go description), rows' nested panels included.
func queriesOf(t testing.TB, name string, body []byte) (queries []panelQuery, panels int) {
	t.Helper()
	type target struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	}
	type jsonPanel struct {
		Type    string      `json:"type"`
		Title   string      `json:"title"`
		Targets []target    `json:"targets"`
		Panels  []jsonPanel `json:"panels"`
	}
	var d struct {
		Panels []jsonPanel `json:"panels"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var walk func([]jsonPanel)
	walk = func(ps []jsonPanel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			panels++
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", name, p.Title)
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: panel %q query %s is empty", name, p.Title, tg.RefID)
				}
				queries = append(queries, panelQuery{dashboard: name, panel: p.Title, refID: tg.RefID, expr: tg.Expr})
			}
		}
	}
	walk(d.Panels)
	return queries, panels
}

// TestEveryPanelHasAQueryAndUniqueIDs checks the committed files' shape:
// every panel queries something, panel ids are unique per dashboard, and
// the dashboard uids are unique (Grafana keys provisioning on them).
func TestEveryPanelHasAQueryAndUniqueIDs(t *testing.T) {
	uids := map[string]string{}
	for _, name := range FileNames() {
		body, err := os.ReadFile(filepath.Join(committedDir(t), name))
		if err != nil {
			t.Fatal(err)
		}
		if _, panels := queriesOf(t, name, body); panels < 5 {
			t.Errorf("%s: %d panels", name, panels)
		}
		var d struct {
			UID    string `json:"uid"`
			Panels []struct {
				ID int `json:"id"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
		if other, dup := uids[d.UID]; dup || d.UID == "" {
			t.Errorf("%s: uid %q also in %s", name, d.UID, other)
		}
		uids[d.UID] = name
		ids := map[int]bool{}
		for _, p := range d.Panels {
			if ids[p.ID] || p.ID == 0 {
				t.Errorf("%s: panel id %d repeated or unset", name, p.ID)
			}
			ids[p.ID] = true
		}
	}
}

// metricRef is a metric name in a query (recording rules have colons and
// are not matched).
var metricRef = regexp.MustCompile(`\bmediaspecs_[a-z0-9_]+\b`)

// TestQueriesUseExportedMetrics fails, without any service, when a panel
// names a metric shared/telemetry does not export (a renamed instrument
// would otherwise blank a panel until the Prometheus panel test runs).
func TestQueriesUseExportedMetrics(t *testing.T) {
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tel.Shutdown(ctx) }()
	// Make every instrument export a series.
	h := tel.Middleware("Search", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/search", nil))
	tel.RecordDependency(ctx, "cosmos", 200, time.Millisecond, 1)
	tel.RecordIngestedFile(ctx, "acme", "generic", "accepted", 1, 0)
	tel.RecordIndexWrite(ctx)
	tel.RecordIndexDrift(ctx, 0, 0, 0)
	tel.RecordJobRun(ctx, NightlyJob, 1, nil)
	if err := errors.Join(
		tel.ObserveQueues(func(context.Context) map[string]int64 { return map[string]int64{"q": 0} }),
		tel.ObserveQueueAges(func(context.Context) map[string]time.Duration { return map[string]time.Duration{"q": 0} }),
		tel.ObserveIndexGeneration(func(context.Context) (time.Time, bool) { return time.Now(), true }),
	); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	exported := map[string]bool{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		exported[name] = true
	}
	used := 0
	for _, name := range FileNames() {
		body, err := os.ReadFile(filepath.Join(committedDir(t), name))
		if err != nil {
			t.Fatal(err)
		}
		queries, _ := queriesOf(t, name, body)
		for _, q := range queries {
			for _, m := range metricRef.FindAllString(q.expr, -1) {
				used++
				if !exported[m] {
					t.Errorf("%s / %q: %s is not exported by shared/telemetry", q.dashboard, q.panel, m)
				}
			}
		}
	}
	if used == 0 {
		t.Fatal("the dashboards use no mediaspecs_ metric")
	}
}
