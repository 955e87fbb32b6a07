package apidoc

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

const pinnedPackage = "swagger-ui-dist"

// sums reads assets/SHA256SUMS: its header names the package, version and
// tarball integrity the files came from; each line is "sha256  file".
func sums(t *testing.T) (header []string, files map[string]string) {
	t.Helper()
	f, err := os.Open("assets/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# "); ok {
			if header == nil {
				header = strings.Fields(rest)
			}
			continue
		}
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS: bad line %q", line)
		}
		files[name] = sum
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return header, files
}

// TestEmbeddedAssetsArePinned checks the chain from the npm lockfile to the
// bytes in the binary: the lockfile pins one version and tarball integrity,
// SHA256SUMS (written by update.sh after checking that integrity) names the
// same ones, and every embedded dist file has the sha256 recorded there.
// npm's integrity covers the whole tarball, not single files, so the files'
// own digests live in SHA256SUMS.
func TestEmbeddedAssetsArePinned(t *testing.T) {
	var lock struct {
		Packages map[string]struct {
			Version   string `json:"version"`
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	b, err := os.ReadFile("assets/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	pinned, ok := lock.Packages["node_modules/"+pinnedPackage]
	if !ok || pinned.Version == "" || !strings.HasPrefix(pinned.Integrity, "sha512-") {
		t.Fatalf("package-lock.json does not pin %s with a sha512 integrity: %+v", pinnedPackage, pinned)
	}
	var manifest struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if b, err = os.ReadFile("assets/package.json"); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	if got := manifest.Dependencies[pinnedPackage]; got != pinned.Version {
		t.Errorf("package.json asks for %s %q, an exact version equal to the lockfile's %s", pinnedPackage, got, pinned.Version)
	}

	header, files := sums(t)
	if want := []string{pinnedPackage, pinned.Version, pinned.Integrity}; !slices.Equal(header, want) {
		t.Errorf("SHA256SUMS comes from %v, the lockfile pins %v: run assets/update.sh", header, want)
	}
	entries, err := distFS.ReadDir("assets/dist")
	if err != nil {
		t.Fatal(err)
	}
	var embedded []string
	for _, e := range entries {
		embedded = append(embedded, e.Name())
		body, err := distFS.ReadFile("assets/dist/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		if got := hex.EncodeToString(sum[:]); got != files[e.Name()] {
			t.Errorf("embedded %s has sha256 %s, SHA256SUMS records %q: run assets/update.sh", e.Name(), got, files[e.Name()])
		}
	}
	for name := range files {
		if !slices.Contains(embedded, name) {
			t.Errorf("SHA256SUMS lists %s, which is not embedded", name)
		}
	}
	for _, need := range []string{"swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"} {
		if !slices.Contains(embedded, need) {
			t.Errorf("%s is not embedded", need)
		}
	}
}

func serveOnce(t *testing.T, fn func(http.ResponseWriter, *http.Request) error, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	if err := fn(rec, req); err != nil {
		apperr.WriteProblem(rec, req, err)
	}
	return rec
}

func TestSpecHandler(t *testing.T) {
	rec := serveOnce(t, SpecHandler, "/api/openapi.json", nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !bytes.Equal(rec.Body.Bytes(), specJSON) {
		t.Error("body is not openapi.json")
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi = %q, %v", doc.OpenAPI, err)
	}
	etag := rec.Header().Get("ETag")
	if etag == "" || rec.Header().Get("Cache-Control") == "" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, rec.Header().Get("Cache-Control"))
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		if rec := serveOnce(t, SpecHandler, "/api/openapi.json", map[string]string{"If-None-Match": inm}); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("If-None-Match %s: status %d with %d bytes, want 304 and no body", inm, rec.Code, rec.Body.Len())
		}
	}
	if rec := serveOnce(t, SpecHandler, "/api/openapi.json", map[string]string{"If-None-Match": `"stale"`}); rec.Code != 200 {
		t.Errorf("stale If-None-Match: status %d, want 200", rec.Code)
	}
}

func TestDocsHandler(t *testing.T) {
	rec := serveOnce(t, DocsHandler, "/api/docs", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-") || strings.Contains(csp, "http") {
		t.Errorf("CSP %q is not same-origin only", csp)
	}
	page := rec.Body.String()
	if strings.Contains(page, "<script>") || strings.Contains(page, "style=") || strings.Contains(page, "://") {
		t.Errorf("the page has inline code or names another host:\n%s", page)
	}
	for _, name := range AssetNames {
		rec := serveOnce(t, DocsHandler, "/api/docs?asset="+name, nil)
		if rec.Code != 200 || rec.Header().Get("Content-Security-Policy") != csp || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("asset %s: status %d, headers %v", name, rec.Code, rec.Header())
		}
		if name != "LICENSE" && name != "NOTICE" && !strings.Contains(page, "docs?asset="+name) {
			t.Errorf("the page does not load %s", name)
		}
	}
	if rec := serveOnce(t, DocsHandler, "/api/docs?asset=../openapi.json", nil); rec.Code != 404 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown asset: status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	err := DocsHandler(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/docs?asset=", nil))
	if !errors.Is(err, apperr.NotFound) {
		t.Errorf("empty asset: err = %v, want NotFound", err)
	}
}
