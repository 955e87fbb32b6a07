package funcdef

import (
	"testing"
	"time"
)

func TestLoadRepositoryApp(t *testing.T) {
	app, err := Load("../..", "../../functions")
	if err != nil {
		t.Fatal(err)
	}
	if got := app.Host.RoutePrefix(); got != "api" {
		t.Errorf("route prefix = %q, want api", got)
	}
	if !app.Host.Forwarding() {
		t.Error("forwarding is off; HTTP functions would receive envelopes")
	}
	if got := app.Host.Extensions.Queues.MaxDequeueCount; got != 5 {
		t.Errorf("maxDequeueCount = %d, want 5", got)
	}
	for _, tc := range []struct {
		name     string
		httpOnly bool
		route    string
	}{
		{"Search", true, "search"},
		{"GetMedia", true, "media/{id}"},
		{"IngestSupplierFile", false, ""},
		{"NightlyMaintenance", false, ""},
	} {
		fn := app.Function(tc.name)
		if fn == nil {
			t.Errorf("function %s missing", tc.name)
			continue
		}
		if got := fn.HTTPOnly(); got != tc.httpOnly {
			t.Errorf("%s.HTTPOnly() = %v, want %v", tc.name, got, tc.httpOnly)
		}
		if got := fn.Route(); got != tc.route {
			t.Errorf("%s.Route() = %q, want %q", tc.name, got, tc.route)
		}
	}
}

func TestHTTPOnlyNeedsExactlyHTTPInAndOut(t *testing.T) {
	in := Binding{Name: "req", Type: "httpTrigger", Direction: "in"}
	out := Binding{Name: "res", Type: "http", Direction: "out"}
	queue := Binding{Name: "q", Type: "queue", Direction: "out"}
	for _, tc := range []struct {
		name     string
		bindings []Binding
		want     bool
	}{
		{"http in and out", []Binding{in, out}, true},
		{"extra queue output", []Binding{in, out, queue}, false},
		{"no output", []Binding{in}, false},
		{"queue instead of http out", []Binding{in, queue}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Function{Name: "F", Bindings: tc.bindings}
			if got := f.HTTPOnly(); got != tc.want {
				t.Errorf("HTTPOnly() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"00:00:30", 30 * time.Second},
		{"00:10:00", 10 * time.Minute},
		{"1.02:00:00", 26 * time.Hour},
		{"00:00:00.5", 500 * time.Millisecond},
	} {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseDuration("thirty seconds"); err == nil {
		t.Error("ParseDuration accepted a malformed value")
	}
}
