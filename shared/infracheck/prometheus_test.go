package infracheck

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	ctyyaml "github.com/zclconf/go-cty-yaml"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// The Azure counterparts of the local Prometheus rules: infra/alerts-prometheus.tf
// builds azurerm_monitor_alert_prometheus_rule_group resources from the rule
// files in infra/observability/rules. This test evaluates that Terraform the
// way Terraform would (the same functions, dynamic blocks expanded) and
// compares the rules it would create in Azure with the local ones: every
// local rule (alert or recording rule) has exactly one Azure rule of the same
// name in the group of the same name, and the other way round, with the same
// PromQL (after whitespace normalisation), the same for duration, labels and
// annotations (runbook_url made absolute with var.runbook_base_url), and, for
// alerts, a severity and the ops action group.

const (
	prometheusAlertsFile = "alerts-prometheus.tf"
	ruleGroupResource    = "azurerm_monitor_alert_prometheus_rule_group"
	rulesDir             = "observability/rules" // relative to infra/
	testRunbookBase      = "https://repo.example/blob/main/"
	testActionGroupID    = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/actionGroups/ag-ops"
)

// PromRule is one rule of a group, local (a rule file) or in Azure.
type PromRule struct {
	Group       string
	Name        string // alert or record name
	Alert       bool
	Expr        string
	For         time.Duration
	Labels      map[string]string
	Annotations map[string]string
	// Azure only.
	Severity     *int
	ActionGroups []string
}

// RuleInputs are the files the comparison reads: the Terraform file and the
// rule files (by base name, *_test.yml included, as on disk).
type RuleInputs struct {
	TF    []byte
	Rules map[string][]byte
}

func loadRuleInputs(t *testing.T) RuleInputs {
	t.Helper()
	root := repoRoot(t)
	tf, err := os.ReadFile(filepath.Join(root, "infra", prometheusAlertsFile))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(root, "infra", rulesDir, "*.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no rule files in infra/%s: %v", rulesDir, err)
	}
	in := RuleInputs{TF: tf, Rules: map[string][]byte{}}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		in.Rules[filepath.Base(p)] = b
	}
	return in
}

// --- local rules ----------------------------------------------------------------

// LocalRules reads the rule files (not *_test.yml), as Prometheus would.
func LocalRules(files map[string][]byte) ([]PromRule, []string) {
	var rules []PromRule
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if strings.HasSuffix(name, "_test.yml") {
			continue
		}
		v, err := ctyyaml.Standard.Unmarshal(files[name], cty.DynamicPseudoType)
		if err != nil {
			problems = append(problems, fmt.Sprintf("infra/%s/%s: %v", rulesDir, name, err))
			continue
		}
		if !v.Type().IsObjectType() || !v.Type().HasAttribute("groups") {
			problems = append(problems, fmt.Sprintf("infra/%s/%s: no groups", rulesDir, name))
			continue
		}
		for _, g := range v.GetAttr("groups").AsValueSlice() {
			group := g.GetAttr("name").AsString()
			for _, r := range g.GetAttr("rules").AsValueSlice() {
				rule, err := localRule(group, r)
				if err != nil {
					problems = append(problems, fmt.Sprintf("infra/%s/%s group %s: %v", rulesDir, name, group, err))
					continue
				}
				rules = append(rules, rule)
			}
		}
	}
	return rules, problems
}

func localRule(group string, r cty.Value) (PromRule, error) {
	rule := PromRule{Group: group}
	attr := func(name string) (string, bool) {
		if !r.Type().HasAttribute(name) || r.GetAttr(name).IsNull() {
			return "", false
		}
		return r.GetAttr(name).AsString(), true
	}
	if a, ok := attr("alert"); ok {
		rule.Name, rule.Alert = a, true
	} else if rec, ok := attr("record"); ok {
		rule.Name = rec
	} else {
		return rule, fmt.Errorf("a rule with neither alert nor record")
	}
	rule.Expr, _ = attr("expr")
	if f, ok := attr("for"); ok {
		d, err := promDuration(f)
		if err != nil {
			return rule, fmt.Errorf("%s: for %q: %v", rule.Name, f, err)
		}
		rule.For = d
	}
	rule.Labels = stringMap(r, "labels")
	rule.Annotations = stringMap(r, "annotations")
	return rule, nil
}

func stringMap(v cty.Value, name string) map[string]string {
	if !v.Type().HasAttribute(name) || v.GetAttr(name).IsNull() {
		return nil
	}
	out := map[string]string{}
	for k, e := range v.GetAttr(name).AsValueMap() {
		out[k] = e.AsString()
	}
	return out
}

var promDurationRE = regexp.MustCompile(`^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$`)

// promDuration parses the Prometheus durations the rules use (h, m, s).
func promDuration(s string) (time.Duration, error) {
	m := promDurationRE.FindStringSubmatch(s)
	if m == nil || s == "" {
		return 0, fmt.Errorf("not a duration of hours, minutes and seconds")
	}
	return hms(m[1], m[2], m[3]), nil
}

var isoDurationRE = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$`)

// isoDuration parses the ISO 8601 durations Azure takes (PT10M).
func isoDuration(s string) (time.Duration, error) {
	m := isoDurationRE.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return 0, fmt.Errorf("not an ISO 8601 duration PT<h>H<m>M<s>S")
	}
	return hms(m[1], m[2], m[3]), nil
}

func hms(h, m, s string) time.Duration {
	n := func(x string) time.Duration { v, _ := strconv.Atoi(x); return time.Duration(v) }
	return n(h)*time.Hour + n(m)*time.Minute + n(s)*time.Second
}

// --- Azure rules: evaluating infra/alerts-prometheus.tf -----------------------

// terraformFunctions are the Terraform functions the file may use, with
// file and fileset reading the in-memory rule files as infra/<rulesDir>/*.
func terraformFunctions(files map[string][]byte) map[string]function.Function {
	str := function.Parameter{Name: "s", Type: cty.String}
	return map[string]function.Function{
		"file": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				p := path.Clean(args[0].AsString())
				dir, base := path.Split(p)
				if path.Clean(dir) != rulesDir || files[base] == nil {
					return cty.NilVal, fmt.Errorf("no file %s", p)
				}
				return cty.StringVal(string(files[base])), nil
			},
		}),
		"fileset": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "dir", Type: cty.String}, {Name: "pattern", Type: cty.String}},
			Type:   function.StaticReturnType(cty.Set(cty.String)),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				if path.Clean(args[0].AsString()) != rulesDir {
					return cty.NilVal, fmt.Errorf("fileset of %s: only %s is known here", args[0].AsString(), rulesDir)
				}
				var out []cty.Value
				for name := range files {
					if ok, _ := path.Match(args[1].AsString(), name); ok {
						out = append(out, cty.StringVal(name))
					}
				}
				if len(out) == 0 {
					return cty.SetValEmpty(cty.String), nil
				}
				return cty.SetVal(out), nil
			},
		}),
		"endswith": function.New(&function.Spec{
			Params: []function.Parameter{str, {Name: "suffix", Type: cty.String}},
			Type:   function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.BoolVal(strings.HasSuffix(args[0].AsString(), args[1].AsString())), nil
			},
		}),
		"yamldecode": ctyyaml.YAMLDecodeFunc,
		"sort":       stdlib.SortFunc,
		"upper":      stdlib.UpperFunc,
		"merge":      stdlib.MergeFunc,
		"replace":    stdlib.ReplaceFunc,
		"try":        tryfunc.TryFunc,
		"can":        tryfunc.CanFunc,
	}
}

// AzureRules returns the rules infra/alerts-prometheus.tf would create.
func AzureRules(in RuleInputs) ([]PromRule, []string) {
	f, diags := hclsyntax.ParseConfig(in.TF, prometheusAlertsFile, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, []string{fmt.Sprintf("infra/%s does not parse: %s", prometheusAlertsFile, diags.Error())}
	}
	body := f.Body.(*hclsyntax.Body)

	// The locals of this file, evaluated until none is left (they may refer
	// to each other); local.name and local.tags come from another file.
	locals := map[string]cty.Value{"name": cty.StringVal("test"), "tags": cty.EmptyObjectVal}
	pending := map[string]hclsyntax.Expression{}
	for _, b := range body.Blocks {
		if b.Type == "locals" {
			for name, a := range b.Body.Attributes {
				pending[name] = a.Expr
			}
		}
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"path": cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(".")}),
			"var":  cty.ObjectVal(map[string]cty.Value{"runbook_base_url": cty.StringVal(testRunbookBase)}),
			"azurerm_monitor_action_group": cty.ObjectVal(map[string]cty.Value{
				"ops": cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(testActionGroupID)})}),
			"azurerm_monitor_workspace": cty.ObjectVal(map[string]cty.Value{
				"main": cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("amw-id")})}),
			"azurerm_resource_group": cty.ObjectVal(map[string]cty.Value{
				"main": cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("rg"), "location": cty.StringVal("westeurope")})}),
		},
		Functions: terraformFunctions(in.Rules),
	}
	for len(pending) > 0 {
		progress := false
		var lastErr string
		for _, name := range slices.Sorted(maps.Keys(pending)) {
			ctx.Variables["local"] = cty.ObjectVal(locals)
			v, diags := pending[name].Value(ctx)
			if diags.HasErrors() {
				lastErr = fmt.Sprintf("local.%s: %s", name, diags.Error())
				continue
			}
			locals[name] = v
			delete(pending, name)
			progress = true
		}
		if !progress {
			return nil, []string{fmt.Sprintf("infra/%s: cannot evaluate %s", prometheusAlertsFile, lastErr)}
		}
	}
	ctx.Variables["local"] = cty.ObjectVal(locals)

	var resource *hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == ruleGroupResource {
			if resource != nil {
				return nil, []string{fmt.Sprintf("infra/%s: more than one %s", prometheusAlertsFile, ruleGroupResource)}
			}
			resource = b
		}
	}
	if resource == nil {
		return nil, []string{fmt.Sprintf("infra/%s: no resource %q", prometheusAlertsFile, ruleGroupResource)}
	}
	fe, ok := resource.Body.Attributes["for_each"]
	if !ok {
		return nil, []string{fmt.Sprintf("infra/%s: %s has no for_each over the rule groups", prometheusAlertsFile, ruleGroupResource)}
	}
	groups, diags := fe.Expr.Value(ctx)
	if diags.HasErrors() || !(groups.Type().IsObjectType() || groups.Type().IsMapType()) {
		return nil, []string{fmt.Sprintf("infra/%s: for_each: %s", prometheusAlertsFile, diags.Error())}
	}

	var rules []PromRule
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for key, group := range groups.AsValueMap() {
		gctx := ctx.NewChild()
		gctx.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(key), "value": group})}
		expanded := dynblock.Expand(resource.Body, gctx)
		content, _, diags := expanded.PartialContent(&hcl.BodySchema{
			Attributes: []hcl.AttributeSchema{{Name: "interval", Required: true}},
			Blocks:     []hcl.BlockHeaderSchema{{Type: "rule"}},
		})
		if diags.HasErrors() {
			bad("infra/%s group %s: %s", prometheusAlertsFile, key, diags.Error())
			continue
		}
		// Azure evaluates a group every 1 to 15 minutes.
		if iv, diags := content.Attributes["interval"].Expr.Value(gctx); diags.HasErrors() || iv.Type() != cty.String {
			bad("infra/%s group %s: interval: %s", prometheusAlertsFile, key, diags.Error())
		} else if d, err := isoDuration(iv.AsString()); err != nil || d < time.Minute || d > 15*time.Minute {
			bad("infra/%s group %s: interval %q is not between PT1M and PT15M", prometheusAlertsFile, key, iv.AsString())
		}
		for _, rb := range content.Blocks {
			rule, err := azureRule(key, rb.Body, gctx)
			if err != nil {
				bad("infra/%s group %s: %v", prometheusAlertsFile, key, err)
				continue
			}
			rules = append(rules, rule)
		}
	}
	return rules, problems
}

func azureRule(group string, body hcl.Body, ctx *hcl.EvalContext) (PromRule, error) {
	content, _, diags := body.PartialContent(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "alert"}, {Name: "record"}, {Name: "expression"}, {Name: "for"},
			{Name: "severity"}, {Name: "labels"}, {Name: "annotations"}, {Name: "enabled"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "action"}},
	})
	if diags.HasErrors() {
		return PromRule{}, fmt.Errorf("%s", diags.Error())
	}
	val := func(name string) (cty.Value, error) {
		a, ok := content.Attributes[name]
		if !ok {
			return cty.NullVal(cty.DynamicPseudoType), nil
		}
		v, diags := a.Expr.Value(ctx)
		if diags.HasErrors() {
			return cty.NilVal, fmt.Errorf("%s: %s", name, diags.Error())
		}
		return v, nil
	}
	str := func(name string) (string, bool, error) {
		v, err := val(name)
		if err != nil || v.IsNull() {
			return "", false, err
		}
		if v.Type() != cty.String {
			return "", false, fmt.Errorf("%s is not a string", name)
		}
		return v.AsString(), true, nil
	}
	rule := PromRule{Group: group}
	alert, isAlert, err := str("alert")
	if err != nil {
		return rule, err
	}
	record, isRecord, err := str("record")
	if err != nil {
		return rule, err
	}
	switch {
	case isAlert && !isRecord:
		rule.Name, rule.Alert = alert, true
	case isRecord && !isAlert:
		rule.Name = record
	default:
		return rule, fmt.Errorf("a rule needs exactly one of alert and record")
	}
	if rule.Expr, _, err = str("expression"); err != nil {
		return rule, err
	}
	if f, ok, err := str("for"); err != nil {
		return rule, err
	} else if ok {
		if rule.For, err = isoDuration(f); err != nil {
			return rule, fmt.Errorf("%s: for %q: %v", rule.Name, f, err)
		}
	}
	if sv, err := val("severity"); err != nil {
		return rule, err
	} else if !sv.IsNull() {
		n, _ := sv.AsBigFloat().Int64()
		s := int(n)
		rule.Severity = &s
	}
	for _, m := range []struct {
		name string
		dst  *map[string]string
	}{{"labels", &rule.Labels}, {"annotations", &rule.Annotations}} {
		v, err := val(m.name)
		if err != nil {
			return rule, err
		}
		if v.IsNull() {
			continue
		}
		*m.dst = map[string]string{}
		for k, e := range v.AsValueMap() {
			(*m.dst)[k] = e.AsString()
		}
	}
	for _, ab := range content.Blocks {
		ac, _, diags := ab.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "action_group_id", Required: true}}})
		if diags.HasErrors() {
			return rule, fmt.Errorf("action: %s", diags.Error())
		}
		v, diags := ac.Attributes["action_group_id"].Expr.Value(ctx)
		if diags.HasErrors() || v.Type() != cty.String {
			return rule, fmt.Errorf("action_group_id: %s", diags.Error())
		}
		rule.ActionGroups = append(rule.ActionGroups, v.AsString())
	}
	return rule, nil
}

// --- the comparison ------------------------------------------------------------

func normaliseExpr(s string) string { return strings.Join(strings.Fields(s), " ") }

// CompareRules returns every difference between the local rules and the
// Azure rules.
func CompareRules(in RuleInputs) []string {
	local, problems := LocalRules(in.Rules)
	azure, ap := AzureRules(in)
	problems = append(problems, ap...)
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(local) == 0 {
		bad("no local rules")
	}

	byName := func(rules []PromRule) map[string][]PromRule {
		m := map[string][]PromRule{}
		for _, r := range rules {
			m[r.Name] = append(m[r.Name], r)
		}
		return m
	}
	localBy, azureBy := byName(local), byName(azure)
	for name, ls := range localBy {
		if len(ls) > 1 {
			bad("local rule %s is defined %d times", name, len(ls))
		}
		as := azureBy[name]
		switch {
		case len(as) == 0:
			bad("local rule %s (group %s) has no Azure counterpart in infra/%s", name, ls[0].Group, prometheusAlertsFile)
			continue
		case len(as) > 1:
			bad("local rule %s has %d Azure rules, want exactly one", name, len(as))
			continue
		}
		l, a := ls[0], as[0]
		if l.Group != a.Group {
			bad("%s: local group %s, Azure group %s", name, l.Group, a.Group)
		}
		if l.Alert != a.Alert {
			bad("%s: alert in one place, recording rule in the other", name)
		}
		if normaliseExpr(l.Expr) != normaliseExpr(a.Expr) {
			bad("%s: expression differs:\n  local: %s\n  Azure: %s", name, normaliseExpr(l.Expr), normaliseExpr(a.Expr))
		}
		if l.For != a.For {
			bad("%s: for differs: local %v, Azure %v", name, l.For, a.For)
		}
		// Azure documents for as whole minutes (PT1M, PT5M, ...).
		if a.For%time.Minute != 0 {
			bad("%s: for %v is not a whole number of minutes, which Azure needs", name, a.For)
		}
		if !maps.Equal(l.Labels, a.Labels) {
			bad("%s: labels differ: local %v, Azure %v", name, l.Labels, a.Labels)
		}
		want := maps.Clone(l.Annotations)
		if u, ok := want["runbook_url"]; ok {
			want["runbook_url"] = testRunbookBase + u
		}
		if !maps.Equal(want, a.Annotations) {
			bad("%s: annotations differ: want %v, Azure %v", name, want, a.Annotations)
		}
		if !l.Alert {
			continue
		}
		if a.Severity == nil || *a.Severity < 0 || *a.Severity > 4 {
			bad("%s: Azure alert has no severity 0-4 (label severity=%q: add it to local.prometheus_alert_severity)", name, l.Labels["severity"])
		}
		if !slices.Equal(a.ActionGroups, []string{testActionGroupID}) {
			bad("%s: Azure alert must notify the ops action group, has %v", name, a.ActionGroups)
		}
	}
	for name, as := range azureBy {
		if _, ok := localBy[name]; !ok {
			bad("Azure rule %s (group %s) has no local rule in infra/%s", name, as[0].Group, rulesDir)
		}
	}
	sort.Strings(problems)
	return problems
}

func TestAzureRulesMatchLocalRules(t *testing.T) {
	in := loadRuleInputs(t)
	local, _ := LocalRules(in.Rules)
	azure, _ := AzureRules(in)
	alerts := 0
	for _, r := range azure {
		if r.Alert {
			alerts++
		}
	}
	t.Logf("%d local rules, %d Azure rules (%d alerts)", len(local), len(azure), alerts)
	for _, p := range CompareRules(in) {
		t.Error(p)
	}
}

// The comparison itself: each way the two sides can drift must be reported.
func TestCompareRulesCatchesDrift(t *testing.T) {
	base := loadRuleInputs(t)
	if problems := CompareRules(base); len(problems) > 0 {
		t.Fatal("the real inputs already differ (see TestAzureRulesMatchLocalRules), so no mutation can be judged")
	}
	editTF := func(old, repl string) func(in *RuleInputs) {
		return func(in *RuleInputs) {
			if !strings.Contains(string(in.TF), old) {
				t.Fatalf("mutation: %q is not in infra/%s", old, prometheusAlertsFile)
			}
			in.TF = []byte(strings.Replace(string(in.TF), old, repl, 1))
		}
	}
	editRules := func(file, old, repl string) func(in *RuleInputs) {
		return func(in *RuleInputs) {
			if !strings.Contains(string(in.Rules[file]), old) {
				t.Fatalf("mutation: %q is not in %s", old, file)
			}
			in.Rules = maps.Clone(in.Rules)
			in.Rules[file] = []byte(strings.Replace(string(in.Rules[file]), old, repl, 1))
		}
	}
	cases := []struct {
		name   string
		mutate func(in *RuleInputs)
		want   string
	}{
		{"Azure drops one alert",
			editTF("for_each = each.value.rules", `for_each = [for r in each.value.rules : r if try(r.alert, "") != "PoisonMessagePresent"]`),
			"local rule PoisonMessagePresent (group catalogue-causes) has no Azure counterpart"},
		{"Azure renames one alert",
			editTF("alert      = try(rule.value.alert, null)", `alert      = try(rule.value.alert == "CosmosThrottlingHigh" ? "CosmosThrottling" : rule.value.alert, null)`),
			"Azure rule CosmosThrottling (group catalogue-causes) has no local rule"},
		{"Azure skips a rule file",
			editTF(`fileset(local.prometheus_rules_dir, "*.yml")`, `fileset(local.prometheus_rules_dir, "c*.yml")`),
			"local rule SearchAvailabilityBurnFast (group slo-search-alerts) has no Azure counterpart"},
		{"Azure expression differs",
			editTF("expression = rule.value.expr", `expression = replace(rule.value.expr, "0.05", "0.5")`),
			"CosmosThrottlingHigh: expression differs"},
		{"Azure for differs",
			editTF(`for        = try(upper("PT${rule.value["for"]}"), null)`, `for        = null`),
			"CosmosThrottlingHigh: for differs"},
		{"unknown severity label",
			editRules("catalogue.yml", "severity: ticket", "severity: info"),
			"NightlyMaintenanceNotSucceeded: Azure alert has no severity"},
		{"alert without action group",
			editTF("for_each = try(rule.value.alert, null) == null ? [] : [azurerm_monitor_action_group.ops.id]", "for_each = []"),
			"must notify the ops action group"},
		{"runbook_url not made absolute",
			editTF(`runbook_url = "${var.runbook_base_url}${rule.value.annotations.runbook_url}"`, `runbook_url = rule.value.annotations.runbook_url`),
			"annotations differ"},
		{"for below a minute",
			editRules("search_cluster.yml", "for: 30m", "for: 30s"),
			"ElasticsearchNotGreen: for 30s is not a whole number of minutes"},
		{"group interval out of range",
			editRules("catalogue.yml", "  - name: catalogue-causes\n", "  - name: catalogue-causes\n    interval: 30m\n"),
			"group catalogue-causes: interval \"PT30M\" is not between PT1M and PT15M"},
		{"same alert name twice locally",
			editRules("slo_detail.yml", "alert: DetailLatencyBurnSlow", "alert: SearchLatencyBurnSlow"),
			"local rule SearchLatencyBurnSlow is defined 2 times"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base
			c.mutate(&in)
			problems := CompareRules(in)
			for _, p := range problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Errorf("no problem containing %q; got %q", c.want, problems)
		})
	}
}
