package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi-validator"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/maintenance"
	"github.com/mediaspecs/catalogue/shared/pipeline"
)

// fakeReports holds one report, acme/titles.csv.0x1.report.json.
type fakeReports struct{}

const fakeReportName = "acme/titles.csv.0x1.report.json"

func (fakeReports) List(_ context.Context, prefix, marker string, max int32) ([]blob.ReportInfo, string, error) {
	if !strings.HasPrefix(fakeReportName, prefix) {
		return nil, "", nil
	}
	return []blob.ReportInfo{{Name: fakeReportName, Size: 120, LastModified: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)}}, "", nil
}

func (fakeReports) ReadReport(_ context.Context, name string) ([]byte, error) {
	if name != fakeReportName {
		return nil, fmt.Errorf("%w: report %s", apperr.NotFound, name)
	}
	return []byte(`{"file":"titles.csv","supplier":"acme","profile":"generic","verdict":"accepted","rows":1}`), nil
}

// fakeRuns records the last start.
type fakeRuns struct {
	steps []string
	by    string
}

func (f *fakeRuns) Start(_ context.Context, steps []string, by string) (maintenance.RunStatus, error) {
	if len(steps) == 0 {
		return maintenance.RunStatus{}, &apperr.ParamError{Param: "steps", Reason: "name at least one step"}
	}
	f.steps, f.by = steps, by
	return maintenance.RunStatus{RunRequest: maintenance.RunRequest{ID: "20261126T093000Z-0a1b2c3d", Steps: steps, RequestedBy: by,
		RequestedAt: time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)}, Status: maintenance.RunQueued, UpdatedAt: time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)}, nil
}

func (f *fakeRuns) Get(_ context.Context, id string) (maintenance.RunStatus, error) {
	if id != "20261126T093000Z-0a1b2c3d" {
		return maintenance.RunStatus{}, fmt.Errorf("%w: run %s", apperr.NotFound, id)
	}
	st, _ := f.Start(context.Background(), []string{"drift"}, "admin")
	return st, nil
}

// send sends one request as role and validates request and response against
// the OpenAPI document.
func send(t *testing.T, v validator.Validator, h http.Handler, method, target, role, contentType string, body []byte, want int) []byte {
	t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set("Authorization", role)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	got, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(got))
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d; body %s", method, target, resp.StatusCode, want, got)
	}
	req2 := httptest.NewRequest(method, target, bytes.NewReader(body))
	req2.Header = req.Header
	if ok, errs := v.ValidateHttpResponse(req2, resp); !ok {
		t.Errorf("%s %s → %d: the response does not match openapi.json:\n%s\nbody %.500s", method, target, resp.StatusCode, describe(errs), got)
	}
	return got
}

func TestIngestReportRoutes(t *testing.T) {
	_, v := openAPI(t)
	h := b2bServer(t, Deps{IngestReports: fakeReports{}})
	const editor = "Bearer role:editor"
	body := send(t, v, h, http.MethodGet, "/api/ingest/reports?supplier=acme", editor, "", nil, 200)
	if !strings.Contains(string(body), fakeReportName) {
		t.Errorf("list: %s", body)
	}
	body = send(t, v, h, http.MethodGet, "/api/ingest/reports?supplier=other", editor, "", nil, 200)
	if string(body) != `{"reports":[]}` {
		t.Errorf("list of a supplier without reports: %s", body)
	}
	body = send(t, v, h, http.MethodGet, "/api/ingest/reports/"+fakeReportName, editor, "", nil, 200)
	if !strings.Contains(string(body), `"verdict":"accepted"`) {
		t.Errorf("report: %s", body)
	}
	send(t, v, h, http.MethodGet, "/api/ingest/reports/acme/missing.report.json", editor, "", nil, 404)
	send(t, v, h, http.MethodGet, "/api/ingest/reports/acme/titles.csv", editor, "", nil, 400)
	send(t, v, h, http.MethodGet, "/api/ingest/reports?supplier=a/b", editor, "", nil, 400)
	send(t, v, h, http.MethodGet, "/api/ingest/reports?limit=0", editor, "", nil, 400)
	send(t, v, h, http.MethodGet, "/api/ingest/reports", "Bearer role:subscriber", "", nil, 403)
}

func TestValidateSupplierFileRoute(t *testing.T) {
	_, v := openAPI(t)
	h := b2bServer(t, Deps{Validate: pipeline.DryRun})
	const editor = "Bearer role:editor"
	good := []byte("name;type;subtype;country;language;publisher\nLe Soir;print;daily;BE;fr;Rossel\n")
	body := send(t, v, h, http.MethodPost, "/api/ingest/validate?filename=titles.csv&profile=generic&supplier=acme", editor, "text/csv", good, 200)
	var rep ingest.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Supplier != "acme" || rep.File != "titles.csv" || rep.Profile != "generic" {
		t.Errorf("report %+v", rep)
	}
	// A rejected file is a successful check: the verdict says it.
	body = send(t, v, h, http.MethodPost, "/api/ingest/validate?filename=titles.json&profile=generic", editor, "application/octet-stream", []byte("{not json"), 200)
	if err := json.Unmarshal(body, &rep); err != nil || rep.Verdict != ingest.Rejected {
		t.Errorf("broken file: verdict %q (%v), body %s", rep.Verdict, err, body)
	}
	send(t, v, h, http.MethodPost, "/api/ingest/validate?filename=titles.csv&profile=nope", editor, "text/csv", good, 400)
	send(t, v, h, http.MethodPost, "/api/ingest/validate?filename=../x.csv", editor, "text/csv", good, 400)
	send(t, v, h, http.MethodPost, "/api/ingest/validate", editor, "text/csv", good, 400)
	big := bytes.Repeat([]byte("Le Soir;print\n"), maxValidateBody/14+10)
	send(t, v, h, http.MethodPost, "/api/ingest/validate?filename=big.csv", editor, "text/csv", big, 400)
	send(t, v, h, http.MethodPost, "/api/ingest/validate?filename=titles.csv", "Bearer role:subscriber", "text/csv", good, 403)
}

func TestMaintenanceRoutes(t *testing.T) {
	_, v := openAPI(t)
	runs := &fakeRuns{}
	h := b2bServer(t, Deps{Runs: runs})
	const admin = "Bearer role:admin"
	req := httptest.NewRequest(http.MethodPost, "/api/admin/maintenance", strings.NewReader(`{"steps":["drift"]}`))
	req.Header.Set("Authorization", admin)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted || rec.Header().Get("Location") != "/api/admin/maintenance/20261126T093000Z-0a1b2c3d" {
		t.Fatalf("start: %d Location %q body %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	if runs.by != "test" || len(runs.steps) != 1 {
		t.Errorf("started by %q with %v; want the admin's subject and the steps", runs.by, runs.steps)
	}
	send(t, v, h, http.MethodPost, "/api/admin/maintenance", admin, "application/json", []byte(`{"steps":["drift"]}`), 202)
	send(t, v, h, http.MethodGet, "/api/admin/maintenance/20261126T093000Z-0a1b2c3d", admin, "", nil, 200)
	send(t, v, h, http.MethodGet, "/api/admin/maintenance/20261126T093000Z-ffffffff", admin, "", nil, 404)
	send(t, v, h, http.MethodPost, "/api/admin/maintenance", admin, "application/json", []byte(`{"steps":[]}`), 400)
	send(t, v, h, http.MethodPost, "/api/admin/maintenance", admin, "application/json", []byte(`{"step":["drift"]}`), 400)
	send(t, v, h, http.MethodPost, "/api/admin/maintenance", admin, "text/plain", []byte(`{"steps":["drift"]}`), 400)
	send(t, v, h, http.MethodPost, "/api/admin/maintenance", "Bearer role:editor", "application/json", []byte(`{"steps":["drift"]}`), 403)
}
