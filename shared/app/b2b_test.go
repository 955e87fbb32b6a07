package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/xuri/excelize/v2"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/health"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/search/searchtest"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

const (
	asB2BAll      = "Bearer client:b2b/catalogue:read catalogue:export changes:read"
	asB2BReadOnly = "Bearer client:b2b/catalogue:read"
)

func allowAll(context.Context, string) (Admission, error) { return Admission{Allowed: true}, nil }

func TestAccessRules(t *testing.T) {
	person := func(roles ...string) *auth.Principal { return &auth.Principal{Kind: auth.KindPerson, Roles: roles} }
	client := func(roles []string, scopes ...string) *auth.Principal {
		return &auth.Principal{Kind: auth.KindClient, Roles: roles, Scopes: scopes}
	}
	b2b := []string{"b2b"}
	for _, tc := range []struct {
		function string
		p        *auth.Principal
		want     bool
	}{
		{"Search", person("viewer"), true},
		{"Search", client(b2b, scopeCatalogueRead), false}, // clients never get the web routes
		{"B2BSearch", client(b2b, scopeCatalogueRead), true},
		{"B2BSearch", person("admin"), false}, // people never get the B2B routes
		{"B2BSearch", client(nil, scopeCatalogueRead), false},
		{"B2BSearch", client([]string{"admin"}, scopeCatalogueRead), false},
		{"B2BSearch", client(b2b, scopeCatalogueExport), false},
		{"B2BExport", client(b2b, scopeCatalogueRead), false},
		{"B2BExport", client(b2b, scopeCatalogueExport), true},
		{"B2BChanges", client(b2b, scopeCatalogueRead, scopeCatalogueExport), false},
		{"B2BChanges", client(b2b, scopeChangesRead), true},
		{"ValidateSupplierFile", person("subscriber"), false},
		{"ValidateSupplierFile", person("editor"), true},
		{"StartMaintenance", person("editor"), false},
		{"StartMaintenance", person("admin"), true},
		{"StartMaintenance", client([]string{"admin", "b2b"}, scopeCatalogueRead), false},
		{"B2BGetMedia", nil, false},
	} {
		if got := routeAccess[tc.function].allows(tc.p); got != tc.want {
			t.Errorf("%s allows %+v = %v, want %v", tc.function, tc.p, got, tc.want)
		}
	}
}

func TestFieldsForB2BClients(t *testing.T) {
	full := fieldsFor(&auth.Principal{Kind: auth.KindClient, Roles: []string{"b2b"}, Scopes: []string{scopeCatalogueRead}})
	if !full.Contacts || !full.Prices {
		t.Errorf("a b2b client with catalogue:read sees %+v, want subscriber data", full)
	}
	none := fieldsFor(&auth.Principal{Kind: auth.KindClient, Roles: []string{"b2b"}, Scopes: []string{scopeChangesRead}})
	if none.Contacts || none.Prices {
		t.Errorf("a b2b client without catalogue:read sees %+v", none)
	}
}

func b2bServer(t *testing.T, deps Deps) http.Handler {
	t.Helper()
	deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	deps.Health = health.New(time.Second, nil)
	deps.Auth = fakeAuth
	if deps.Media == nil {
		deps.Media = stubMedia{}
	}
	return New(deps).Handler()
}

func TestB2BLimits(t *testing.T) {
	target := "/api/v1/media/" + sampleTitle().ID
	t.Run("no limiter configured: 503, never unlimited", func(t *testing.T) {
		rec := get(t, b2bServer(t, Deps{}), target, map[string]string{"Authorization": asB2BAll})
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503", rec.Code)
		}
	})
	t.Run("rate limit: 429 with Retry-After rounded up", func(t *testing.T) {
		var gotClient string
		lim := func(_ context.Context, client string) (Admission, error) {
			gotClient = client
			return Admission{RetryAfter: 2100 * time.Millisecond, Reason: "rate"}, nil
		}
		rec := get(t, b2bServer(t, Deps{Limiter: lim}), target, map[string]string{"Authorization": asB2BAll})
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "3" {
			t.Errorf("status %d Retry-After %q, want 429 and 3", rec.Code, rec.Header().Get("Retry-After"))
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type %q", ct)
		}
		if gotClient != "test-client" {
			t.Errorf("limiter asked about %q, want the token's client id", gotClient)
		}
	})
	t.Run("daily quota: 429 says so", func(t *testing.T) {
		lim := func(context.Context, string) (Admission, error) {
			return Admission{RetryAfter: 5 * time.Hour, Reason: "daily"}, nil
		}
		rec := get(t, b2bServer(t, Deps{Limiter: lim}), target, map[string]string{"Authorization": asB2BAll})
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "18000" || !strings.Contains(rec.Body.String(), "daily quota") {
			t.Errorf("status %d Retry-After %q body %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	})
	t.Run("limiter failure admits the call", func(t *testing.T) {
		lim := func(context.Context, string) (Admission, error) { return Admission{}, errors.New("ledger down") }
		rec := get(t, b2bServer(t, Deps{Limiter: lim}), target, map[string]string{"Authorization": asB2BAll})
		if rec.Code != http.StatusOK {
			t.Errorf("status %d, want 200", rec.Code)
		}
	})
	t.Run("people are not counted and not admitted", func(t *testing.T) {
		calls := 0
		lim := func(context.Context, string) (Admission, error) { calls++; return Admission{Allowed: true}, nil }
		rec := get(t, b2bServer(t, Deps{Limiter: lim}), target, map[string]string{"Authorization": "Bearer role:admin"})
		if rec.Code != http.StatusForbidden || calls != 0 {
			t.Errorf("status %d with %d limiter calls, want 403 and none", rec.Code, calls)
		}
	})
}

func TestB2BDetailHasSubscriberData(t *testing.T) {
	rec := get(t, b2bServer(t, Deps{Limiter: allowAll}), "/api/v1/media/"+sampleTitle().ID, map[string]string{"Authorization": asB2BReadOnly})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "marie.dubois@example.be") || !strings.Contains(rec.Body.String(), "amountMinor") {
		t.Errorf("status %d body %.400s; want contacts and prices", rec.Code, rec.Body)
	}
}

type fakeFeed struct {
	mu     sync.Mutex
	cursor string
	limit  int
}

func (f *fakeFeed) read(_ context.Context, cursor string, limit int) (ChangesPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cursor, f.limit = cursor, limit
	if cursor == "bad" {
		return ChangesPage{}, &apperr.ParamError{Param: "since", Reason: "not a cursor from this API"}
	}
	return ChangesPage{Changes: []catalog.Change{{ID: "mt_a:2", TitleID: "mt_a", Version: 2, Kind: "updated",
		Blocks: []catalog.Block{"audience"}, Fields: []string{"headline"}, OldHash: "h1", NewHash: "h2",
		At: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}}, Next: "c2", More: true}, nil
}

func TestChangesFeedRoute(t *testing.T) {
	_, v := openAPI(t)
	feed := &fakeFeed{}
	h := b2bServer(t, Deps{Limiter: allowAll, Changes: feed.read})
	auth := map[string]string{"Authorization": asB2BAll}
	body := check(t, v, h, apiCase{target: "/api/v1/changes?since=c1&limit=2", header: auth, status: 200})
	if feed.cursor != "c1" || feed.limit != 2 {
		t.Errorf("feed read (%q, %d), want (c1, 2)", feed.cursor, feed.limit)
	}
	if !strings.Contains(string(body), `"next":"c2"`) || !strings.Contains(string(body), `"mt_a:2"`) {
		t.Errorf("body %s", body)
	}
	check(t, v, h, apiCase{target: "/api/v1/changes", header: auth, status: 200})
	if feed.limit != defaultChangesLimit {
		t.Errorf("default limit %d", feed.limit)
	}
	check(t, v, h, apiCase{target: "/api/v1/changes?limit=1001", header: auth, status: 400, param: "limit", specRejects: true})
	check(t, v, h, apiCase{target: "/api/v1/changes?since=bad", header: auth, status: 400, param: "since"})
	if rec := get(t, h, "/api/v1/changes", map[string]string{"Authorization": asB2BReadOnly}); rec.Code != http.StatusForbidden {
		t.Errorf("changes without changes:read = %d, want 403", rec.Code)
	}
}

// exportServer serves exports over the search fixture plus one title whose
// name and description a spreadsheet would run as formulas.
func exportServer(t *testing.T) http.Handler {
	t.Helper()
	admin, searcher := searchtest.Load(t)
	evil := search.Doc{ID: "be-evil", Name: "=HYPERLINK(\"http://x.test\",\"Le Journal\")", MediaType: "print", SubType: "daily", Status: "active",
		Coverage: search.Coverage{Countries: []string{"BE"}}, Description: search.Localized{"fr": "@SUM(1+1) journal"}, UpdatedAt: time.Now()}
	if err := search.IndexBatch(t.Context(), admin.ES, admin.WriteAlias, []search.Doc{evil}, true); err != nil {
		t.Fatal(err)
	}
	return b2bServer(t, Deps{Limiter: allowAll, Search: searcher})
}

func TestExport(t *testing.T) {
	t.Parallel()
	_, v := openAPI(t)
	h := exportServer(t)
	auth := map[string]string{"Authorization": asB2BAll}

	t.Run("csv streams every hit, neutralised", func(t *testing.T) {
		body := check(t, v, h, apiCase{target: "/api/v1/export?format=csv&country=BE&sort=name", header: auth, status: 200})
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatalf("CSV: %v\n%s", err, body)
		}
		if !slices.Equal(rows[0], exportColumns) {
			t.Errorf("header %v", rows[0])
		}
		var names []string
		for _, r := range rows[1:] {
			names = append(names, r[1])
			if r[0] == "be-evil" && (r[1] != `'=HYPERLINK("http://x.test","Le Journal")` || r[2] != "'@SUM(1+1) journal") {
				t.Errorf("formula cells not neutralised: %q", r)
			}
		}
		// BE titles, active only (the default status filter), in name order.
		want := []string{`'=HYPERLINK("http://x.test","Le Journal")`, "Bruzz", "De Standaard", "De Streekkrant", "Grenz-Echo", "Knack", "L'Echo", "Metra", "Metro", "Télé-Moustique"}
		if !slices.Equal(names, want) {
			t.Errorf("exported names %q, want %q", names, want)
		}
	})
	t.Run("limit caps the rows; total says how many matched", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/export?format=csv&country=BE&sort=name&limit=3", nil)
		req.Header.Set("Authorization", asB2BAll)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(rec.Body.Bytes(), []byte("\uFEFF")))).ReadAll()
		if err != nil || len(rows) != 4 {
			t.Fatalf("rows %d err %v", len(rows), err)
		}
		if got := rec.Header().Get("X-Export-Total"); got != "10" {
			t.Errorf("X-Export-Total %q, want 10", got)
		}
		if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="mediaspecs-export-`) || !strings.HasSuffix(cd, `.csv"`) {
			t.Errorf("Content-Disposition %q", cd)
		}
	})
	t.Run("xlsx holds the same strings and no formula", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/export?format=xlsx&q=journal", nil)
		req.Header.Set("Authorization", asB2BAll)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheet := f.GetSheetName(0)
		rows, err := f.GetRows(sheet)
		if err != nil || len(rows) < 2 {
			t.Fatalf("rows %v err %v", rows, err)
		}
		found := false
		for i, r := range rows[1:] {
			for j := range r {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
				if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
					t.Errorf("cell %s holds formula %q", cell, formula)
				}
			}
			if r[0] == "be-evil" {
				found = r[1] == `'=HYPERLINK("http://x.test","Le Journal")`
			}
		}
		if !found {
			t.Errorf("the formula-named title is missing or not neutralised: %q", rows)
		}
	})
	for _, tc := range []apiCase{
		{name: "no format", target: "/api/v1/export?q=x", status: 400, param: "format", specRejects: true},
		{name: "unknown format", target: "/api/v1/export?format=pdf", status: 400, param: "format", specRejects: true},
		{name: "limit over the cap", target: "/api/v1/export?format=csv&limit=10001", status: 400, param: "limit", specRejects: true},
		{name: "cursor is not for exports", target: "/api/v1/export?format=csv&cursor=abc", status: 400, param: "cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.header = auth
			check(t, v, h, tc)
		})
	}
	if rec := get(t, h, "/api/v1/export?format=csv", map[string]string{"Authorization": asB2BReadOnly}); rec.Code != http.StatusForbidden {
		t.Errorf("export without catalogue:export = %d, want 403", rec.Code)
	}
}

// failingAfter lets n Elasticsearch requests through, then fails the rest.
type failingAfter struct {
	mu sync.Mutex
	n  int
}

func (f *failingAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.n--
	ok := f.n >= 0
	f.mu.Unlock()
	if !ok {
		return nil, errors.New("injected: Elasticsearch went away")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestExportAbortsMidway: a search failing after rows went out (the fourth
// page; the CSV writer flushes every 200 rows) aborts the transfer instead of
// ending a short file as if it were complete.
func TestExportAbortsMidway(t *testing.T) {
	t.Parallel()
	admin, searcher := searchtest.Load(t)
	var more []search.Doc
	for i := range 4*exportPageSize + 20 {
		more = append(more, search.Doc{ID: fmt.Sprintf("be-extra-%03d", i), Name: fmt.Sprintf("Extra %03d", i), MediaType: "print", Status: "active",
			Coverage: search.Coverage{Countries: []string{"BE"}}, UpdatedAt: time.Now()})
	}
	if err := search.IndexBatch(t.Context(), admin.ES, admin.WriteAlias, more, true); err != nil {
		t.Fatal(err)
	}
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{stacktest.ElasticsearchURL}, Transport: &failingAfter{n: 3}, MaxRetries: -1, DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b2bServer(t, Deps{Limiter: allowAll, Search: &search.Searcher{ES: es, Index: searcher.Index}}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/export?format=csv&sort=name", nil)
	req.Header.Set("Authorization", asB2BAll)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 (the first page is fine)", resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Errorf("the transfer completed (%d bytes) although the second page failed", len(body))
	}
}
