package devhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Headers the host sets on every request to the handler
// (DefaultHttpWorkerService.AddHeaders, functions-protocol.md §1.4).
const (
	HeaderInvocationID = "X-Azure-Functions-InvocationId"
	HeaderHostVersion  = "X-Azure-Functions-HostVersion"
	HeaderTraceparent  = "traceparent"
)

// maxResponseBytes bounds a response envelope read into memory.
const maxResponseBytes = 100 << 20

// invocation is one call into the handler, for headers and the log line.
type invocation struct {
	fn          *function
	trigger     string // http, queue, timer, admin
	id          string
	traceparent string
	start       time.Time
}

// newInvocation starts an invocation with a fresh invocation id. A caller's
// W3C traceparent is passed through; otherwise one is generated, as the
// host's activity would be.
func (h *Host) newInvocation(fn *function, trigger, traceparent string) *invocation {
	if traceparent == "" {
		traceparent = newTraceparent()
	}
	return &invocation{fn: fn, trigger: trigger, id: newGUID(), traceparent: traceparent, start: time.Now()}
}

// logDone writes the one log line per invocation: function, invocation id,
// trigger, duration and outcome ("succeeded" or "failed"), plus the HTTP
// status the handler gave and the error, if any.
func (h *Host) logDone(inv *invocation, status int, err error, attrs ...slog.Attr) {
	a := []slog.Attr{
		slog.String("function", inv.fn.name),
		slog.String("invocation_id", inv.id),
		slog.String("trigger", inv.trigger),
		slog.Duration("duration", time.Since(inv.start)),
	}
	if status != 0 {
		a = append(a, slog.Int("status", status))
	}
	a = append(a, attrs...)
	if err != nil {
		a = append(a, slog.String("outcome", "failed"), slog.String("error", err.Error()))
		h.log.LogAttrs(context.Background(), slog.LevelWarn, "invocation", a...)
		return
	}
	a = append(a, slog.String("outcome", "succeeded"))
	h.log.LogAttrs(context.Background(), slog.LevelInfo, "invocation", a...)
}

// setHostHeaders sets the host's headers on a request to the handler. In
// forwarded mode the host appends its User-Agent product to the caller's.
func (h *Host) setHostHeaders(hdr http.Header, inv *invocation, callerUA string) {
	hdr.Set(HeaderInvocationID, inv.id)
	hdr.Set(HeaderHostVersion, h.cfg.HostVersion)
	ua := "Azure-Functions-Host/" + h.cfg.HostVersion
	if callerUA != "" {
		ua = callerUA + " " + ua
	}
	hdr.Set("User-Agent", ua)
	hdr.Set(HeaderTraceparent, inv.traceparent)
}

// errInvocationFailed wraps a non-2xx answer from the handler: the host's
// EnsureSuccessStatusCode throws and the invocation fails (§4.3).
var errInvocationFailed = errors.New("handler answered with a failure status")

// invokeEnvelope POSTs an envelope to /<FunctionName> and reads the
// response envelope. The invocation fails (error) on a transport error, a
// non-2xx status, an unreadable response, or functionTimeout. It returns
// the status the handler answered with (0 when none).
func (h *Host) invokeEnvelope(ctx context.Context, inv *invocation, body []byte) (*invokeResult, int, error) {
	if h.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.timeout)
		defer cancel()
	}
	base, err := h.proc.endpoint(ctx)
	if err != nil {
		return nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+url.PathEscape(inv.fn.name), bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	h.setHostHeaders(req.Header, inv, "")
	resp, err := h.client.Do(req)
	if err != nil {
		if ctx.Err() != nil && h.timeout > 0 {
			return nil, 0, fmt.Errorf("function timed out after %s (functionTimeout): %w", h.timeout, err)
		}
		return nil, 0, fmt.Errorf("calling the handler: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil, resp.StatusCode, fmt.Errorf("%w: %s", errInvocationFailed, resp.Status)
	}
	res, err := parseResult(resp.Header.Get("Content-Type"), io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	for _, line := range res.Logs {
		h.log.Info("function log", slog.String("function", inv.fn.name), slog.String("invocation_id", inv.id), slog.String("message", line))
	}
	return res, resp.StatusCode, nil
}
