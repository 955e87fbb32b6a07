package app

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/export"
	"github.com/mediaspecs/catalogue/shared/search"
)

// The B2B API (/api/v1): agencies' systems with OAuth2 client credentials.
// Search and detail are the web handlers themselves (same semantics, same
// parameters); what differs is who may call them (access.go), the fields
// (fieldsFor: subscriber data for B2B clients), and the per-client limits
// below. Version 1 changes only additively; see README "B2B API".

// Admission is a ClientLimiter's answer for one call.
type Admission struct {
	Allowed bool
	// RetryAfter is when to try again, for a refused call.
	RetryAfter time.Duration
	// Reason says which limit refused the call: "rate" or "daily".
	Reason string
}

// ClientLimiter applies a B2B client's rate limit and daily quota.
type ClientLimiter func(ctx context.Context, clientID string) (Admission, error)

// admitClient applies the limits of a B2B client: 429 with Retry-After when
// refused. No limiter is a misconfiguration, answered 503 rather than an API
// without limits (OWASP API4). A limiter error (its shared ledger down)
// admits the call: the limiter keeps enforcing its local buckets, and the
// B2B API stays up.
func (s *Server) admitClient(ctx context.Context, w http.ResponseWriter, p *auth.Principal) error {
	if s.deps.Limiter == nil {
		return fmt.Errorf("%w: B2B limits are not configured", apperr.Unavailable)
	}
	a, err := s.deps.Limiter(ctx, p.ClientID)
	if err != nil {
		s.deps.Logger.WarnContext(ctx, "B2B limiter failed; call admitted", slog.String("client", p.ClientID), slog.String("error", err.Error()))
		return nil
	}
	if a.Allowed {
		return nil
	}
	secs := int64(math.Ceil(a.RetryAfter.Seconds()))
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	if a.Reason == "daily" {
		return fmt.Errorf("%w: the daily quota of client %s is used up; it resets at 00:00 UTC", apperr.TooManyRequests, p.ClientID)
	}
	return fmt.Errorf("%w: client %s is over its rate limit; retry after the time in Retry-After", apperr.TooManyRequests, p.ClientID)
}

// ChangesPage is one page of the changes feed.
type ChangesPage struct {
	Changes []catalog.Change
	// Next is the cursor of the following page, also when this one is
	// empty: a client stores it and polls with it.
	Next string
	// More is true when more records are available right now.
	More bool
}

// ChangeFeed reads the change records after cursor ("" from the start).
// A malformed cursor is an apperr.ParamError on "since".
type ChangeFeed func(ctx context.Context, cursor string, limit int) (ChangesPage, error)

// Changes feed page sizes.
const (
	defaultChangesLimit = 100
	maxChangesLimit     = 1000
)

type changesResponse struct {
	Changes []catalog.Change `json:"changes"`
	Next    string           `json:"next"`
	More    bool             `json:"more"`
}

func (s *Server) changes(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Changes == nil {
		return fmt.Errorf("%w: the changes feed is not configured", apperr.Unavailable)
	}
	limit := defaultChangesLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxChangesLimit {
			return &apperr.ParamError{Param: "limit", Reason: fmt.Sprintf("between 1 and %d", maxChangesLimit)}
		}
		limit = n
	}
	page, err := s.deps.Changes(r.Context(), r.URL.Query().Get("since"), limit)
	if err != nil {
		return err
	}
	if page.Changes == nil {
		page.Changes = []catalog.Change{}
	}
	return writeJSON(w, http.StatusOK, changesResponse(page))
}

// Exports. An export is a search (same parameters) written out as CSV or
// XLSX, page after page, streamed: memory does not grow with the rows.
const (
	// maxExportRows caps one export (documented in README and OpenAPI); a
	// client needing the whole catalogue uses the changes feed.
	maxExportRows  = 10_000
	exportPageSize = 100
)

// exportColumns are the columns of an export, in order.
var exportColumns = []string{"id", "name", "description", "mediaType", "subType", "countries",
	"publisher", "salesHouse", "circulation", "readership", "reach", "monthlyUniqueVisitors", "listeners"}

func exportRow(d search.Doc, lang string) []string {
	num := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	org := func(o *search.Org) string {
		if o == nil {
			return ""
		}
		return o.Name
	}
	m := d.Metrics
	return []string{d.ID, d.Name, localized(d.Description, lang), d.MediaType, d.SubType, strings.Join(d.Coverage.Countries, " "),
		org(d.Publisher), org(d.SalesHouse), num(m.Circulation), num(m.Readership), num(m.Reach), num(m.MonthlyUniqueVisitors), num(m.Listeners)}
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Search == nil {
		return fmt.Errorf("%w: search is not configured", apperr.Unavailable)
	}
	v := r.URL.Query()
	format, err := export.ParseFormat(v.Get("format"))
	if err != nil {
		return err
	}
	if v.Get("cursor") != "" || v.Get("page_size") != "" {
		return &apperr.ParamError{Param: "cursor", Reason: "exports page by themselves: use limit, not cursor or page_size"}
	}
	limit := maxExportRows
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxExportRows {
			return &apperr.ParamError{Param: "limit", Reason: fmt.Sprintf("between 1 and %d", maxExportRows)}
		}
		limit = n
	}
	q, err := parseSearch(r)
	if err != nil {
		return err
	}
	if err := checkSearchAccess(r, q); err != nil {
		return err
	}
	ctx := r.Context() // deadline: exportTimeout (routeLimits)
	q.PageSize = min(exportPageSize, limit)
	// The first page is read before anything is written, so a bad query or
	// an unavailable index is still answered with problem details.
	res, err := s.deps.Search.Search(ctx, q)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", format.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="mediaspecs-export-%s%s"`, time.Now().UTC().Format("20060102-150405"), format.Extension()))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Export-Total", strconv.FormatInt(res.Total, 10))
	w.Header().Set("X-Export-Limit", strconv.Itoa(limit))
	ew, err := export.NewWriter(format, flushWriter{w, http.NewResponseController(w)})
	if err != nil {
		return err
	}
	// From here the status line is sent: a failure can no longer become
	// problem details, so the response is aborted (the client sees a broken
	// transfer, never a short file that looks complete).
	abort := func(err error) error {
		s.deps.Logger.ErrorContext(r.Context(), "export aborted", slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
	if err := ew.WriteHeader(exportColumns); err != nil {
		return abort(err)
	}
	rows := 0
	for {
		for _, h := range res.Hits {
			if rows == limit {
				break
			}
			if err := ew.WriteRow(exportRow(h.Doc, q.Lang)); err != nil {
				return abort(err)
			}
			rows++
		}
		if rows == limit || res.NextCursor == "" || len(res.Hits) == 0 {
			break
		}
		q.Cursor = res.NextCursor
		if res, err = s.deps.Search.Search(ctx, q); err != nil {
			return abort(err)
		}
	}
	if err := ew.Close(); err != nil {
		return abort(err)
	}
	return nil
}

// flushWriter gives the export writers a Flush that reaches the connection
// through the middleware's wrappers (http.ResponseController unwraps them).
type flushWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (f flushWriter) Flush() { _ = f.rc.Flush() }
