package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	valerrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/mediaspecs/catalogue/shared/apidoc"
	"github.com/mediaspecs/catalogue/shared/health"
)

// openAPI parses the served OpenAPI document and returns its model and a
// validator for requests and responses.
func openAPI(t *testing.T) (*v3.Document, validator.Validator) {
	t.Helper()
	doc, err := libopenapi.NewDocument(apidoc.Spec())
	if err != nil {
		t.Fatalf("parse openapi.json: %v", err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1") {
		t.Fatalf("openapi.json is OpenAPI %s, want 3.1", v)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build the OpenAPI model: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("build the validator: %v", errors.Join(errs...))
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		t.Fatalf("openapi.json is not a valid OpenAPI 3.1 document:\n%s", describe(verrs))
	}
	return &m.Model, v
}

// describe renders the validator's messages, with each schema failure.
func describe(errs []*valerrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  - %s: %s", e.Message, e.Reason)
		if e.SpecLine > 0 {
			fmt.Fprintf(&b, " (openapi.json line %d)", e.SpecLine)
		}
		b.WriteString("\n")
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "      at %s: %s (%s)\n", "/"+strings.Join(f.InstancePath, "/"), f.Reason, f.KeywordLocation)
		}
	}
	return b.String()
}

// TestOpenAPICoversEveryRoute holds the OpenAPI document and the handler's
// routes in step: every forwarded HTTP route (/api/...) is an operation, and
// every operation is a route. Non-HTTP triggers (POST /<Name>) are the host's
// business and must not appear.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	model, _ := openAPI(t)
	spec := map[string]bool{}
	for path, item := range model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().KeysFromOldest() {
			spec[strings.ToUpper(method)+" "+path] = true
		}
	}
	s := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Health: health.New(time.Second, nil)})
	routes := map[string]bool{}
	for _, r := range s.Routes() {
		if strings.HasPrefix(r.Path, "/api/") {
			routes[r.Pattern()] = true
			if !spec[r.Pattern()] {
				t.Errorf("route %s (function %s) is not an operation in shared/apidoc/openapi.json", r.Pattern(), r.Function)
			}
		}
	}
	for op := range spec {
		if !routes[op] {
			t.Errorf("openapi.json describes %s, but no handler route serves it", op)
		}
	}
	if len(routes) == 0 {
		t.Fatal("no /api/ routes")
	}
}

// TestDocsAssetsMatchOpenAPI keeps the docs operation's asset enum equal to
// the files the handler embeds.
func TestDocsAssetsMatchOpenAPI(t *testing.T) {
	model, _ := openAPI(t)
	var enum []string
	for _, p := range model.Paths.PathItems.GetOrZero("/api/docs").Get.Parameters {
		if p.Name == "asset" {
			for _, n := range p.Schema.Schema().Enum {
				enum = append(enum, n.Value)
			}
		}
	}
	slices.Sort(enum)
	if !slices.Equal(enum, apidoc.AssetNames) {
		t.Errorf("openapi.json lists docs assets %v; the handler serves %v", enum, apidoc.AssetNames)
	}
}

// apiCase is one request whose response must match the OpenAPI document.
type apiCase struct {
	name   string
	target string
	header map[string]string
	status int
	// param is the problem's expected param on a 400.
	param string
	// specRejects says the document itself rules the request out (a limit it
	// states); otherwise the request must be valid by the document.
	specRejects bool
}

// exchange sends c to h and returns the request and the response, with the
// body kept readable for the validator and returned.
func exchange(t *testing.T, h http.Handler, c apiCase) (*http.Request, *http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, c.target, nil)
	req.Header.Set("Authorization", asViewer)
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return req, resp, body
}

// check sends c and validates the request and the response against the
// document, failing with the validator's messages.
func check(t *testing.T, v validator.Validator, h http.Handler, c apiCase) []byte {
	t.Helper()
	req, resp, body := exchange(t, h, c)
	if resp.StatusCode != c.status {
		t.Fatalf("GET %s: status %d, want %d; body %s", c.target, resp.StatusCode, c.status, body)
	}
	ok, errs := v.ValidateHttpRequestSync(req)
	switch {
	case c.specRejects && ok:
		t.Errorf("GET %s: the handler refuses it (%d) but openapi.json allows it; state the limit in the document", c.target, c.status)
	case !c.specRejects && !ok:
		t.Errorf("GET %s: the handler accepts this request but openapi.json does not:\n%s", c.target, describe(errs))
	}
	if ok, errs := v.ValidateHttpResponse(req, resp); !ok {
		t.Errorf("GET %s → %d %s: the response does not match openapi.json:\n%s\nbody: %.600s", c.target, resp.StatusCode, resp.Header.Get("Content-Type"), describe(errs), body)
	}
	if c.status >= 400 && !strings.HasPrefix(c.target, "/api/health") {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("GET %s: Content-Type %q, want application/problem+json", c.target, ct)
		}
		var p struct{ Param string }
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("GET %s: problem is not JSON: %v", c.target, err)
		}
		if c.param != "" && p.Param != c.param {
			t.Errorf("GET %s: problem param = %q, want %q", c.target, p.Param, c.param)
		}
	}
	return body
}

func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	_, v := openAPI(t)
	h := searchServer(t)

	long := strings.Repeat("a", 201)
	var many []string
	for i := range 21 {
		many = append(many, fmt.Sprintf("t%d", i))
	}
	cases := []apiCase{
		{name: "search with q and filters", target: "/api/search?q=quotidien&type=print&subtype=daily&country=BE,FR&lang=fr", status: 200},
		{name: "search with repeated filters and Accept-Language", target: "/api/search?type=print&type=online&country=BE", header: map[string]string{"Accept-Language": "nl-BE,nl;q=0.9"}, status: 200},
		{name: "facets over everything, closed titles included", target: "/api/search?status=active,closed&sort=name&page_size=100", status: 200},
		{name: "ranges and prices", target: "/api/search?circulation_min=10000&reach_max=2000000&price_min=100&price_max=30000,50&price_basis=per_insertion&price_currency=EUR", header: map[string]string{"Authorization": asSubscriber}, status: 200},
		{name: "price filters as a viewer", target: "/api/search?price_min=100&price_basis=per_insertion", status: 403},
		{name: "sort by circulation", target: "/api/search?sort=circulation&lang=en", status: 200},
		{name: "highlights in German", target: "/api/search?q=Tageszeitung&lang=de", status: 200},
		{name: "suggest", target: "/api/suggest?q=lib&size=5", status: 200},
		{name: "suggest default size", target: "/api/suggest?q=de", status: 200},
		{name: "q too long", target: "/api/search?q=" + long, status: 400, param: "q", specRejects: true},
		{name: "unknown lang", target: "/api/search?lang=xx", status: 400, param: "lang", specRejects: true},
		{name: "page_size 0", target: "/api/search?page_size=0", status: 400, param: "page_size", specRejects: true},
		{name: "page_size 101", target: "/api/search?page_size=101", status: 400, param: "page_size", specRejects: true},
		{name: "page_size not a number", target: "/api/search?page_size=ten", status: 400, param: "page_size", specRejects: true},
		{name: "unknown sort", target: "/api/search?sort=price", status: 400, param: "sort", specRejects: true},
		{name: "relevance without q", target: "/api/search?sort=relevance", status: 400, param: "sort"},
		{name: "price with three decimals", target: "/api/search?price_min=1.234&price_basis=cpm", status: 400, param: "price_min", specRejects: true},
		{name: "price without basis", target: "/api/search?price_max=100", header: map[string]string{"Authorization": asSubscriber}, status: 400, param: "price_basis"},
		{name: "negative circulation", target: "/api/search?circulation_min=-1", status: 400, param: "circulation_min", specRejects: true},
		{name: "bad cursor", target: "/api/search?cursor=not-a-cursor", status: 400, param: "cursor"},
		{name: "too many filter values", target: "/api/search?type=" + strings.Join(many, ","), status: 400, param: "type", specRejects: true},
		{name: "suggest size 11", target: "/api/suggest?q=lib&size=11", status: 400, param: "size", specRejects: true},
		{name: "suggest without q", target: "/api/suggest", status: 400, param: "q", specRejects: true},
		{name: "media detail without a store", target: "/api/media/fr-liberation", status: 503},
		{name: "openapi.json", target: "/api/openapi.json", status: 200},
		{name: "docs page", target: "/api/docs", status: 200},
		{name: "docs script", target: "/api/docs?asset=swagger-ui-bundle.js", status: 200},
		{name: "docs style sheet", target: "/api/docs?asset=swagger-ui.css", status: 200},
		{name: "docs unknown asset", target: "/api/docs?asset=secret.txt", status: 404, specRejects: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { check(t, v, h, c) })
	}

	t.Run("cursor pages", func(t *testing.T) {
		var first, second searchResponse
		body := check(t, v, h, apiCase{target: "/api/search?type=print&sort=name&page_size=3", status: 200})
		if err := json.Unmarshal(body, &first); err != nil || first.NextCursor == "" || len(first.Hits) != 3 {
			t.Fatalf("first page: %v %s", err, body)
		}
		body = check(t, v, h, apiCase{target: "/api/search?type=print&sort=name&page_size=3&cursor=" + url.QueryEscape(first.NextCursor), status: 200})
		if err := json.Unmarshal(body, &second); err != nil || len(second.Hits) == 0 || second.Hits[0].ID == first.Hits[0].ID {
			t.Fatalf("second page: %v %s", err, body)
		}
	})

	for _, target := range []string{"/api/openapi.json", "/api/docs", "/api/docs?asset=docs.js"} {
		t.Run("304 for "+target, func(t *testing.T) {
			_, resp, _ := exchange(t, h, apiCase{target: target})
			etag := resp.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			check(t, v, h, apiCase{target: target, header: map[string]string{"If-None-Match": etag}, status: 304})
		})
	}

	t.Run("unknown route", func(t *testing.T) {
		req, resp, body := exchange(t, h, apiCase{target: "/api/nothing-here"})
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		// The path is in no operation, so validate against the Problem schema itself.
		if ok, _ := v.ValidateHttpResponse(req, resp); ok {
			t.Error("the validator accepts a response for a path openapi.json does not have")
		}
		validateProblem(t, body)
	})
}

// validateProblem validates body against components.schemas.Problem.
func validateProblem(t *testing.T, body []byte) {
	t.Helper()
	model, _ := openAPI(t)
	schema := model.Components.Schemas.GetOrZero("Problem").Schema()
	if ok, errs := schema_validation.NewSchemaValidator().ValidateSchemaBytes(schema, body); !ok {
		t.Errorf("problem does not match the Problem schema:\n%s\nbody: %s", describe(errs), body)
	}
}

func TestHealthAndUnconfiguredResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	_, v := openAPI(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	up := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("refused") }
	slow := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

	healthy := New(Deps{Logger: logger, Health: health.New(time.Second, map[string]health.Check{"cosmos": up, "elasticsearch": up}), Auth: fakeAuth}).Handler()
	check(t, v, healthy, apiCase{target: "/api/health", status: 200})

	sick := New(Deps{Logger: logger, Health: health.New(50*time.Millisecond, map[string]health.Check{"cosmos": up, "elasticsearch": down, "storage": slow}), Auth: fakeAuth}).Handler()
	check(t, v, sick, apiCase{target: "/api/health", status: 503})

	// Without a search backend, search and suggest refuse honestly.
	check(t, v, sick, apiCase{target: "/api/search?q=echo", status: 503})
	check(t, v, sick, apiCase{target: "/api/suggest?q=echo", status: 503})
}

// chromium finds the headless browser. Like stacktest.Require, a missing
// browser fails the test under CI=true or MEDIASPECS_REQUIRE_STACK=1 and
// skips it elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	name := "chromium"
	if env := os.Getenv("MEDIASPECS_CHROMIUM"); env != "" {
		name = env
	}
	bin, err := exec.LookPath(name)
	if err == nil {
		return bin
	}
	msg := fmt.Sprintf("headless browser %s is not available (%v); install Debian's chromium with `infra/local/chromium.sh`", name, err)
	if os.Getenv("CI") == "true" || os.Getenv("MEDIASPECS_REQUIRE_STACK") == "1" {
		t.Fatal(msg)
	}
	t.Skipf("%s (skipped because CI is not true)", msg)
	return ""
}

// cspViolation matches Chromium's console report of a blocked load.
var cspViolation = regexp.MustCompile(`(?i)content security policy|refused to (load|execute|apply|connect)`)

// renderedOp finds an operation as Swagger UI renders it: method, path, summary.
var renderedOp = regexp.MustCompile(`(?s)opblock-summary-method">([A-Z]+)<.*?data-path="([^"]+)".*?opblock-summary-description">([^<]*)<`)

// TestDocsPageRendersInChromium loads /api/docs from the real handler in
// headless Chromium, lets Swagger UI render the served OpenAPI document, and
// looks for the operations in the rendered DOM. Every file must come from the
// handler itself, and the Content-Security-Policy must block nothing.
func TestDocsPageRendersInChromium(t *testing.T) {
	t.Parallel()
	bin := chromium(t)

	var mu sync.Mutex
	var served []string
	app := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Health: health.New(time.Second, nil)}).Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served = append(served, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		app.ServeHTTP(w, r)
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(),
		"--enable-logging=stderr", "--v=0",
		"--virtual-time-budget=10000", "--dump-dom", srv.URL+"/api/docs")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\nstderr:\n%s", err, stderr.String())
	}
	dom := stdout.String()

	if !strings.Contains(dom, `data-docs-ready="true"`) {
		t.Errorf("Swagger UI did not finish rendering (no data-docs-ready); DOM:\n%.3000s", dom)
	}
	for _, want := range []string{
		"MediaSpecs catalogue API", "Search media titles", "Suggest names as the user types", "Read one media title",
		`data-path="/api/search"`, `data-path="/api/suggest"`, `data-path="/api/media/{id}"`,
		`data-path="/api/health"`, `data-path="/api/openapi.json"`, `data-path="/api/docs"`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if cspViolation.MatchString(line) {
			t.Errorf("the page's Content-Security-Policy blocked something: %s", line)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"GET /api/docs", "GET /api/docs?asset=swagger-ui-bundle.js", "GET /api/docs?asset=swagger-ui.css", "GET /api/docs?asset=docs.js", "GET /api/openapi.json"} {
		if !slices.Contains(served, want) {
			t.Errorf("the browser never requested %s; it requested %v", want, served)
		}
	}
	var ops []string
	for _, m := range renderedOp.FindAllStringSubmatch(dom, -1) {
		ops = append(ops, m[1]+" "+m[2]+" ("+m[3]+")")
	}
	t.Logf("chromium rendered %d bytes of DOM with %d operations: %s; requests: %v", len(dom), len(ops), strings.Join(ops, "; "), served)
}
