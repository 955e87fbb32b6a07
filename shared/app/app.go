// Package app is the Function App as the handler serves it: which route
// answers which function, and the middleware every forwarded HTTP request
// passes through. A drift test holds this table and functions/*/function.json
// in step.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/mediaspecs/catalogue/shared/apidoc"
	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/funchost"
	"github.com/mediaspecs/catalogue/shared/health"
	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// Route binds one function to the handler path the host calls: the declared
// method and route under /api/ for forwarded HTTP functions, POST /<Name> for
// every other trigger (functions-protocol.md §3).
type Route struct {
	Function string
	Method   string
	Path     string // a net/http pattern path, e.g. /api/media/{id}
	Handler  http.Handler
}

// Pattern is the net/http ServeMux pattern of the route.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Deps are the live dependencies of the app.
type Deps struct {
	Logger *slog.Logger
	// Health runs the readiness checks (a *health.Cached in production).
	Health interface {
		Run(ctx context.Context) health.Report
	}
	// Search serves Search and Suggest; nil answers 503.
	Search *search.Searcher
	// Labels localises facet values; nil shows the values themselves.
	Labels Labeler
	// Media serves GetMedia with point reads; nil answers 503.
	Media MediaReader
	// Ingest is the IngestSupplierFile function body; nil fails every invocation.
	Ingest funchost.Func
	// Reindex is the ReindexMedia function body; nil fails every invocation.
	Reindex funchost.Func
	// Maintenance is the NightlyMaintenance function body; nil fails every invocation.
	Maintenance funchost.Func
	// Auth authenticates callers of the gated routes (access.go); nil
	// answers 503 on every route that needs a role.
	Auth auth.Authenticator
	// Limiter applies the B2B clients' rate limits and quotas; nil answers
	// 503 to every B2B call.
	Limiter ClientLimiter
	// Changes serves the B2B changes feed; nil answers 503.
	Changes ChangeFeed
	// IngestReports lists and reads ingestion reports; nil answers 503.
	IngestReports ReportStore
	// Validate dry-runs supplier files; nil answers 503.
	Validate FileValidator
	// Runs starts and reports manual maintenance runs; nil answers 503.
	Runs MaintenanceRuns
	// RunMaintenance is the RunMaintenance queue function body; nil fails
	// every invocation.
	RunMaintenance funchost.Func
}

// Server holds the routes of every function.
type Server struct {
	deps Deps
}

// New returns the app's server.
func New(deps Deps) *Server { return &Server{deps: deps} }

// apiFunc is a forwarded HTTP handler: it returns an error, and one adapter
// (serveAPI) turns it into problem details.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// Routes lists every function's route.
func (s *Server) Routes() []Route {
	log := s.deps.Logger
	return []Route{
		{"Health", http.MethodGet, "/api/health", s.serveAPI("Health", s.health)},
		{"HealthLive", http.MethodGet, "/api/health/live", s.serveAPI("HealthLive", live)},
		{"Search", http.MethodGet, "/api/search", s.serveAPI("Search", s.search)},
		{"Suggest", http.MethodGet, "/api/suggest", s.serveAPI("Suggest", s.suggest)},
		{"GetMedia", http.MethodGet, "/api/media/{id}", s.serveAPI("GetMedia", s.getMedia)},
		{"OpenAPI", http.MethodGet, "/api/openapi.json", s.serveAPI("OpenAPI", apidoc.SpecHandler)},
		{"ApiDocs", http.MethodGet, "/api/docs", s.serveAPI("ApiDocs", apidoc.DocsHandler)},
		{"ListIngestReports", http.MethodGet, "/api/ingest/reports", s.serveAPI("ListIngestReports", s.listIngestReports)},
		{"GetIngestReport", http.MethodGet, "/api/ingest/reports/{supplier}/{file}", s.serveAPI("GetIngestReport", s.getIngestReport)},
		{"ValidateSupplierFile", http.MethodPost, "/api/ingest/validate", s.serveAPI("ValidateSupplierFile", s.validateSupplierFile)},
		{"StartMaintenance", http.MethodPost, "/api/admin/maintenance", s.serveAPI("StartMaintenance", s.startMaintenance)},
		{"GetMaintenanceRun", http.MethodGet, "/api/admin/maintenance/{id}", s.serveAPI("GetMaintenanceRun", s.getMaintenanceRun)},
		{"B2BSearch", http.MethodGet, "/api/v1/search", s.serveAPI("B2BSearch", s.search)},
		{"B2BGetMedia", http.MethodGet, "/api/v1/media/{id}", s.serveAPI("B2BGetMedia", s.getMedia)},
		{"B2BChanges", http.MethodGet, "/api/v1/changes", s.serveAPI("B2BChanges", s.changes)},
		{"B2BExport", http.MethodGet, "/api/v1/export", s.serveAPI("B2BExport", s.export)},
		{"IngestSupplierFile", http.MethodPost, "/IngestSupplierFile", funchost.Handle("IngestSupplierFile", orUnserved(s.deps.Ingest, "supplier file ingestion"), log)},
		{"ReindexMedia", http.MethodPost, "/ReindexMedia", funchost.Handle("ReindexMedia", orUnserved(s.deps.Reindex, "reindexing"), log)},
		{"NightlyMaintenance", http.MethodPost, "/NightlyMaintenance", funchost.Handle("NightlyMaintenance", orUnserved(s.deps.Maintenance, "nightly maintenance"), log)},
		{"RunMaintenance", http.MethodPost, "/RunMaintenance", funchost.Handle("RunMaintenance", orUnserved(s.deps.RunMaintenance, "manual maintenance runs"), log)},
	}
}

// Handler returns the handler's HTTP surface: GET / for the host's readiness
// and health pings, and every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// The host polls GET / every 25 ms until it answers, then pings it to
	// measure latency: answer at once, touching no dependency.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	})
	// Prometheus metrics for the local Prometheus to scrape. Not a function:
	// in Azure the host only forwards declared function routes (under /api/)
	// and envelopes, so /metrics never leaves the instance; there metrics go
	// out over OTLP (shared/telemetry, OTEL_EXPORTER_OTLP_ENDPOINT).
	mux.Handle("GET /metrics", telemetry.MetricsHandler())
	for _, rt := range s.Routes() {
		h := rt.Handler
		if _, ok := h.(*funchost.Handler); ok {
			// Queue and timer invocations: the same span and RED metrics
			// as the HTTP routes get in serveAPI.
			h = telemetry.Instrument(rt.Function, h)
		}
		mux.Handle(rt.Pattern(), h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apperr.WriteProblem(w, r, fmt.Errorf("%w: no function serves %s %s", apperr.NotFound, r.Method, r.URL.Path))
	})
	return mux
}

// serveAPI adapts an apiFunc: it logs one line per request with the host's
// invocation id, turns errors into problem details, and recovers panics.
func (s *Server) serveAPI(function string, fn apiFunc) http.Handler {
	// telemetry.Instrument: the route's span (joining the host's
	// traceparent) and RED metrics; r.Context() below carries the span, so
	// the lines logged with it carry trace_id and span_id.
	return telemetry.Instrument(function, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		log := s.deps.Logger.With(
			slog.String("function", function),
			slog.String("invocation_id", r.Header.Get(funchost.HeaderInvocationID)),
		)
		if tp := r.Header.Get(funchost.HeaderTraceParent); tp != "" {
			log = log.With(slog.String("traceparent", tp))
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p) // a streamed response gave up: net/http aborts the connection
					}
					log.ErrorContext(r.Context(), "panic", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
					err = fmt.Errorf("panic in %s", function)
				}
			}()
			r, cancel, err := edges(rec, r, function)
			defer cancel()
			if err != nil {
				return err
			}
			r, err = s.authorize(rec, r, function)
			if err != nil {
				return err
			}
			return fn(rec, r)
		}()
		if err != nil {
			status := apperr.WriteProblem(rec, r, err)
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			log.Log(r.Context(), level, "request failed", slog.Int("status", status), slog.String("error", err.Error()))
		}
		log.InfoContext(r.Context(), "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
	}))
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush
// for streamed exports).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// live answers whether the process serves requests at all: no dependency is
// touched, so a platform probe never restarts the app for a database outage.
func live(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "up"})
}

// health (readiness) answers 200 when every dependency is up, else 503, with
// each dependency's state and latency; the reasons go to the log only. The
// report is cached briefly (health.Cached) so probes cannot multiply load.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	rep := s.deps.Health.Run(r.Context())
	for name, d := range rep.Dependencies {
		if d.Err != nil {
			s.deps.Logger.Warn("dependency unhealthy", slog.String("dependency", name), slog.String("state", d.State), slog.String("error", d.Err.Error()))
		}
	}
	status := http.StatusOK
	if !rep.Healthy() {
		status = http.StatusServiceUnavailable
	}
	return writeJSON(w, status, rep)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	return writeJSONCache(w, status, v, "no-store")
}

// writeJSONCache writes v as JSON with the given Cache-Control.
func writeJSONCache(w http.ResponseWriter, status int, v any, cacheControl string) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", cacheControl)
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// orUnserved returns fn, or unservedFunc(capability) when fn is nil.
func orUnserved(fn funchost.Func, capability string) funchost.Func {
	if fn == nil {
		return unservedFunc(capability)
	}
	return fn
}

// unservedFunc fails the invocation, so the host retries and finally moves the
// message to the poison queue: nothing is consumed without being processed.
func unservedFunc(capability string) funchost.Func {
	return func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
		return nil, fmt.Errorf("%s is not served by this build yet", capability)
	}
}
