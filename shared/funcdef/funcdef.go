// Package funcdef reads the Function App definition exactly as the Functions
// host does: host.json at the app root and one <Name>/function.json per
// function. The handler's drift test, the local host stand-in (devhost) and
// the packaging test all read the app through this one package, so they agree
// on what the host would see.
package funcdef

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Host is the part of host.json this system relies on.
type Host struct {
	Version       string `json:"version"`
	CustomHandler struct {
		Description struct {
			DefaultExecutablePath string   `json:"defaultExecutablePath"`
			WorkingDirectory      string   `json:"workingDirectory"`
			Arguments             []string `json:"arguments"`
		} `json:"description"`
		EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
		EnableProxyingHTTPRequest   bool `json:"enableProxyingHttpRequest"`
	} `json:"customHandler"`
	ExtensionBundle struct {
		ID      string `json:"id"`
		Version string `json:"version"`
	} `json:"extensionBundle"`
	FunctionTimeout string `json:"functionTimeout"`
	Extensions      struct {
		HTTP struct {
			RoutePrefix *string `json:"routePrefix"`
		} `json:"http"`
		Queues Queues `json:"queues"`
	} `json:"extensions"`
}

// Queues holds extensions.queues from host.json. Durations are "hh:mm:ss".
type Queues struct {
	MaxPollingInterval string `json:"maxPollingInterval"`
	VisibilityTimeout  string `json:"visibilityTimeout"`
	BatchSize          int    `json:"batchSize"`
	NewBatchThreshold  int    `json:"newBatchThreshold"`
	MaxDequeueCount    int    `json:"maxDequeueCount"`
	MessageEncoding    string `json:"messageEncoding"`
}

// RoutePrefix is extensions.http.routePrefix, "api" when unset as on the host.
func (h *Host) RoutePrefix() string {
	if p := h.Extensions.HTTP.RoutePrefix; p != nil {
		return strings.Trim(*p, "/")
	}
	return "api"
}

// Forwarding reports whether HTTP-only functions reach the handler with the
// caller's original request instead of the invocation envelope.
func (h *Host) Forwarding() bool {
	return h.CustomHandler.EnableForwardingHTTPRequest || h.CustomHandler.EnableProxyingHTTPRequest
}

// Binding is one entry of function.json "bindings".
type Binding struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Direction  string   `json:"direction"`
	AuthLevel  string   `json:"authLevel,omitempty"`
	Methods    []string `json:"methods,omitempty"`
	Route      string   `json:"route,omitempty"`
	QueueName  string   `json:"queueName,omitempty"`
	Connection string   `json:"connection,omitempty"`
	Schedule   string   `json:"schedule,omitempty"`
	Path       string   `json:"path,omitempty"`
	Source     string   `json:"source,omitempty"`
	DataType   string   `json:"dataType,omitempty"`
}

// Function is one function: its folder name and bindings.
type Function struct {
	Name     string    `json:"-"`
	Bindings []Binding `json:"bindings"`
}

// Trigger returns the function's trigger binding (the one whose type ends in
// "Trigger"), or nil.
func (f *Function) Trigger() *Binding {
	for i := range f.Bindings {
		if strings.HasSuffix(f.Bindings[i].Type, "Trigger") && f.Bindings[i].Direction == "in" {
			return &f.Bindings[i]
		}
	}
	return nil
}

// Outputs returns the output bindings.
func (f *Function) Outputs() []Binding {
	var out []Binding
	for _, b := range f.Bindings {
		if b.Direction == "out" {
			out = append(out, b)
		}
	}
	return out
}

// HTTPOnly reports whether the host would forward this function's requests:
// exactly one input binding, an httpTrigger, and exactly one output binding,
// of type http (functions-protocol.md §3). Any other binding turns forwarding off.
func (f *Function) HTTPOnly() bool {
	var in, out []Binding
	for _, b := range f.Bindings {
		switch b.Direction {
		case "in":
			in = append(in, b)
		case "out":
			out = append(out, b)
		}
	}
	return len(in) == 1 && in[0].Type == "httpTrigger" && len(out) == 1 && out[0].Type == "http"
}

// Route is the public route template of an HTTP-triggered function, without
// the route prefix: the trigger's route, or the function name when unset.
func (f *Function) Route() string {
	t := f.Trigger()
	if t == nil || t.Type != "httpTrigger" {
		return ""
	}
	if t.Route != "" {
		return strings.Trim(t.Route, "/")
	}
	return f.Name
}

// Methods returns the upper-cased HTTP methods of an HTTP trigger; an empty
// list means every method, as on the host.
func (f *Function) Methods() []string {
	t := f.Trigger()
	if t == nil {
		return nil
	}
	var out []string
	for _, m := range t.Methods {
		out = append(out, strings.ToUpper(m))
	}
	return out
}

// App is a whole Function App definition.
type App struct {
	Root      string
	Host      Host
	Functions []Function // sorted by name
}

// Function returns the named function, or nil.
func (a *App) Function(name string) *Function {
	for i := range a.Functions {
		if a.Functions[i].Name == name {
			return &a.Functions[i]
		}
	}
	return nil
}

// Load reads host.json from root and every functionsDir/<Name>/function.json.
// In the repository functionsDir is root/functions; in a deployed package
// (dist/) the function folders sit beside host.json, so functionsDir == root.
// Every malformed file is reported, not just the first.
func Load(root, functionsDir string) (*App, error) {
	app := &App{Root: root}
	raw, err := os.ReadFile(filepath.Join(root, "host.json"))
	if err != nil {
		return nil, fmt.Errorf("funcdef.Load: %w", err)
	}
	if err := json.Unmarshal(raw, &app.Host); err != nil {
		return nil, fmt.Errorf("funcdef.Load: host.json: %w", err)
	}
	paths, err := filepath.Glob(filepath.Join(functionsDir, "*", "function.json"))
	if err != nil {
		return nil, fmt.Errorf("funcdef.Load: %w", err)
	}
	var errs []error
	for _, p := range paths {
		fn, err := loadFunction(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		app.Functions = append(app.Functions, *fn)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("funcdef.Load: %w", err)
	}
	slices.SortFunc(app.Functions, func(a, b Function) int { return strings.Compare(a.Name, b.Name) })
	return app, nil
}

func loadFunction(path string) (*Function, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fn := &Function{Name: filepath.Base(filepath.Dir(path))}
	if err := json.Unmarshal(raw, fn); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if fn.Trigger() == nil {
		return nil, fmt.Errorf("%s: no trigger binding", path)
	}
	return fn, nil
}

// ParseDuration reads a host.json "hh:mm:ss" (optionally "d.hh:mm:ss") duration.
func ParseDuration(s string) (time.Duration, error) {
	var days int
	if d, rest, ok := strings.Cut(s, "."); ok && !strings.Contains(d, ":") {
		if _, err := fmt.Sscanf(d, "%d", &days); err != nil {
			return 0, fmt.Errorf("duration %q: %w", s, err)
		}
		s = rest
	}
	var h, m int
	var sec float64
	if _, err := fmt.Sscanf(s, "%d:%d:%f", &h, &m, &sec); err != nil {
		return 0, fmt.Errorf("duration %q: want hh:mm:ss", s)
	}
	return time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(sec*float64(time.Second)), nil
}
