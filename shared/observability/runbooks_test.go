package observability

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	ctyyaml "github.com/zclconf/go-cty-yaml"
	"github.com/zclconf/go-cty/cty"
)

// runbookDir is where the alert pages live, relative to the repository root;
// a rule's runbook_url is this path plus <AlertName>.md.
const runbookDir = "docs/runbooks"

// runbookSections are the headings every page has, in this order.
var runbookSections = []string{
	"## What it means",
	"## Impact on users",
	"## First checks",
	"## How to fix",
	"## How to verify",
}

// alertRunbooks returns each alert of the rule files (not *_test.yml) with
// its runbook_url annotation ("" when it has none).
func alertRunbooks(files map[string][]byte) (map[string]string, []string) {
	alerts := map[string]string{}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if strings.HasSuffix(name, "_test.yml") {
			continue
		}
		v, err := ctyyaml.Standard.Unmarshal(files[name], cty.DynamicPseudoType)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		for _, g := range v.GetAttr("groups").AsValueSlice() {
			for _, r := range g.GetAttr("rules").AsValueSlice() {
				if !r.Type().HasAttribute("alert") {
					continue
				}
				alert := r.GetAttr("alert").AsString()
				if _, dup := alerts[alert]; dup {
					problems = append(problems, fmt.Sprintf("%s: alert %s is defined twice", name, alert))
				}
				alerts[alert] = ""
				if r.Type().HasAttribute("annotations") {
					ann := r.GetAttr("annotations")
					if ann.Type().HasAttribute("runbook_url") {
						alerts[alert] = ann.GetAttr("runbook_url").AsString()
					}
				}
			}
		}
	}
	return alerts, problems
}

// checkRunbooks returns every way the alerts and the pages (by file name,
// README.md included) disagree.
func checkRunbooks(alerts map[string]string, pages map[string][]byte) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	index := string(pages["README.md"])
	if index == "" {
		bad("%s/README.md is missing", runbookDir)
	}
	for alert, url := range alerts {
		page := alert + ".md"
		want := runbookDir + "/" + page
		if url != want {
			bad("alert %s: annotations.runbook_url is %q, want %q", alert, url, want)
		}
		text, ok := pages[page]
		if !ok {
			bad("alert %s has no runbook %s", alert, want)
			continue
		}
		if !strings.HasPrefix(string(text), "# "+alert+"\n") {
			bad("%s does not start with the heading \"# %s\"", want, alert)
		}
		at := 0
		for _, s := range runbookSections {
			i := strings.Index(string(text[at:]), "\n"+s+"\n")
			if i < 0 {
				bad("%s lacks the section %q (or has it out of order)", want, s)
				continue
			}
			at += i + 1
		}
		if !strings.Contains(index, "("+page+")") {
			bad("%s/README.md does not list %s", runbookDir, alert)
		}
	}
	for page := range pages {
		if page == "README.md" {
			continue
		}
		if _, ok := alerts[strings.TrimSuffix(page, ".md")]; !ok {
			bad("%s/%s is a runbook of no alert (no rule in infra/observability/rules has that name)", runbookDir, page)
		}
	}
	sort.Strings(problems)
	return problems
}

func readDir(t *testing.T, dir, pattern string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func loadRunbookInputs(t *testing.T) (map[string]string, map[string][]byte) {
	t.Helper()
	alerts, problems := alertRunbooks(readDir(t, filepath.Join(root(t), "infra", "observability", "rules"), "*.yml"))
	for _, p := range problems {
		t.Error(p)
	}
	if len(alerts) == 0 {
		t.Fatal("no alert rules found")
	}
	return alerts, readDir(t, filepath.Join(root(t), runbookDir), "*.md")
}

// TestEveryAlertHasARunbook: every alert links to its page, every page
// belongs to an alert and has the five sections, and the index lists it.
func TestEveryAlertHasARunbook(t *testing.T) {
	alerts, pages := loadRunbookInputs(t)
	t.Logf("%d alerts, %d runbook files", len(alerts), len(pages))
	for _, p := range checkRunbooks(alerts, pages) {
		t.Error(p)
	}
}

// The check itself: each break must be reported.
func TestCheckRunbooksCatchesBreaks(t *testing.T) {
	alerts, pages := loadRunbookInputs(t)
	if problems := checkRunbooks(alerts, pages); len(problems) > 0 {
		t.Fatal("the real runbooks already fail (see TestEveryAlertHasARunbook), so no break can be judged")
	}
	cases := []struct {
		name   string
		mutate func(a map[string]string, p map[string][]byte)
		want   string
	}{
		{"page deleted", func(_ map[string]string, p map[string][]byte) { delete(p, "PoisonMessagePresent.md") },
			"alert PoisonMessagePresent has no runbook"},
		{"alert renamed", func(a map[string]string, _ map[string][]byte) {
			a["CosmosThrottling"] = "docs/runbooks/CosmosThrottling.md"
			delete(a, "CosmosThrottlingHigh")
		}, "CosmosThrottlingHigh.md is a runbook of no alert"},
		{"alert without runbook_url", func(a map[string]string, _ map[string][]byte) { a["SearchBulkRejections"] = "" },
			`alert SearchBulkRejections: annotations.runbook_url is ""`},
		{"section missing", func(_ map[string]string, p map[string][]byte) {
			p["SearchLatencyBurnFast.md"] = []byte(strings.Replace(string(p["SearchLatencyBurnFast.md"]), "## How to verify", "## Verify", 1))
		}, `SearchLatencyBurnFast.md lacks the section "## How to verify"`},
		{"not in the index", func(_ map[string]string, p map[string][]byte) {
			p["README.md"] = []byte(strings.ReplaceAll(string(p["README.md"]), "(DetailLatencyBurnSlow.md)", "(x.md)"))
		}, "README.md does not list DetailLatencyBurnSlow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, p := maps.Clone(alerts), maps.Clone(pages)
			c.mutate(a, p)
			problems := checkRunbooks(a, p)
			for _, pr := range problems {
				if strings.Contains(pr, c.want) {
					return
				}
			}
			t.Errorf("no problem containing %q; got %q", c.want, problems)
		})
	}
}

// ruleFileEntry is one rule_files entry of the local Prometheus template.
var ruleFileEntry = regexp.MustCompile(`(?m)^\s*-\s*@RULES_DIR@/(\S+\.yml)\s*$`)

// TestLocalPrometheusLoadsEveryRuleFile: the local Prometheus configuration
// (infra/local/observability.d/prometheus.yml) names its rule files one by
// one (a glob would also load the *_test.yml unit tests); a rule file it
// does not name would be tested by promtool and deployed to Azure but never
// evaluated locally, so the fault drills could not see its alerts.
func TestLocalPrometheusLoadsEveryRuleFile(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join(root(t), "infra", "local", "observability.d", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// A template (placeholders like @SCRAPE_INTERVAL@ are not YAML): read
	// the rule_files entries by their placeholder prefix.
	loaded := map[string]bool{}
	for _, m := range ruleFileEntry.FindAllStringSubmatch(string(cfg), -1) {
		loaded[m[1]] = true
	}
	if len(loaded) == 0 {
		t.Fatal("prometheus.yml has no rule_files entry - @RULES_DIR@/<file>.yml")
	}
	for name := range readDir(t, filepath.Join(root(t), "infra", "observability", "rules"), "*.yml") {
		if strings.HasSuffix(name, "_test.yml") {
			if loaded[name] {
				t.Errorf("prometheus.yml loads the unit test file %s as rules", name)
			}
			continue
		}
		if !loaded[name] {
			t.Errorf("infra/local/observability.d/prometheus.yml does not load the rule file %s (rule_files: - @RULES_DIR@/%s)", name, name)
		}
		delete(loaded, name)
	}
	for name := range loaded {
		if !strings.HasSuffix(name, "_test.yml") {
			t.Errorf("prometheus.yml loads %s, which is not in infra/observability/rules", name)
		}
	}
}
