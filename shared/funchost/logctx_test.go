package funchost_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

type requestMark struct{}

// contextRecorder keeps the request mark of the context each record came with.
type contextRecorder struct {
	slog.Handler
	marks *[]any
}

func (h contextRecorder) Handle(ctx context.Context, r slog.Record) error {
	*h.marks = append(*h.marks, ctx.Value(requestMark{}))
	return nil
}

func (h contextRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h contextRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }

// TestLoggerWithoutContextUsesTheInvocations: a function that logs with
// inv.Logger.Info (no context) still hands its handler the invocation's
// context (where telemetry's TraceHandler finds the span); a record logged
// with a context of its own keeps it.
func TestLoggerWithoutContextUsesTheInvocations(t *testing.T) {
	var marks []any
	logger := slog.New(contextRecorder{Handler: slog.DiscardHandler, marks: &marks})
	h := funchost.Handle("Work", func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
		inv.Logger.Info("without a context")
		inv.Logger.InfoContext(context.WithValue(ctx, requestMark{}, "inner"), "with its own")
		return nil, nil
	}, logger)
	req := httptest.NewRequestWithContext(context.WithValue(t.Context(), requestMark{}, "invocation"), http.MethodPost, "/Work",
		strings.NewReader(`{"Data":{},"Metadata":{}}`))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if len(marks) < 2 || marks[0] != "invocation" || marks[1] != "inner" {
		t.Errorf("records came with contexts %v, want the invocation's, then the function's own", marks)
	}
}
