package config

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func validEnv() map[string]string {
	return map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT": "41234",
		"COSMOS_ENDPOINT":              "https://127.0.0.1:8081/",
		"ELASTICSEARCH_URL":            "http://127.0.0.1:9200",
		"Storage":                      "UseDevelopmentStorage=true",
		"OIDC_ISSUER":                  "http://127.0.0.1:8080/realms/mediaspecs",
	}
}

func TestLoadAppliesDefaults(t *testing.T) {
	cfg, err := Load(env(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 41234 {
		t.Errorf("Port = %d, want 41234", cfg.Port)
	}
	if cfg.HealthTimeout != 2*time.Second {
		t.Errorf("HealthTimeout = %v, want 2s", cfg.HealthTimeout)
	}
	if cfg.OIDC.Audience != "mediaspecs-api" {
		t.Errorf("OIDC.Audience = %q, want mediaspecs-api", cfg.OIDC.Audience)
	}
	if cfg.Cosmos.Database != "mediaspecs" || cfg.Storage.SupplierContainer != "supplier-drop" {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	if cfg.Telemetry.TraceSampleRatio != 0.1 {
		t.Errorf("Telemetry.TraceSampleRatio = %v, want 0.1", cfg.Telemetry.TraceSampleRatio)
	}
}

func TestTraceSampleRatio(t *testing.T) {
	for raw, want := range map[string]float64{"0": 0, "0.25": 0.25, "1": 1} {
		m := validEnv()
		m["TRACE_SAMPLE_RATIO"] = raw
		cfg, err := Load(env(m))
		if err != nil || cfg.Telemetry.TraceSampleRatio != want {
			t.Errorf("TRACE_SAMPLE_RATIO=%s: %v, %v", raw, cfg, err)
		}
	}
	for _, raw := range []string{"1.5", "-0.1", "ten percent", "NaN"} {
		m := validEnv()
		m["TRACE_SAMPLE_RATIO"] = raw
		if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "TRACE_SAMPLE_RATIO") {
			t.Errorf("TRACE_SAMPLE_RATIO=%s accepted or not named: %v", raw, err)
		}
	}
}

func TestLoadNamesEveryBadVariable(t *testing.T) {
	m := validEnv()
	delete(m, "COSMOS_ENDPOINT")
	m["FUNCTIONS_CUSTOMHANDLER_PORT"] = "eighty"
	m["HEALTH_TIMEOUT"] = "soon"
	m["ELASTICSEARCH_URL"] = "localhost:9200"
	m["LOG_LEVEL"] = "loud"
	m["OIDC_ISSUER"] = "127.0.0.1:8080/realms/mediaspecs"
	_, err := Load(env(m))
	if err == nil {
		t.Fatal("Load accepted a bad configuration")
	}
	for _, name := range []string{"COSMOS_ENDPOINT", "FUNCTIONS_CUSTOMHANDLER_PORT", "HEALTH_TIMEOUT", "ELASTICSEARCH_URL", "LOG_LEVEL", "OIDC_ISSUER"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestStorageNeedsOneForm(t *testing.T) {
	for _, tc := range []struct {
		name    string
		set     map[string]string
		wantErr bool
	}{
		{"connection string", map[string]string{"Storage": "UseDevelopmentStorage=true"}, false},
		{"identity URIs", map[string]string{"Storage__blobServiceUri": "https://a.blob.core.windows.net", "Storage__queueServiceUri": "https://a.queue.core.windows.net"}, false},
		{"neither", map[string]string{}, true},
		{"only blob URI", map[string]string{"Storage__blobServiceUri": "https://a.blob.core.windows.net"}, true},
		{"both forms", map[string]string{"Storage": "x", "Storage__blobServiceUri": "https://a.blob.core.windows.net", "Storage__queueServiceUri": "https://a.queue.core.windows.net"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := validEnv()
			delete(m, "Storage")
			for k, v := range tc.set {
				m[k] = v
			}
			_, err := Load(env(m))
			if (err != nil) != tc.wantErr {
				t.Errorf("Load err = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}

func TestNamesListsNestedVariables(t *testing.T) {
	names := strings.Join(Names(), ",")
	for _, want := range []string{"FUNCTIONS_CUSTOMHANDLER_PORT", "COSMOS_ENDPOINT", "Storage__queueServiceUri", "REINDEX_QUEUE"} {
		if !strings.Contains(names, want) {
			t.Errorf("Names() lacks %s: %s", want, names)
		}
	}
}

// TestSampleSettingsCoverConfig keeps local.settings.sample.json in step with
// Config: every variable the handler reads is listed, with a local value that
// loads, and the sample lists nothing the handler does not read (besides the
// host's own settings).
func TestSampleSettingsCoverConfig(t *testing.T) {
	raw, err := os.ReadFile("../../local.settings.sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		Values map[string]string `json:"Values"`
	}
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	hostOwn := map[string]bool{"FUNCTIONS_WORKER_RUNTIME": true, "AzureWebJobsStorage": true}
	known := map[string]bool{}
	for _, name := range Names() {
		known[name] = true
		if name == "FUNCTIONS_CUSTOMHANDLER_PORT" {
			continue // the host sets it on the process
		}
		if _, ok := sample.Values[name]; !ok {
			t.Errorf("local.settings.sample.json lacks %s", name)
		}
	}
	for name := range sample.Values {
		if !known[name] && !hostOwn[name] {
			t.Errorf("local.settings.sample.json sets %s, which the handler does not read", name)
		}
	}
	vals := map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "41234"}
	for k, v := range sample.Values {
		vals[k] = v
	}
	if _, err := Load(env(vals)); err != nil {
		t.Errorf("the sample settings do not load: %v", err)
	}
}

func TestB2BLimits(t *testing.T) {
	cfg, err := Load(env(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.B2B.Limits != "default=10/s burst=50 daily=50000" {
		t.Errorf("B2B.Limits default = %q", cfg.B2B.Limits)
	}
	m := validEnv()
	m["B2B_LIMITS"] = "agency=5/s burst=many"
	_, err = Load(env(m))
	if err == nil || !strings.Contains(err.Error(), "B2B_LIMITS") || !strings.Contains(err.Error(), "burst") {
		t.Errorf("a bad B2B_LIMITS: err = %v, want it named with the bad setting", err)
	}
}
