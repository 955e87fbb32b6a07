package funchost

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// InvokeResponse is the envelope the handler returns to the host for a
// successful invocation (§4.1). The zero value is a valid response that
// writes no output binding.
type InvokeResponse struct {
	// Outputs maps output binding names from function.json to values;
	// keys that match no output binding are ignored by the host. How the
	// host converts a value (§4.2):
	//
	//   - an "http" binding needs an object: use [HTTPResponse];
	//   - for a queue binding, a slice (or a string holding a JSON array)
	//     fans out to one message per element; any other value is one
	//     message. Objects are written as JSON text.
	//   - for every non-http binding without dataType "binary", a string
	//     value that happens to be valid base64 ("test", "abcd1234") is
	//     silently decoded to bytes. Send structs or maps, not bare strings.
	Outputs map[string]any
	// Logs are written to the function's log at Information level (App
	// Insights traces). Other levels go through the process's slog logger.
	Logs []string
	// ReturnValue feeds the binding named "$return", converted like an
	// Outputs value. Nil encodes as null.
	ReturnValue any
}

// SetOutput sets Outputs[name] = v, allocating Outputs if needed.
func (r *InvokeResponse) SetOutput(name string, v any) {
	if r.Outputs == nil {
		r.Outputs = make(map[string]any)
	}
	r.Outputs[name] = v
}

// MarshalJSON encodes the wire form. All three keys are always present:
// nil Outputs encodes as {} and nil Logs as [] (never null), so the host's
// reader sees a complete envelope.
func (r InvokeResponse) MarshalJSON() ([]byte, error) {
	return encodeResponse(&r)
}

var (
	emptyOutputs = map[string]any{}
	emptyLogs    = []string{}
)

func encodeResponse(r *InvokeResponse) ([]byte, error) {
	w := struct {
		Outputs     map[string]any `json:"Outputs"`
		Logs        []string       `json:"Logs"`
		ReturnValue any            `json:"ReturnValue"`
	}{r.Outputs, r.Logs, r.ReturnValue}
	if w.Outputs == nil {
		w.Outputs = emptyOutputs
	}
	if w.Logs == nil {
		w.Logs = emptyLogs
	}
	return json.Marshal(w)
}

// WriteResponse writes resp (nil means the zero response) as a 200
// application/json body. The body is encoded before anything is written,
// so if encoding fails (a value json cannot encode) WriteResponse writes a
// JSON 500 instead, failing the invocation, and returns the error.
func WriteResponse(w http.ResponseWriter, resp *InvokeResponse) error {
	if resp == nil {
		resp = &InvokeResponse{}
	}
	body, err := encodeResponse(resp)
	if err != nil {
		WriteFailure(w, http.StatusInternalServerError, "")
		return err
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// WriteFailure writes a failed invocation: a non-2xx status with the JSON
// body {"status":N,"error":"<status text>","detail":"..."}. The host
// ignores the body (it fails the invocation on the status alone), but
// never sending an empty or non-JSON body keeps local tools and logs
// simple. detail is optional and must not carry internal details for 5xx.
// A status outside 400–599 is replaced by 500.
func WriteFailure(w http.ResponseWriter, status int, detail string) {
	writeFailure(w, status, detail, "")
}

func writeFailure(w http.ResponseWriter, status int, detail, invocationID string) {
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	body, err := json.Marshal(struct {
		Status       int    `json:"status"`
		Error        string `json:"error"`
		Detail       string `json:"detail,omitempty"`
		InvocationID string `json:"invocationId,omitempty"`
	}{status, strings.ToLower(http.StatusText(status)), detail, invocationID})
	if err != nil {
		// Unreachable: the value holds only strings and an int.
		body = []byte(`{"status":500,"error":"internal server error"}`)
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	// A write error means the host has gone; there is no one left to tell.
	_, _ = w.Write(body)
}
