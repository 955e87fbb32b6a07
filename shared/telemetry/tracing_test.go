package telemetry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	aztracing "github.com/Azure/azure-sdk-for-go/sdk/azcore/tracing"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const hostTP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

// parentSpan starts a span under the host's traceparent (recorded when the
// test telemetry samples every trace: ratio 1).
func parentSpan(t *testing.T, tel *Telemetry) (context.Context, trace.Span) {
	t.Helper()
	ctx := propagator.Extract(context.Background(), mapCarrier{"traceparent": hostTP})
	return tel.tracer.Start(ctx, "invocation")
}

type mapCarrier map[string]string

func (m mapCarrier) Get(k string) string { return m[k] }
func (m mapCarrier) Set(k, v string)     { m[k] = v }
func (m mapCarrier) Keys() []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func spanNamed(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no span %q among %d", name, len(spans))
	return tracetest.SpanStub{}
}

func attr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.String()
		}
	}
	return ""
}

// TestAzureTracingMakesOperationAndAttemptSpans: through the adapter, an
// azcore client's operation span and its HTTP attempt span join the caller's
// trace with their kind, status code and error status.
func TestAzureTracingMakesOperationAndAttemptSpans(t *testing.T) {
	tel, spans := newTest(t, 1)
	client, err := azcore.NewClient("test.module", "v1.2.3", runtime.PipelineOptions{}, &policy.ClientOptions{
		TracingProvider: tel.AzureTracing(),
		Transport:       &fakeTransport{statuses: []int{404}},
		Retry:           policy.RetryOptions{MaxRetries: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, parent := parentSpan(t, tel)
	ctx, endOp := runtime.StartSpan(ctx, "Container.ReadItem", client.Tracer(), &runtime.StartSpanOptions{
		Attributes: []aztracing.Attribute{{Key: "db.cosmosdb.request_charge", Value: float32(1.5)}}})
	req, err := runtime.NewRequest(ctx, http.MethodGet, "https://127.0.0.1:8081/dbs/x/colls/y/docs/z")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Pipeline().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	endOp(errors.New("404 Not Found"))
	parent.End()

	got := spans.GetSpans()
	op := spanNamed(t, got, "Container.ReadItem")
	attempt := spanNamed(t, got, "HTTP GET")
	if op.SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || op.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("operation span not in the caller's trace: %v parent %v", op.SpanContext.TraceID(), op.Parent.SpanID())
	}
	if attempt.Parent.SpanID() != op.SpanContext.SpanID() || attempt.SpanKind != trace.SpanKindClient {
		t.Errorf("attempt span: parent %v kind %v, want a client span under the operation", attempt.Parent.SpanID(), attempt.SpanKind)
	}
	if attr(attempt, "http.status_code") != "404" || attempt.Status.Code != codes.Error {
		t.Errorf("attempt span status: %v %v", attr(attempt, "http.status_code"), attempt.Status)
	}
	if attr(op, "db.cosmosdb.request_charge") != "1.5" || op.Status.Code != codes.Error {
		t.Errorf("operation span: charge %q status %v", attr(op, "db.cosmosdb.request_charge"), op.Status)
	}
	if op.InstrumentationScope.Name != "test.module" || op.InstrumentationScope.Version != "v1.2.3" {
		t.Errorf("scope %+v", op.InstrumentationScope)
	}
}

type scriptedTransport struct{ statuses []int }

func (s *scriptedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	status := s.statuses[0]
	s.statuses = s.statuses[1:]
	return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// TestHTTPDependencyMarksTheCallSpan: a failed attempt marks the call's span
// as an error, a later success clears it; each attempt is counted.
func TestHTTPDependencyMarksTheCallSpan(t *testing.T) {
	tel, spans := newTest(t, 1)
	rt := tel.HTTPDependency("elasticsearch", &scriptedTransport{statuses: []int{503, 200, 503}})
	ctx, parent := parentSpan(t, tel)
	call := func(name string, attempts int) {
		cctx, span := tel.tracer.Start(ctx, name)
		for range attempts {
			req, _ := http.NewRequestWithContext(cctx, http.MethodPost, "http://127.0.0.1:9200/_bulk", nil)
			res, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Body.Close()
		}
		span.End()
	}
	call("retried", 2)
	call("failed", 1)
	parent.End()
	got := spans.GetSpans()
	retried, failed := spanNamed(t, got, "retried"), spanNamed(t, got, "failed")
	if retried.Status.Code != codes.Ok || attr(retried, "http.response.status_code") != "200" || len(retried.Events) != 1 {
		t.Errorf("retried call: status %v code %s events %d, want OK, 200 and one failed attempt", retried.Status, attr(retried, "http.response.status_code"), len(retried.Events))
	}
	if failed.Status.Code != codes.Error || attr(failed, "http.response.status_code") != "503" {
		t.Errorf("failed call: status %v code %s", failed.Status, attr(failed, "http.response.status_code"))
	}
	m := scrape(t, tel)
	for _, want := range []string{
		`mediaspecs_dependency_requests_total{dependency="elasticsearch",status_code="503"} 2`,
		`mediaspecs_dependency_requests_total{dependency="elasticsearch",status_code="200"} 1`,
	} {
		if !containsMetric(m, want) {
			t.Errorf("metrics lack %s\n%s", want, grepMetrics(m, "mediaspecs_dependency"))
		}
	}
}

// TestMessageSpans: TraceParent writes the span's context; a message span
// continues a valid producer context (linked to the invocation) and ignores
// a malformed one.
func TestMessageSpans(t *testing.T) {
	tel, spans := newTest(t, 1)
	if tp := TraceParent(context.Background()); tp != "" {
		t.Errorf("TraceParent without a span = %q", tp)
	}
	ctx, inv := parentSpan(t, tel)
	if tp := TraceParent(ctx); tp != "00-0af7651916cd43dd8448eb211c80319c-"+inv.SpanContext().SpanID().String()+"-01" {
		t.Errorf("TraceParent = %q", tp)
	}
	const producer = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	_, continued := StartMessageSpan(ctx, "continued", producer)
	continued.End()
	_, malformed := StartMessageSpan(ctx, "malformed", "00-zz-00f067aa0ba902b7-01")
	malformed.End()
	inv.End()
	got := spans.GetSpans()
	c, m := spanNamed(t, got, "continued"), spanNamed(t, got, "malformed")
	if c.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || c.Parent.SpanID().String() != "00f067aa0ba902b7" ||
		len(c.Links) != 1 || c.Links[0].SpanContext.SpanID() != inv.SpanContext().SpanID() || c.SpanKind != trace.SpanKindConsumer {
		t.Errorf("continued span: trace %v parent %v links %v kind %v", c.SpanContext.TraceID(), c.Parent.SpanID(), c.Links, c.SpanKind)
	}
	if m.Parent.SpanID() != inv.SpanContext().SpanID() || len(m.Links) != 0 {
		t.Errorf("malformed context: parent %v links %v, want the invocation and no link", m.Parent.SpanID(), m.Links)
	}
	// Telemetry off: no span, but the producer's context is kept for logs.
	off, span := StartMessageSpan(context.Background(), "off", producer)
	span.End()
	if sc := trace.SpanContextFromContext(off); sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || span.IsRecording() {
		t.Errorf("telemetry off: context %v recording %v", sc, span.IsRecording())
	}
}
