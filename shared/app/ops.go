package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/maintenance"
)

// The editors' and admins' routes: ingestion reports, the dry-run check of
// a supplier file, and manual maintenance runs.

// ReportStore lists and reads the ingestion reports (blob.Reports).
type ReportStore interface {
	List(ctx context.Context, prefix, marker string, max int32) ([]blob.ReportInfo, string, error)
	ReadReport(ctx context.Context, name string) ([]byte, error)
}

// FileValidator runs the pipeline's parser, normaliser and validator on a
// file without writing anything (pipeline.DryRun: the named profile,
// or the supplier's when profile is ""). An unknown profile is an
// apperr.ParamError on "profile".
type FileValidator func(ctx context.Context, src ingest.Source, profile string) (*ingest.Report, error)

// MaintenanceRuns starts manual maintenance runs and reports on them
// (maintenance.Runs).
type MaintenanceRuns interface {
	Start(ctx context.Context, steps []string, requestedBy string) (maintenance.RunStatus, error)
	Get(ctx context.Context, id string) (maintenance.RunStatus, error)
}

const (
	maxReportsPage = 200
	// maxValidateBody is the largest file the dry-run route accepts.
	maxValidateBody = 10 << 20
)

// reportPath bounds report names and prefixes: <supplier>/<file>..., no
// "..", no leading slash.
var reportPath = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._ -]*(/[A-Za-z0-9._ -]+)*/?$`)

func validReportPath(s string) bool {
	return len(s) <= 1024 && reportPath.MatchString(s) && !strings.Contains(s, "..")
}

type reportsResponse struct {
	Reports []blob.ReportInfo `json:"reports"`
	Next    string            `json:"next,omitempty"`
}

func (s *Server) listIngestReports(w http.ResponseWriter, r *http.Request) error {
	if s.deps.IngestReports == nil {
		return fmt.Errorf("%w: ingestion reports are not configured", apperr.Unavailable)
	}
	v := r.URL.Query()
	prefix := v.Get("supplier")
	if prefix != "" {
		if !validReportPath(prefix) || strings.Contains(prefix, "/") {
			return &apperr.ParamError{Param: "supplier", Reason: "a supplier folder name"}
		}
		prefix += "/"
	}
	limit := 50
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxReportsPage {
			return &apperr.ParamError{Param: "limit", Reason: fmt.Sprintf("between 1 and %d", maxReportsPage)}
		}
		limit = n
	}
	marker := v.Get("cursor")
	if len(marker) > 1024 {
		return &apperr.ParamError{Param: "cursor", Reason: "not a cursor from this API"}
	}
	reports, next, err := s.deps.IngestReports.List(r.Context(), prefix, marker, int32(limit))
	if err != nil {
		return err
	}
	if reports == nil {
		reports = []blob.ReportInfo{}
	}
	return writeJSON(w, http.StatusOK, reportsResponse{Reports: reports, Next: next})
}

func (s *Server) getIngestReport(w http.ResponseWriter, r *http.Request) error {
	if s.deps.IngestReports == nil {
		return fmt.Errorf("%w: ingestion reports are not configured", apperr.Unavailable)
	}
	supplier, file := r.PathValue("supplier"), r.PathValue("file")
	if !validReportPath(supplier) || strings.Contains(supplier, "/") {
		return &apperr.ParamError{Param: "supplier", Reason: "a supplier folder name"}
	}
	if !validReportPath(file) || strings.Contains(file, "/") || !strings.HasSuffix(file, ".json") {
		return &apperr.ParamError{Param: "file", Reason: "a report file name as listed by /api/ingest/reports"}
	}
	name := supplier + "/" + file
	body, err := s.deps.IngestReports.ReadReport(r.Context(), name)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(body)
	return err
}

// supplierName bounds the supplier and file names of a dry run.
var supplierName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (s *Server) validateSupplierFile(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Validate == nil {
		return fmt.Errorf("%w: file validation is not configured", apperr.Unavailable)
	}
	v := r.URL.Query()
	supplier := v.Get("supplier")
	if supplier == "" {
		supplier = "local"
	}
	if !supplierName.MatchString(supplier) {
		return &apperr.ParamError{Param: "supplier", Reason: "a supplier folder name (letters, digits, . _ -)"}
	}
	filename := v.Get("filename")
	if !supplierName.MatchString(filename) || !strings.Contains(filename, ".") {
		return &apperr.ParamError{Param: "filename", Reason: "the file's name with its extension (it selects the format), e.g. titles.csv"}
	}
	src := ingest.Source{Supplier: supplier, Name: filename, R: r.Body, Size: r.ContentLength}
	rep, err := s.deps.Validate(r.Context(), src, v.Get("profile"))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fmt.Errorf("%w: files over %d bytes are checked offline with mediactl validate", apperr.InvalidArgument, maxValidateBody)
	}
	if err != nil {
		return err
	}
	// The verdict is in the report: a rejected file is a successful check.
	return writeJSON(w, http.StatusOK, rep)
}

type startMaintenanceRequest struct {
	Steps []string `json:"steps"`
}

func (s *Server) startMaintenance(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Runs == nil {
		return fmt.Errorf("%w: maintenance runs are not configured", apperr.Unavailable)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return &apperr.ParamError{Param: "Content-Type", Reason: "application/json"}
	}
	var req startMaintenanceRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return &apperr.ParamError{Param: "body", Reason: `a JSON object like {"steps":["rebuild","drift"]}: ` + err.Error()}
	}
	p := auth.FromContext(r.Context())
	st, err := s.deps.Runs.Start(r.Context(), req.Steps, p.Subject)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/admin/maintenance/"+st.ID)
	return writeJSON(w, http.StatusAccepted, st)
}

func (s *Server) getMaintenanceRun(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Runs == nil {
		return fmt.Errorf("%w: maintenance runs are not configured", apperr.Unavailable)
	}
	st, err := s.deps.Runs.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}
