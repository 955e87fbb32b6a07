package infracheck

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/mediaspecs/catalogue/shared/config"
	"github.com/mediaspecs/catalogue/shared/funcdef"
)

// LocalOnly are the handler variables that exist for the local stack only and
// must never be set in Azure: the Cosmos DB emulator's key and certificate
// (Azure uses the managed identity and public CAs) and the Storage connection
// string (Azure uses Storage__blobServiceUri / __queueServiceUri with the
// identity).
var LocalOnly = []string{"COSMOS_KEY", "COSMOS_CA_FILE", "Storage"}

// HostSet are handler variables the Functions host sets itself.
var HostSet = []string{"FUNCTIONS_CUSTOMHANDLER_PORT"}

// NeverInAzure are settings Azure must not have beyond LocalOnly: Flex
// Consumption rejects FUNCTIONS_WORKER_RUNTIME (the runtime is runtime_name),
// and the host owns the port.
var NeverInAzure = []string{"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_CUSTOMHANDLER_PORT", "AzureWebJobsStorage"}

// HostRequired are the settings besides the handler's that the app needs in
// Azure: identity-based host storage and the SDK's identity selection.
var HostRequired = []string{
	"AzureWebJobsStorage__blobServiceUri",
	"AzureWebJobsStorage__queueServiceUri",
	"AzureWebJobsStorage__tableServiceUri",
	"AzureWebJobsStorage__credential",
	"AzureWebJobsStorage__clientId",
	"AZURE_CLIENT_ID",
}

// TelemetryRequired are the OpenTelemetry settings the app needs in Azure
// (local.telemetry_app_settings in infra/telemetry.tf): without them the
// handler exports nothing and the Azure alerts on its metrics stay silent.
// They are the standard OTEL_* variables, read by the OpenTelemetry SDK and
// telemetry.ConfigFromEnv, not by shared/config (the sample ratio,
// TRACE_SAMPLE_RATIO, is a shared/config variable and checked as one).
var TelemetryRequired = []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS"}

const (
	telemetryFile = "telemetry.tf"
	functionsFile = "functions.tf"
	storageFile   = "storage.tf"
	cosmosFile    = "cosmos.tf"
	alertsFile    = "alerts.tf"
	appResource   = "azurerm_function_app_flex_consumption"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from the package folder: %v", err)
	}
	return root
}

// readInfra returns infra/*.tf by base name.
func readInfra(t *testing.T, root string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "infra", "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no infra/*.tf found")
	}
	files := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = b
	}
	return files
}

// Inputs are everything the contract is checked against, read from the
// repository (or modified copies, in the self-tests).
type Inputs struct {
	TF          map[string][]byte // infra/*.tf by base name
	Sample      []byte            // local.settings.sample.json
	Functions   []funcdef.Function
	ConfigNames []string
	Defaults    *config.Config
}

func loadInputs(t *testing.T) Inputs {
	t.Helper()
	root := repoRoot(t)
	sample, err := os.ReadFile(filepath.Join(root, "local.settings.sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := funcdef.Load(root, filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	if len(app.Functions) == 0 {
		t.Fatal("no functions/*/function.json found")
	}
	// The defaults, with only the required variables given.
	required := map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT": "8080",
		"COSMOS_ENDPOINT":              "https://cosmos.example",
		"ELASTICSEARCH_URL":            "https://es.example",
		"Storage":                      "UseDevelopmentStorage=true",
		"OIDC_ISSUER":                  "https://id.example/realms/mediaspecs",
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := required[k]; return v, ok })
	if err != nil {
		t.Fatalf("loading config defaults: %v", err)
	}
	return Inputs{TF: readInfra(t, root), Sample: sample, Functions: app.Functions, ConfigNames: config.Names(), Defaults: cfg}
}

// --- HCL helpers ----------------------------------------------------------

type parsed struct {
	bodies map[string]*hclsyntax.Body // by file name
}

func parse(files map[string][]byte) (*parsed, []string) {
	p := hclparse.NewParser()
	out := &parsed{bodies: map[string]*hclsyntax.Body{}}
	var problems []string
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, diags := p.ParseHCL(files[n], n)
		if diags.HasErrors() {
			problems = append(problems, fmt.Sprintf("infra/%s does not parse: %s", n, diags.Error()))
			continue
		}
		out.bodies[n] = f.Body.(*hclsyntax.Body)
	}
	return out, problems
}

// local returns the expression of locals attribute name declared in file.
func (p *parsed) local(file, name string) hclsyntax.Expression {
	body := p.bodies[file]
	if body == nil {
		return nil
	}
	for _, b := range body.Blocks {
		if b.Type != "locals" {
			continue
		}
		if a, ok := b.Body.Attributes[name]; ok {
			return a.Expr
		}
	}
	return nil
}

// resources returns the bodies of resource blocks of the given type in file.
func (p *parsed) resources(file, typ string) map[string]*hclsyntax.Body {
	out := map[string]*hclsyntax.Body{}
	body := p.bodies[file]
	if body == nil {
		return out
	}
	for _, b := range body.Blocks {
		if b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == typ {
			out[b.Labels[1]] = b.Body
		}
	}
	return out
}

// references reports whether expr refers to local.<name>.
func references(expr hcl.Expression, name string) bool {
	for _, tr := range expr.Variables() {
		if tr.RootName() == "local" && len(tr) > 1 {
			if a, ok := tr[1].(hcl.TraverseAttr); ok && a.Name == name {
				return true
			}
		}
	}
	return false
}

// objectItems returns the keys and value expressions of an object constructor.
func objectItems(expr hclsyntax.Expression) (map[string]hclsyntax.Expression, error) {
	obj, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil, fmt.Errorf("is not an object literal { ... }")
	}
	out := map[string]hclsyntax.Expression{}
	for _, item := range obj.Items {
		key := hcl.ExprAsKeyword(item.KeyExpr)
		if key == "" {
			v, diags := item.KeyExpr.Value(nil)
			if diags.HasErrors() || v.Type() != cty.String {
				return nil, fmt.Errorf("has a key that is not a literal name")
			}
			key = v.AsString()
		}
		out[key] = item.ValueExpr
	}
	return out, nil
}

// literalStrings evaluates a literal collection of strings, looking through
// toset(...) and tolist(...): a list, a set, or the values of an object.
func literalStrings(expr hclsyntax.Expression) (map[string]string, error) {
	if call, ok := expr.(*hclsyntax.FunctionCallExpr); ok && (call.Name == "toset" || call.Name == "tolist") && len(call.Args) == 1 {
		expr = call.Args[0]
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return nil, fmt.Errorf("is not a literal: %s", diags.Error())
	}
	out := map[string]string{} // for_each key => name
	switch {
	case v.Type().IsObjectType() || v.Type().IsMapType():
		for k, e := range v.AsValueMap() {
			if e.Type() != cty.String {
				return nil, fmt.Errorf("value of %q is not a string", k)
			}
			out[k] = e.AsString()
		}
	case v.Type().IsTupleType() || v.Type().IsListType() || v.Type().IsSetType():
		for _, e := range v.AsValueSlice() {
			if e.Type() != cty.String {
				return nil, fmt.Errorf("has an element that is not a string")
			}
			out[e.AsString()] = e.AsString() // toset: each.key == each.value
		}
	default:
		return nil, fmt.Errorf("is not a collection of strings")
	}
	return out, nil
}

// literalPrefix reports whether a template part is literal text starting with prefix.
func literalPrefix(part hclsyntax.Expression, prefix string) bool {
	v, diags := part.Value(nil)
	return !diags.HasErrors() && v.Type() == cty.String && strings.HasPrefix(v.AsString(), prefix)
}

// --- the contract -----------------------------------------------------------

// storageNames are the containers and queues storage.tf creates, by for_each key.
type storageNames struct {
	containers map[string]string
	queues     map[string]string
}

func (s storageNames) hasContainer(name string) bool {
	for _, v := range s.containers {
		if v == name {
			return true
		}
	}
	return false
}

func (s storageNames) hasQueue(name string) bool {
	for _, v := range s.queues {
		if v == name {
			return true
		}
	}
	return false
}

// readStorage reads local.blob_containers and local.queues from storage.tf and
// checks that the container and queue resources there iterate over them.
func readStorage(p *parsed) (storageNames, []string) {
	var problems []string
	s := storageNames{}
	for _, c := range []struct {
		local, resource string
		dst             *map[string]string
	}{
		{"blob_containers", "azurerm_storage_container", &s.containers},
		{"queues", "azurerm_storage_queue", &s.queues},
	} {
		expr := p.local(storageFile, c.local)
		if expr == nil {
			problems = append(problems, fmt.Sprintf("infra/%s: no locals { %s = ... }", storageFile, c.local))
			continue
		}
		names, err := literalStrings(expr)
		if err != nil {
			problems = append(problems, fmt.Sprintf("infra/%s: local.%s %v", storageFile, c.local, err))
			continue
		}
		*c.dst = names
		found := false
		for _, body := range p.resources(storageFile, c.resource) {
			if a, ok := body.Attributes["for_each"]; ok && references(a.Expr, c.local) {
				found = true
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("infra/%s: no resource %q with for_each = local.%s", storageFile, c.resource, c.local))
		}
	}
	return s, problems
}

// resolveStorageName resolves an app-setting value expression that names a
// container or queue: a string literal, or azurerm_storage_container.main[KEY].name
// / azurerm_storage_queue.main[KEY].name. kind is "container" or "queue".
func resolveStorageName(expr hclsyntax.Expression, s storageNames) (name, kind string, err error) {
	if v, diags := expr.Value(nil); !diags.HasErrors() && v.Type() == cty.String {
		return v.AsString(), "", nil
	}
	st, ok := expr.(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(st.Traversal) != 4 {
		return "", "", fmt.Errorf("is neither a literal nor <storage resource>.main[KEY].name")
	}
	idx, ok := st.Traversal[2].(hcl.TraverseIndex)
	if !ok || idx.Key.Type() != cty.String {
		return "", "", fmt.Errorf("has no string index")
	}
	key := idx.Key.AsString()
	switch st.Traversal.RootName() {
	case "azurerm_storage_container":
		n, ok := s.containers[key]
		if !ok {
			return "", "", fmt.Errorf("refers to container key %q, which local.blob_containers lacks", key)
		}
		return n, "container", nil
	case "azurerm_storage_queue":
		n, ok := s.queues[key]
		if !ok {
			return "", "", fmt.Errorf("refers to queue key %q, which local.queues lacks", key)
		}
		return n, "queue", nil
	}
	return "", "", fmt.Errorf("refers to %s, not a storage container or queue", st.Traversal.RootName())
}

// Check returns every way in which in breaks the contract.
func Check(in Inputs) []string {
	p, problems := parse(in.TF)
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	for _, n := range append(slices.Clone(LocalOnly), HostSet...) {
		if !slices.Contains(in.ConfigNames, n) {
			bad("%s is listed as local-only or host-set here but config.Names() no longer has it: update the lists in shared/infracheck", n)
		}
	}

	// 1. App settings.
	handler := map[string]hclsyntax.Expression{}
	host := map[string]hclsyntax.Expression{}
	telemetry := map[string]hclsyntax.Expression{}
	for _, l := range []struct {
		name string
		dst  *map[string]hclsyntax.Expression
		file string
	}{{"handler_app_settings", &handler, functionsFile}, {"host_app_settings", &host, functionsFile}, {"telemetry_app_settings", &telemetry, telemetryFile}} {
		expr := p.local(l.file, l.name)
		if expr == nil {
			bad("infra/%s: no locals { %s = { ... } }", l.file, l.name)
			continue
		}
		items, err := objectItems(expr)
		if err != nil {
			bad("infra/%s: local.%s %v", l.file, l.name, err)
			continue
		}
		*l.dst = items
	}
	apps := p.resources(functionsFile, appResource)
	if len(apps) != 1 {
		bad("infra/%s: want exactly one %s, found %d", functionsFile, appResource, len(apps))
	}
	for name, body := range apps {
		a, ok := body.Attributes["app_settings"]
		if !ok || !references(a.Expr, "handler_app_settings") || !references(a.Expr, "host_app_settings") || !references(a.Expr, "telemetry_app_settings") {
			bad("infra/%s: %s.%s.app_settings must merge local.handler_app_settings, local.host_app_settings and local.telemetry_app_settings", functionsFile, appResource, name)
		}
	}
	all := map[string]bool{}
	for k := range handler {
		all[k] = true
		if !slices.Contains(in.ConfigNames, k) {
			bad("infra/%s: local.handler_app_settings sets %s, which is not a handler variable (config.Names()); host settings go in local.host_app_settings", functionsFile, k)
		}
	}
	for k := range host {
		if all[k] {
			bad("infra/%s: %s is set in both handler_app_settings and host_app_settings", functionsFile, k)
		}
		all[k] = true
	}
	for k := range telemetry {
		if all[k] {
			bad("infra/%s: %s is set in local.telemetry_app_settings and again in infra/%s", telemetryFile, k, functionsFile)
		}
		all[k] = true
		if slices.Contains(in.ConfigNames, k) {
			bad("infra/%s: local.telemetry_app_settings sets %s, a shared/config variable: it belongs in local.handler_app_settings", telemetryFile, k)
		}
	}
	for _, n := range TelemetryRequired {
		if _, ok := telemetry[n]; !ok {
			bad("infra/%s: OpenTelemetry setting %s is missing from local.telemetry_app_settings", telemetryFile, n)
		}
	}
	// The exporter headers carry the collector's ingest token: only ever a
	// Key Vault reference, never a value in the configuration.
	if expr, ok := telemetry["OTEL_EXPORTER_OTLP_HEADERS"]; ok {
		if tmpl, isTmpl := expr.(*hclsyntax.TemplateExpr); !isTmpl || len(tmpl.Parts) == 0 || !literalPrefix(tmpl.Parts[0], "@Microsoft.KeyVault(") {
			bad("infra/%s: OTEL_EXPORTER_OTLP_HEADERS must be a Key Vault reference \"@Microsoft.KeyVault(...)\"", telemetryFile)
		}
	}
	if expr, ok := telemetry["OTEL_EXPORTER_OTLP_ENDPOINT"]; ok {
		if tmpl, isTmpl := expr.(*hclsyntax.TemplateExpr); !isTmpl || len(tmpl.Parts) == 0 || !literalPrefix(tmpl.Parts[0], "https://") {
			bad("infra/%s: OTEL_EXPORTER_OTLP_ENDPOINT must be an https:// URL", telemetryFile)
		}
	}
	for _, n := range in.ConfigNames {
		if slices.Contains(LocalOnly, n) || slices.Contains(HostSet, n) {
			continue
		}
		if _, ok := handler[n]; !ok {
			bad("infra/%s: handler variable %s is missing from local.handler_app_settings", functionsFile, n)
		}
	}
	for _, n := range append(slices.Clone(LocalOnly), NeverInAzure...) {
		if all[n] {
			bad("infra/%s: %s must not be set in Azure", functionsFile, n)
		}
	}
	for _, n := range HostRequired {
		if !all[n] {
			bad("infra/%s: app setting %s is missing", functionsFile, n)
		}
	}

	// 2. local.settings.sample.json has every handler variable.
	var sample struct {
		Values map[string]string `json:"Values"`
	}
	if err := json.Unmarshal(in.Sample, &sample); err != nil {
		bad("local.settings.sample.json: %v", err)
	}
	for _, n := range in.ConfigNames {
		if slices.Contains(HostSet, n) {
			continue
		}
		if _, ok := sample.Values[n]; !ok {
			bad("local.settings.sample.json: handler variable %s is missing from Values", n)
		}
	}

	// 3. Binding connections are identity-based.
	conns := map[string]bool{}
	for _, fn := range in.Functions {
		for _, b := range fn.Bindings {
			if b.Connection != "" {
				conns[b.Connection] = true
			}
		}
	}
	for c := range conns {
		if all[c] {
			bad("infra/%s: connection %q is set as a connection string; use %s__blobServiceUri etc.", functionsFile, c, c)
		}
		for _, suffix := range []string{"__blobServiceUri", "__queueServiceUri", "__credential", "__clientId"} {
			if !all[c+suffix] {
				bad("infra/%s: binding connection %q needs app setting %s%s", functionsFile, c, c, suffix)
			}
		}
	}

	// 4. Every queue and container in use is created in storage.tf.
	s, sp := readStorage(p)
	problems = append(problems, sp...)
	needQueue := func(name, why string) {
		if !s.hasQueue(name) {
			bad("infra/%s: queue %q (%s) is not created (local.queues)", storageFile, name, why)
		}
	}
	needContainer := func(name, why string) {
		if !s.hasContainer(name) {
			bad("infra/%s: blob container %q (%s) is not created (local.blob_containers)", storageFile, name, why)
		}
	}
	for _, fn := range in.Functions {
		for _, b := range fn.Bindings {
			if b.QueueName == "" {
				continue
			}
			where := fmt.Sprintf("functions/%s/function.json %s", fn.Name, b.Name)
			needQueue(b.QueueName, where)
			if b.Type == "queueTrigger" {
				needQueue(b.QueueName+"-poison", "poison queue of "+where)
			}
		}
	}
	d := in.Defaults.Storage
	needContainer(d.SupplierContainer, "SUPPLIER_CONTAINER default")
	needContainer(d.ReportsContainer, "REPORTS_CONTAINER default")
	needQueue(d.IngestQueue, "INGEST_QUEUE default")
	needQueue(d.IngestQueue+"-poison", "poison queue of INGEST_QUEUE")
	needQueue(d.ReindexQueue, "REINDEX_QUEUE default")
	needQueue(d.ReindexQueue+"-poison", "poison queue of REINDEX_QUEUE")
	needQueue(d.MaintenanceQueue, "MAINTENANCE_QUEUE default")
	needQueue(d.MaintenanceQueue+"-poison", "poison queue of MAINTENANCE_QUEUE")
	for setting, kind := range map[string]string{
		"SUPPLIER_CONTAINER": "container", "REPORTS_CONTAINER": "container",
		"INGEST_QUEUE": "queue", "REINDEX_QUEUE": "queue", "MAINTENANCE_QUEUE": "queue",
	} {
		expr, ok := handler[setting]
		if !ok {
			continue // reported above
		}
		name, k, err := resolveStorageName(expr, s)
		if err != nil {
			bad("infra/%s: %s %v", functionsFile, setting, err)
			continue
		}
		if k != "" && k != kind {
			bad("infra/%s: %s names a %s, want a %s", functionsFile, setting, k, kind)
		}
		if kind == "container" {
			needContainer(name, setting+" app setting")
		} else {
			needQueue(name, setting+" app setting")
			needQueue(name+"-poison", "poison queue of the "+setting+" app setting")
		}
	}

	// 5. The alerts know which functions are not HTTP.
	if expr := p.local(alertsFile, "background_functions"); expr == nil {
		bad("infra/%s: no locals { background_functions = [...] }", alertsFile)
	} else if got, err := literalStrings(expr); err != nil {
		bad("infra/%s: local.background_functions %v", alertsFile, err)
	} else {
		want := map[string]bool{}
		for _, fn := range in.Functions {
			if tr := fn.Trigger(); tr != nil && tr.Type != "httpTrigger" {
				want[fn.Name] = true
				if _, ok := got[fn.Name]; !ok {
					bad("infra/%s: local.background_functions lacks %s (its trigger is %s)", alertsFile, fn.Name, tr.Type)
				}
			}
		}
		for name := range got {
			if !want[name] {
				bad("infra/%s: local.background_functions lists %s, which is not a non-HTTP function in functions/", alertsFile, name)
			}
		}
	}

	// 6. Cosmos DB names match the config defaults: the database, and every
	// container variable of config.Cosmos (env name ending in _CONTAINER).
	literalNames := func(typ string) map[string]bool {
		names := map[string]bool{}
		for label, body := range p.resources(cosmosFile, typ) {
			a, ok := body.Attributes["name"]
			if !ok {
				bad("infra/%s: %s.%s has no name", cosmosFile, typ, label)
				continue
			}
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() || v.Type() != cty.String {
				bad("infra/%s: %s.%s name must be a literal string", cosmosFile, typ, label)
				continue
			}
			names[v.AsString()] = true
		}
		return names
	}
	dbs := literalNames("azurerm_cosmosdb_sql_database")
	containers := literalNames("azurerm_cosmosdb_sql_container")
	cv := reflect.ValueOf(in.Defaults.Cosmos)
	for i := range cv.NumField() {
		f := cv.Type().Field(i)
		env := f.Tag.Get("env")
		if f.Type.Kind() != reflect.String || env == "" {
			continue
		}
		value := cv.Field(i).String()
		switch {
		case env == "COSMOS_DATABASE":
			if !dbs[value] {
				bad("infra/%s: no azurerm_cosmosdb_sql_database named %q (%s default)", cosmosFile, value, env)
			}
		case strings.HasSuffix(env, "_CONTAINER"):
			if !containers[value] {
				bad("infra/%s: no azurerm_cosmosdb_sql_container named %q (%s default)", cosmosFile, value, env)
			}
		}
	}

	sort.Strings(problems)
	return problems
}

func TestInfraMatchesHandlerContract(t *testing.T) {
	for _, p := range Check(loadInputs(t)) {
		t.Error(p)
	}
}

// The checker itself: each mutation of the real inputs must be caught.
func TestCheckCatchesBreaks(t *testing.T) {
	base := loadInputs(t)
	if problems := Check(base); len(problems) > 0 {
		t.Fatal("the real inputs already break the contract (see TestInfraMatchesHandlerContract), so no mutation can be judged")
	}
	// edit replaces every match of the regular expression pattern (multi-line
	// mode) in one infra file; it must match, so a reworded file fails loudly
	// here rather than making a case pass vacuously.
	edit := func(file, pattern, repl string) func(in *Inputs) {
		re := regexp.MustCompile("(?m)" + pattern)
		return func(in *Inputs) {
			src := string(in.TF[file])
			if !re.MatchString(src) {
				t.Fatalf("mutation: /%s/ matches nothing in infra/%s", pattern, file)
			}
			in.TF = maps.Clone(in.TF)
			in.TF[file] = []byte(re.ReplaceAllString(src, repl))
		}
	}
	cases := []struct {
		name   string
		mutate func(in *Inputs)
		want   string
	}{
		{"handler setting missing", edit(functionsFile, `^\s*REINDEX_QUEUE\s*=.*$`, ""), "REINDEX_QUEUE is missing"},
		{"local-only setting in Azure", edit(functionsFile, `^\s*LOG_LEVEL\s*=.*$`, "$0\n    COSMOS_KEY = \"x\""), "COSMOS_KEY must not be set"},
		{"worker runtime in Azure", edit(functionsFile, `^\s*Storage__credential\s*=.*$`, "$0\n    FUNCTIONS_WORKER_RUNTIME = \"custom\""), "FUNCTIONS_WORKER_RUNTIME must not be set"},
		{"poison queue not created", edit(storageFile, `"reindex-poison",`, ""), "queue \"reindex-poison\""},
		{"container not created", edit(storageFile, `supplier_drop\s*=\s*"supplier-drop"`, `supplier_drop = "supplier-dropped"`), "blob container \"supplier-drop\""},
		{"identity connection incomplete", edit(functionsFile, `^\s*Storage__clientId\s*=.*$`, ""), "Storage__clientId"},
		{"sample lacks a variable", func(in *Inputs) {
			in.Sample = []byte(strings.Replace(string(in.Sample), "\"HEALTH_TIMEOUT\"", "\"HEALTH_TIMEOUT_X\"", 1))
		}, "local.settings.sample.json: handler variable HEALTH_TIMEOUT is missing"},
		{"new config variable", func(in *Inputs) {
			in.ConfigNames = append(slices.Clone(in.ConfigNames), "NEW_SETTING")
		}, "NEW_SETTING is missing from local.handler_app_settings"},
		{"new timer function not alerted on", func(in *Inputs) {
			in.Functions = append(slices.Clone(in.Functions), funcdef.Function{Name: "Purge", Bindings: []funcdef.Binding{{Name: "t", Type: "timerTrigger", Direction: "in", Schedule: "0 0 3 * * *"}}})
		}, "background_functions lacks Purge"},
		{"cosmos container not created", edit(cosmosFile, `name\s*=\s*"media"`, `name = "medias"`), `no azurerm_cosmosdb_sql_container named "media"`},
		{"telemetry setting missing", edit(telemetryFile, `^\s*OTEL_EXPORTER_OTLP_ENDPOINT\s*=.*$`, ""), "OTEL_EXPORTER_OTLP_ENDPOINT is missing"},
		{"telemetry settings not merged", edit(functionsFile, `, local\.telemetry_app_settings\)`, ")"), "must merge local.handler_app_settings, local.host_app_settings and local.telemetry_app_settings"},
		{"ingest token as a value", edit(telemetryFile, `^(\s*OTEL_EXPORTER_OTLP_HEADERS\s*=).*$`, `$1 "Authorization=Bearer%20abc"`), "OTEL_EXPORTER_OTLP_HEADERS must be a Key Vault reference"},
		{"plain-http collector", edit(telemetryFile, `"https://\$\{azurerm_container_app`, `"http://${azurerm_container_app`), "OTEL_EXPORTER_OTLP_ENDPOINT must be an https:// URL"},
		{"new bound queue", func(in *Inputs) {
			fns := slices.Clone(in.Functions)
			fns = append(fns, funcdef.Function{Name: "X", Bindings: []funcdef.Binding{{Name: "m", Type: "queueTrigger", Direction: "in", QueueName: "audit", Connection: "Storage"}}})
			in.Functions = fns
		}, "queue \"audit-poison\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base
			c.mutate(&in)
			problems := Check(in)
			for _, p := range problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Errorf("no problem containing %q; got %q", c.want, problems)
		})
	}
}
