package telemetry

import sdktrace "go.opentelemetry.io/otel/sdk/trace"

func sdktraceSyncer(e sdktrace.SpanExporter) sdktrace.SpanProcessor {
	return sdktrace.NewSimpleSpanProcessor(e)
}
