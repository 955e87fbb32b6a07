package telemetry

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Instrument wraps the handler of one function with the default telemetry
// (see [Setup]); before Setup it returns a handler that only calls next.
func Instrument(function string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := Default()
		if t == nil {
			next.ServeHTTP(w, r)
			return
		}
		t.serve(function, next, w, r)
	})
}

// Middleware wraps the handler of one function: a server span that joins the
// trace of the caller's W3C traceparent (the Functions host sends one with
// forwarded requests and with invocation envelopes alike), and the RED
// metrics labelled with the function name and status class. It serves the
// forwarded HTTP routes and the host's POST /<Name> invocations the same way.
func (t *Telemetry) Middleware(function string, next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.serve(function, next, w, r)
	})
}

func (t *Telemetry) serve(function string, next http.Handler, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := t.tracer.Start(ctx, function,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("faas.name", function),
			attribute.String("faas.invocation_id", r.Header.Get("X-Azure-Functions-InvocationId")),
			attribute.String("http.request.method", r.Method),
			attribute.String("url.path", r.URL.Path),
		))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		// A panic that escapes next still counts as a 5xx; it is re-raised.
		p := recover()
		if p != nil {
			rec.status = http.StatusInternalServerError
		}
		t.record(function, rec.status, time.Since(start), span)
		span.End()
		if p != nil {
			panic(p)
		}
	}()
	next.ServeHTTP(rec, r.WithContext(ctx))
}

func (t *Telemetry) record(function string, status int, d time.Duration, span trace.Span) {
	class := StatusClass(status)
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, class)
	}
	ctx := trace.ContextWithSpan(context.Background(), span)
	attrs := metric.WithAttributeSet(attribute.NewSet(
		attribute.String("function", function), attribute.String("status_class", class)))
	t.requests.Add(ctx, 1, attrs)
	if status >= 500 {
		t.errors.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(attribute.String("function", function))))
	}
	t.duration.Record(ctx, d.Seconds(), attrs)
	if status < 400 {
		t.lastOK.Record(ctx, float64(time.Now().Unix()),
			metric.WithAttributeSet(attribute.NewSet(attribute.String("function", function))))
	}
}

// StatusClass is "2xx", "4xx", ... for an HTTP status.
func StatusClass(status int) string {
	if status < 100 || status > 599 {
		return "5xx"
	}
	return string(rune('0'+status/100)) + "xx"
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status = code
		r.wroteHeader = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
