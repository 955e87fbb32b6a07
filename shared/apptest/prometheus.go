package apptest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PrometheusBinary finds the cached Prometheus of infra/local/observability,
// building it the first time (minutes).
func PrometheusBinary(t testing.TB) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(RepoRoot(), "infra", "local", "observability"), "path", "prometheus")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("Prometheus could not be built (infra/local/observability path prometheus): %v", err)
	}
	return strings.TrimSpace(string(out))
}

// PrometheusConfig says what a test Prometheus scrapes and where it keeps
// its files.
type PrometheusConfig struct {
	// Targets are host:port addresses serving /metrics.
	Targets []string
	// ScrapeInterval is also the rule evaluation interval, e.g. "5s".
	ScrapeInterval string
	// Dir holds the configuration and the data (t.TempDir() when empty).
	Dir string
	// Log receives Prometheus' output (the test log when nil).
	Log io.Writer
	// ReadyWithin bounds the start (1 minute when zero).
	ReadyWithin time.Duration
}

// Prometheus is a running Prometheus with the repository's rule files
// (infra/local/observability.d/prometheus.yml), stopped when the test ends.
type Prometheus struct {
	// URL is its base URL.
	URL string
}

// StartPrometheus starts the cached Prometheus with cfg and waits until it
// is ready.
func StartPrometheus(t testing.TB, cfg PrometheusConfig) *Prometheus {
	t.Helper()
	root, bin := RepoRoot(), PrometheusBinary(t)
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Log == nil {
		cfg.Log = NewLog(t)
	}
	if cfg.ReadyWithin == 0 {
		cfg.ReadyWithin = time.Minute
	}
	tmpl, err := os.ReadFile(filepath.Join(root, "infra", "local", "observability.d", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.NewReplacer("@METRICS_TARGET@", strings.Join(cfg.Targets, `", "`),
		"@RULES_DIR@", filepath.Join(root, "infra", "observability", "rules"),
		"@SCRAPE_INTERVAL@", cfg.ScrapeInterval).Replace(string(tmpl))
	cfgFile := filepath.Join(cfg.Dir, "prometheus.yml")
	WriteFile(t, cfgFile, []byte(conf))
	addr := FreeAddr(t)
	cmd := exec.Command(bin, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(cfg.Dir, "prometheus-data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = cfg.Log, cfg.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	p := &Prometheus{URL: "http://" + addr}
	deadline := time.Now().Add(cfg.ReadyWithin)
	for {
		if res, err := http.Get(p.URL + "/-/ready"); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-exited:
			t.Fatal("Prometheus exited while starting (see its log)")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus not ready after %s", cfg.ReadyWithin)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Series runs an instant query and returns how many series it returned
// (1 for a scalar or string).
func (p *Prometheus) Series(expr string) (int, error) {
	res, err := http.PostForm(p.URL+"/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var out struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return 0, fmt.Errorf("decoding the answer (%s): %w", res.Status, err)
	}
	if out.Status != "success" {
		return 0, fmt.Errorf("query failed: %s: %s", out.ErrorType, out.Error)
	}
	switch out.Data.ResultType {
	case "vector", "matrix":
		var s []json.RawMessage
		if err := json.Unmarshal(out.Data.Result, &s); err != nil {
			return 0, err
		}
		return len(s), nil
	default:
		return 1, nil
	}
}

// WaitFor waits up to within until expr returns a series.
func (p *Prometheus) WaitFor(t testing.TB, expr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if n, err := p.Series(expr); err == nil && n > 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("Prometheus has no series for %s after %s", expr, within)
}
