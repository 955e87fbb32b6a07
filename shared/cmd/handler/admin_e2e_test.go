package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apptest"
	"github.com/mediaspecs/catalogue/shared/devhost"
	"github.com/mediaspecs/catalogue/shared/maintenance"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// TestManualMaintenanceThroughDevhost drives the admin trigger the way
// production runs it: an admin's real Keycloak token on POST
// /api/admin/maintenance through the host stand-in to the real handler
// binary, the request queued on a real Azurite queue (base64, as host.json
// says), picked up by the RunMaintenance queue trigger, run under the Cosmos
// lease, and its status polled on GET /api/admin/maintenance/{id} until it
// succeeds. The run asks for the retention step: it touches only this test's
// containers.
func TestManualMaintenanceThroughDevhost(t *testing.T) {
	for _, s := range []stacktest.Service{stacktest.Azurite, stacktest.Cosmos, stacktest.Keycloak, stacktest.Elasticsearch} {
		stacktest.Require(t, s)
	}
	ctx := t.Context()
	_, reports := stacktest.BlobContainer(t)
	_, drop := stacktest.BlobContainer(t)
	_, ingestReports := stacktest.BlobContainer(t)
	queue := stacktest.Queue(t)
	queueName := apptest.QueueName(queue)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = stacktest.QueueService(t).DeleteQueue(ctx, queueName+"-poison", nil)
	})
	db := stacktest.CosmosDatabase(t)
	if _, err := db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "maintenance",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/id"}}}, nil); err != nil {
		t.Fatal(err)
	}
	dbProps, err := db.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}

	// An app root with the three functions of the flow, the queue named by a
	// setting so the test has its own.
	root := apptest.Root(t, nil, "StartMaintenance", "GetMaintenanceRun", "RunMaintenance")
	settingsFile := filepath.Join(root, "local.settings.json")
	apptest.WriteSettings(t, settingsFile, map[string]string{
		"COSMOS_CA_FILE": stacktest.CosmosCAFile(), "COSMOS_DATABASE": dbProps.DatabaseProperties.ID,
		"MAINTENANCE_QUEUE": queueName, "MAINTENANCE_REPORTS_CONTAINER": reports,
		"SUPPLIER_CONTAINER": drop, "REPORTS_CONTAINER": ingestReports,
	})
	logw := apptest.NewLog(t)
	host := apptest.StartHost(t, devhost.Config{
		Root: root, SettingsFile: settingsFile, Handler: apptest.BuildHandler(t, t.TempDir()), Addr: "127.0.0.1:0", Env: os.Environ(),
		Logger: slog.New(slog.NewTextHandler(logw, nil)), Stdout: logw, Stderr: logw, StopTimeout: 10 * time.Second,
	}, 60*time.Second)
	base := host.URL()
	admin := stacktest.UserToken(t, "admin").AccessToken

	call := func(method, path, token string, body string) (int, http.Header, []byte) {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}

	if code, _, body := call(http.MethodPost, "/api/admin/maintenance", stacktest.UserToken(t, "editor").AccessToken, `{"steps":["retention"]}`); code != http.StatusForbidden {
		t.Errorf("an editor starting maintenance: %d %s, want 403", code, body)
	}
	code, hdr, body := call(http.MethodPost, "/api/admin/maintenance", admin, `{"steps":["retention"]}`)
	if code != http.StatusAccepted {
		t.Fatalf("start: %d %s", code, body)
	}
	loc := hdr.Get("Location")
	var st maintenance.RunStatus
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, _, body = call(http.MethodGet, loc, admin, "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", loc, code, body)
		}
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		if st.Status != maintenance.RunQueued && st.Status != maintenance.RunRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run still %s after 90 s", st.Status)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if st.Status != maintenance.RunSucceeded || st.Report == nil || len(st.Report.Steps) != 1 || st.Report.Steps[0].Name != "retention" {
		t.Errorf("run ended %+v, want succeeded with the retention step only", st)
	}
}
