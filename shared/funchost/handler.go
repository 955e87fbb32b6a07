package funchost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// Request headers the host sets on every invocation (§1.4). The host's
// HTTP client may also send a W3C traceparent; it is optional here.
const (
	HeaderInvocationID = "X-Azure-Functions-InvocationId"
	HeaderTraceParent  = "traceparent"
)

// DefaultMaxBodyBytes is the envelope size limit when
// [Handler.MaxBodyBytes] is zero. A storage queue message is at most
// 64 KiB, which double encoding can inflate a few times; 4 MiB leaves
// ample room. Functions that receive blob content in the envelope need a
// larger limit, but this project reads blobs with the storage SDK instead
// (§7.3).
const DefaultMaxBodyBytes = 4 << 20

// Func is the body of one Azure Function. It returns the response envelope
// (nil means the zero [InvokeResponse]) or an error, which fails the
// invocation: errors wrapping [ErrMalformed], [ErrMissingBinding] or
// [ErrWrongType] are reported as 400, all others as 500, and the host
// treats both alike (retry, then poison). ctx is the request's context:
// it is canceled if the host gives up on the call (its HTTP timeout is
// functionTimeout + 1 minute). Log through inv.Logger, which carries the
// invocation attributes.
type Func func(ctx context.Context, inv *Invocation) (*InvokeResponse, error)

// Invocation is one decoded invocation as passed to a [Func].
type Invocation struct {
	// InvokeRequest is the decoded envelope; its accessors read bindings.
	InvokeRequest
	// Function is the function name the Handler was built with.
	Function string
	// ID is the X-Azure-Functions-InvocationId header, "" if absent.
	ID string
	// TraceParent is the W3C traceparent header, "" if absent.
	TraceParent string
	// Logger carries the attributes "function", "invocation_id" and, when
	// present, "traceparent". Records logged without a context (Info rather
	// than InfoContext) are handled with the invocation's context, so a
	// handler that reads the span from the context (shared/telemetry's
	// TraceHandler) adds the invocation's trace and span ids to them too.
	Logger *slog.Logger
}

// Handler serves POST /<FunctionName> for one non-forwarded function.
// Register it for exactly that path, e.g.
//
//	mux.Handle("POST /ProcessOrder", funchost.Handle("ProcessOrder", orders.Process, logger))
//
// Handler never panics and always answers with a JSON body; see the
// package documentation for the status mapping. Configure it before
// serving; it is safe for concurrent use afterwards.
type Handler struct {
	// Name is the function name, used for logging.
	Name string
	// Func is the function body.
	Func Func
	// Logger receives one record per failed invocation (Error level) and
	// per successful one (Debug level). Nil discards.
	Logger *slog.Logger
	// MaxBodyBytes caps the request body; larger bodies get 413 without
	// calling Func. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Handle returns a Handler for the named function with the default body
// limit.
func Handle(name string, fn Func, logger *slog.Logger) *Handler {
	return &Handler{Name: name, Func: fn, Logger: logger}
}

// errMethod is returned for a method other than POST.
var errMethod = errors.New("method not allowed: the host invokes functions with POST")

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get(HeaderInvocationID)
	tp := r.Header.Get(HeaderTraceParent)
	logger := h.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	attrs := []any{slog.String("function", h.Name), slog.String("invocation_id", id)}
	if tp != "" {
		attrs = append(attrs, slog.String("traceparent", tp))
	}
	logger = logger.With(attrs...)
	ctx := context.WithValue(r.Context(), ctxKey{}, ctxValue{id: id, traceParent: tp})
	logger = slog.New(invocationContext{Handler: logger.Handler(), ctx: ctx})

	body, err := h.invoke(ctx, w, r, id, tp, logger)
	if err == nil {
		writeJSON(w, http.StatusOK, body)
		logger.LogAttrs(ctx, slog.LevelDebug, "invocation succeeded",
			slog.Duration("duration", time.Since(start)))
		return
	}

	status := statusOf(err)
	detail := ""
	if status < 500 {
		detail = err.Error()
	}
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeFailure(w, status, detail, id)
	logAttrs := []slog.Attr{
		slog.Int("status", status), slog.Any("err", err),
		slog.Duration("duration", time.Since(start)),
	}
	if pe, ok := errors.AsType[*panicError](err); ok {
		logAttrs = append(logAttrs, slog.String("stack", string(pe.stack)))
	}
	logger.LogAttrs(ctx, slog.LevelError, "invocation failed", logAttrs...)
}

// invoke reads and decodes the request, runs the function and encodes its
// response, turning a panic anywhere in that (including in a value's
// MarshalJSON) into an error. Nothing is written to w here.
func (h *Handler) invoke(ctx context.Context, w http.ResponseWriter, r *http.Request, id, tp string, logger *slog.Logger) (body []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			body, err = nil, &panicError{value: p, stack: debug.Stack()}
		}
	}()
	if r.Method != http.MethodPost {
		return nil, errMethod
	}
	in, err := readBody(w, r, h.maxBody())
	if err != nil {
		return nil, err
	}
	req, err := ParseRequest(in)
	if err != nil {
		return nil, err
	}
	if h.Func == nil {
		return nil, errors.New("funchost: Handler.Func is nil")
	}
	resp, err := h.Func(ctx, &Invocation{
		InvokeRequest: *req,
		Function:      h.Name,
		ID:            id,
		TraceParent:   tp,
		Logger:        logger,
	})
	if err != nil {
		return nil, err
	}
	if resp == nil {
		resp = &InvokeResponse{}
	}
	out, err := encodeResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("funchost: encoding response: %w", err)
	}
	return out, nil
}

func (h *Handler) maxBody() int64 {
	if h.MaxBodyBytes > 0 {
		return h.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// readBody reads the whole body, failing with *http.MaxBytesError beyond
// limit (wrapped). A declared Content-Length sizes the buffer in one
// allocation.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, fmt.Errorf("funchost: request body exceeds %d bytes: %w", limit, &http.MaxBytesError{Limit: limit})
	}
	size := int64(bytes.MinRead)
	if r.ContentLength > 0 {
		size += r.ContentLength
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, fmt.Errorf("funchost: request body exceeds %d bytes: %w", limit, err)
		}
		return nil, fmt.Errorf("funchost: reading body: %w", err)
	}
	return buf.Bytes(), nil
}

// statusOf is the one place that maps an invocation error to a status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrMissingBinding), errors.Is(err, ErrWrongType):
		return http.StatusBadRequest
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// panicError is a recovered panic from a Func.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("funchost: function panicked: %v", e.value)
}

type ctxKey struct{}

type ctxValue struct{ id, traceParent string }

// InvocationID returns the host's invocation id (header
// X-Azure-Functions-InvocationId) for a context derived from one passed to
// a [Func], or "" otherwise. Use it to correlate downstream calls and logs
// with the host's invocation record.
func InvocationID(ctx context.Context) string {
	v, _ := ctx.Value(ctxKey{}).(ctxValue)
	return v.id
}

// TraceParent returns the W3C traceparent header the host sent with the
// invocation, for a context derived from one passed to a [Func], or "".
func TraceParent(ctx context.Context) string {
	v, _ := ctx.Value(ctxKey{}).(ctxValue)
	return v.traceParent
}

// invocationContext hands records logged without a context (the
// context.Background that slog's Info, Warn… pass) to the next handler with
// the invocation's context instead.
type invocationContext struct {
	slog.Handler
	ctx context.Context
}

// Handle implements slog.Handler.
func (h invocationContext) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil || ctx == context.Background() {
		ctx = h.ctx
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h invocationContext) WithAttrs(attrs []slog.Attr) slog.Handler {
	return invocationContext{Handler: h.Handler.WithAttrs(attrs), ctx: h.ctx}
}

// WithGroup implements slog.Handler.
func (h invocationContext) WithGroup(name string) slog.Handler {
	return invocationContext{Handler: h.Handler.WithGroup(name), ctx: h.ctx}
}
