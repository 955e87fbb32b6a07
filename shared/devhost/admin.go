package devhost

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// serveAdmin serves the part of the host's admin API that local work
// needs:
//
//   - POST /admin/functions/<Name> with {"input": "..."} runs a non-HTTP
//     function now and answers 202 Accepted at once, as the host's
//     FunctionsController.Invoke does. The input is converted as the
//     trigger's binding converts a string: a queue trigger gets it as the
//     message text (Metadata carries only DequeueCount "0", the values of
//     QueuesModelFactory.QueueMessage(null, null, input, 0)), a timer gets
//     a TimerInfo with ScheduleStatus null and IsPastDue false.
//   - GET /admin/host/status answers {"id","state":"Running","version",...}
//     so scripts can wait for devhost.
//
// The host requires the master key for these; devhost, like Core Tools,
// does not.
func (h *Host) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/admin/host/status":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "use GET")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id":            "devhost",
			"state":         "Running",
			"version":       h.cfg.HostVersion,
			"processUptime": time.Since(h.started).Milliseconds(),
		})
	case strings.HasPrefix(r.URL.Path, "/admin/functions/"):
		name := strings.TrimPrefix(r.URL.Path, "/admin/functions/")
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "use POST /admin/functions/<Name> with {\"input\": \"...\"}")
			return
		}
		h.adminInvoke(w, r, name)
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no admin route %s %s", r.Method, r.URL.Path))
	}
}

func (h *Host) adminInvoke(w http.ResponseWriter, r *http.Request, name string) {
	fn := h.function(name)
	if fn == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no function named %q", name))
		return
	}
	if fn.route != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%s is HTTP-triggered; call its route instead", fn.name))
		return
	}
	var body struct {
		Input json.RawMessage `json:"input"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil && len(strings.TrimSpace(string(raw))) > 0 {
		err = json.Unmarshal(raw, &body)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "body must be {\"input\": \"...\"}")
		return
	}
	input := ""
	if firstByte(body.Input) == '"' {
		_ = json.Unmarshal(body.Input, &input)
	} else if len(body.Input) > 0 && firstByte(body.Input) != 'n' {
		input = string(body.Input) // the host's model binds any JSON value's text
	}
	h.inflight.Add(1)
	go func() {
		defer h.inflight.Done()
		h.runAdmin(context.WithoutCancel(r.Context()), fn, input)
	}()
	w.WriteHeader(http.StatusAccepted)
}

// runAdmin performs an admin-route invocation and logs it.
func (h *Host) runAdmin(ctx context.Context, fn *function, input string) {
	inv := h.newInvocation(fn, "admin", "")
	var body []byte
	switch {
	case fn.queue != nil:
		body = queueEnvelope(fn.name, fn.trigger.Name, fn.trigger.DataType, queueMessage{Body: []byte(input)}, inv.start)
	case fn.timer != nil:
		body = timerEnvelope(fn.name, fn.trigger.Name, nil, false, inv.start)
	default:
		var data, meta object
		data.add(fn.trigger.Name, doubleEncoded(input))
		meta.add("sys", sysObject(fn.name, inv.start))
		body = envelope(&data, &meta)
	}
	res, code, err := h.invokeEnvelope(ctx, inv, body)
	if err == nil {
		err = h.writeOutputs(ctx, fn, res)
	}
	h.logDone(inv, code, err)
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"status":500,"error":"internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError writes devhost's own error body: {"status","error","detail"}.
func writeError(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, struct {
		Status int    `json:"status"`
		Error  string `json:"error"`
		Detail string `json:"detail,omitempty"`
	}{status, strings.ToLower(http.StatusText(status)), detail})
}
