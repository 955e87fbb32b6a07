package telemetry

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

type fakeTransport struct{ statuses []int }

func (f *fakeTransport) Do(req *http.Request) (*http.Response, error) {
	status := f.statuses[0]
	f.statuses = f.statuses[1:]
	h := http.Header{}
	h.Set("x-ms-request-charge", "2.5")
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// TestAzurePolicyCountsEveryAttempt: a throttled attempt that the SDK
// retries is still counted as a 429, with its request charge.
func TestAzurePolicyCountsEveryAttempt(t *testing.T) {
	tel, _ := newTest(t, 0)
	pl := runtime.NewPipeline("test", "v0", runtime.PipelineOptions{}, &policy.ClientOptions{
		Transport:        &fakeTransport{statuses: []int{429, 200}},
		PerRetryPolicies: []policy.Policy{tel.AzurePolicy("cosmos")},
		Retry:            policy.RetryOptions{RetryDelay: 1, MaxRetryDelay: 1},
	})
	req, err := runtime.NewRequest(context.Background(), http.MethodGet, "https://127.0.0.1:8081/dbs/x")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := pl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	m := scrape(t, tel)
	for _, want := range []string{
		`mediaspecs_dependency_requests_total{dependency="cosmos",status_code="429"} 1`,
		`mediaspecs_dependency_requests_total{dependency="cosmos",status_code="200"} 1`,
		`mediaspecs_cosmos_request_charge_total{status_code="200"} 2.5`,
		`mediaspecs_dependency_duration_seconds_count{dependency="cosmos",status_code="429"} 1`,
	} {
		if !containsMetric(m, want) {
			t.Errorf("metrics lack %s\n%s", want, grepMetrics(m, "mediaspecs_"))
		}
	}
}
