// Package apidoc is the API's description and documentation: the hand-written
// OpenAPI 3.1 document (openapi.json) served at /api/openapi.json, and an API
// docs page at /api/docs rendering it with Swagger UI, whose files are embedded
// in the binary (no CDN) and pinned by assets/package-lock.json and
// assets/SHA256SUMS (refresh them with assets/update.sh).
//
// The docs page is one route: /api/docs answers the HTML page, and
// /api/docs?asset=NAME each file the page loads, so the Function App needs no
// route beyond the two it declares, and the page's Content-Security-Policy can
// allow its own origin only.
package apidoc

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

//go:embed openapi.json
var specJSON []byte

//go:embed web/docs.html web/docs.js web/docs.css
var webFS embed.FS

//go:embed assets/dist
var distFS embed.FS

// ContentSecurityPolicy is the policy of the docs page and its files: the
// page's own origin only. Images may also be data: URIs, which the Swagger UI
// style sheet uses for its icons; they load nothing from the network.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Cache lifetimes. The document and the page revalidate by ETag on every use,
// so a deployment shows at once; the Swagger UI files change only with the
// pinned version and may be reused for an hour.
const (
	specCacheControl  = "public, max-age=0, must-revalidate"
	pageCacheControl  = "no-cache"
	assetCacheControl = "public, max-age=3600"
)

// resource is one embedded file with its precomputed representation headers.
type resource struct {
	body         []byte
	contentType  string
	etag         string
	cacheControl string
}

func newResource(body []byte, contentType, cacheControl string) *resource {
	sum := sha256.Sum256(body)
	return &resource{body: body, contentType: contentType, cacheControl: cacheControl,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
}

var (
	spec = newResource(specJSON, "application/json", specCacheControl)
	page = newResource(mustRead(webFS, "web/docs.html"), "text/html; charset=utf-8", pageCacheControl)
	// assets are the files the page loads, by their ?asset= name.
	assets = map[string]*resource{}
)

// AssetNames are the names /api/docs?asset= serves, sorted.
var AssetNames []string

func init() {
	for _, name := range []string{"docs.js", "docs.css"} {
		assets[name] = newResource(mustRead(webFS, "web/"+name), contentType(name), assetCacheControl)
	}
	entries, err := distFS.ReadDir("assets/dist")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		assets[e.Name()] = newResource(mustRead(distFS, "assets/dist/"+e.Name()), contentType(e.Name()), assetCacheControl)
	}
	for name := range assets {
		AssetNames = append(AssetNames, name)
	}
	slices.Sort(AssetNames)
}

func mustRead(fsys embed.FS, name string) []byte {
	b, err := fsys.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	default: // LICENSE, NOTICE
		return "text/plain; charset=utf-8"
	}
}

// Spec returns a copy of the OpenAPI document.
func Spec() []byte { return bytes.Clone(specJSON) }

// SpecHandler serves the OpenAPI document (GET /api/openapi.json) with an
// ETag; If-None-Match answers 304.
func SpecHandler(w http.ResponseWriter, r *http.Request) error {
	serve(w, r, spec)
	return nil
}

// DocsHandler serves the API docs page (GET /api/docs), and with ?asset=NAME
// one of the files it loads, under a same-origin-only Content-Security-Policy.
func DocsHandler(w http.ResponseWriter, r *http.Request) error {
	res := page
	if r.URL.Query().Has("asset") {
		name := r.URL.Query().Get("asset")
		var ok bool
		if res, ok = assets[name]; !ok {
			return fmt.Errorf("%w: the docs page has no asset %q", apperr.NotFound, name)
		}
	}
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	serve(w, r, res)
	return nil
}

// serve writes res, or 304 when If-None-Match names its ETag.
func serve(w http.ResponseWriter, r *http.Request, res *resource) {
	h := w.Header()
	h.Set("ETag", res.etag)
	h.Set("Cache-Control", res.cacheControl)
	if etagMatches(r.Header.Get("If-None-Match"), res.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", res.contentType)
	h.Set("Content-Length", fmt.Sprint(len(res.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(res.body)
	}
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
