package observability

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/telemetry"
)

func root(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// required reports whether a missing tool must fail the test rather than
// skip it: in CI and under make test.
func required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("MEDIASPECS_REQUIRE_STACK") == "1"
}

// TestPromtoolRules runs promtool check rules and promtool test rules over
// infra/observability/rules. The first run builds promtool from the Go module
// proxy into the cache (about 7 minutes on 2 cores).
func TestPromtoolRules(t *testing.T) {
	if testing.Short() && !required() {
		t.Skip("-short and CI is not true: promtool rule tests skipped (they may build promtool)")
	}
	script := filepath.Join(root(t), "infra", "local", "promtool.sh")
	build := exec.Command(script, "--path")
	build.Stderr = os.Stderr
	out, err := build.Output()
	if err != nil {
		if required() {
			t.Fatalf("promtool could not be built (%s --path): %v", script, err)
		}
		t.Skipf("promtool could not be built (%s --path): %v (skipped because CI is not true)", script, err)
	}
	t.Logf("promtool: %s", strings.TrimSpace(string(out)))
	cmd := exec.Command(script)
	res, err := cmd.CombinedOutput()
	t.Logf("%s\n%s", script, res)
	if err != nil {
		t.Fatalf("promtool rules: %v", err)
	}
}

// metricRef is a metric name in a rule expression (recording rule names
// have colons and are not matched).
var metricRef = regexp.MustCompile(`\bmediaspecs_[a-z0-9_]+\b`)

// TestRulesUseExportedMetrics fails when a rule names a metric the telemetry
// package does not export, so a renamed instrument cannot silently blind an
// alert.
func TestRulesUseExportedMetrics(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Config{SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tel.Shutdown(context.Background()) }()
	// Make every instrument export a series.
	h := tel.Middleware("Search", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/search", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/search?fail=1", nil))
	if err := tel.ObserveQueues(func(context.Context) map[string]int64 { return map[string]int64{"reindex-poison": 1} }); err != nil {
		t.Fatal(err)
	}
	if err := tel.ObserveQueueAges(func(context.Context) map[string]time.Duration {
		return map[string]time.Duration{"reindex": time.Minute}
	}); err != nil {
		t.Fatal(err)
	}
	tel.RecordDependency(context.Background(), "cosmos", 429, time.Millisecond, 1.5)
	tel.RecordBulkRejections(context.Background(), 1)
	if err := tel.ObserveSearchCluster(func(context.Context) (telemetry.SearchClusterHealth, error) {
		return telemetry.SearchClusterHealth{Status: "yellow", DataNodes: 1}, nil
	}); err != nil {
		t.Fatal(err)
	}

	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	exported := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		exported[name] = true
	}

	files, err := filepath.Glob(filepath.Join(root(t), "infra", "observability", "rules", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	used := map[string][]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.yml") {
			continue
		}
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(text), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, m := range metricRef.FindAllString(line, -1) {
				used[m] = append(used[m], filepath.Base(f))
			}
		}
	}
	if len(used) == 0 {
		t.Fatal("the rules use no mediaspecs_ metric")
	}
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("rules use %v", names)
	for _, n := range names {
		if !exported[n] {
			t.Errorf("%s (in %v) is not exported by shared/telemetry", n, used[n])
		}
	}
}
