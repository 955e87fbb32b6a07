package cosmos_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mediaspecs/catalogue/shared/cosmos"
	"github.com/mediaspecs/catalogue/shared/stacktest"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// TestClientTracesOperationsWithTheirCharge: with a tracing provider, each
// SDK operation is a client span in the caller's trace carrying its request
// charge and status code, with the HTTP attempt as its child.
func TestClientTracesOperationsWithTheirCharge(t *testing.T) {
	db := stacktest.CosmosDatabase(t)
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	client, err := cosmos.NewClient(cosmos.ClientConfig{Endpoint: stacktest.CosmosEndpoint, Key: stacktest.CosmosKey,
		CAFile: stacktest.CosmosCAFile(), TracingProvider: telemetry.AzureTracingProvider(tp)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	traced, err := client.NewDatabase(db.ID())
	if err != nil {
		t.Fatal(err)
	}
	ctx, parent := tp.Tracer("test").Start(t.Context(), "request")
	if _, err := traced.Read(ctx, nil); err != nil {
		t.Fatal(err)
	}
	parent.End()

	var op, attempt *tracetest.SpanStub
	got := spans.GetSpans()
	for i, s := range got {
		switch {
		case s.Parent.SpanID() == parent.SpanContext().SpanID():
			op = &got[i]
		case s.Name == "HTTP GET":
			attempt = &got[i]
		}
	}
	if op == nil || attempt == nil {
		t.Fatalf("want an operation span under the request and an HTTP attempt; got %v", got)
	}
	attrs := map[string]string{}
	for _, a := range op.Attributes {
		attrs[string(a.Key)] = a.Value.String()
	}
	if op.SpanKind != trace.SpanKindClient || attrs["db.cosmosdb.status_code"] != "200" || attrs["db.cosmosdb.request_charge"] == "" {
		t.Errorf("operation span %q kind %v attributes %v: want a client span with status code and request charge", op.Name, op.SpanKind, attrs)
	}
	if attempt.Parent.SpanID() != op.SpanContext.SpanID() {
		t.Errorf("the HTTP attempt's parent is %v, want the operation %v", attempt.Parent.SpanID(), op.SpanContext.SpanID())
	}
	t.Logf("operation span %q: %v", op.Name, attrs)
}
