package app

import (
	"io"
	"log/slog"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/funcdef"
	"github.com/mediaspecs/catalogue/shared/health"
)

// routeConstraint matches ASP.NET route parameters with constraints or
// optional marks ({id:int?}); the mux pattern keeps only the name.
var routeConstraint = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(:[^}]*|\?|=[^}]*)?\}`)

// catchAll matches an ASP.NET catch-all parameter ({*name}), which the mux
// writes {name...}.
var catchAll = regexp.MustCompile(`\{\*([A-Za-z_][A-Za-z0-9_]*)\}`)

// expectedRoutes derives, from function.json alone, the requests the host
// would send the handler for each function.
func expectedRoutes(t *testing.T, a *funcdef.App) map[string][]string {
	t.Helper()
	want := map[string][]string{}
	for _, fn := range a.Functions {
		if fn.HTTPOnly() && a.Host.Forwarding() {
			methods := fn.Methods()
			if len(methods) == 0 {
				t.Errorf("%s: declare the HTTP methods; an empty list accepts every method", fn.Name)
			}
			path := "/" + a.Host.RoutePrefix() + "/" + routeConstraint.ReplaceAllString(catchAll.ReplaceAllString(fn.Route(), "{$1...}"), "{$1}")
			for _, m := range methods {
				want[fn.Name] = append(want[fn.Name], m+" "+path)
			}
		} else {
			want[fn.Name] = []string{"POST /" + fn.Name}
		}
		slices.Sort(want[fn.Name])
	}
	return want
}

func TestRoutesMatchFunctionDefinitions(t *testing.T) {
	def, err := funcdef.Load("../..", "../../functions")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Health: health.New(time.Second, nil)})
	got := map[string][]string{}
	for _, r := range s.Routes() {
		got[r.Function] = append(got[r.Function], r.Pattern())
	}
	for fn := range got {
		slices.Sort(got[fn])
	}
	want := expectedRoutes(t, def)
	for fn, patterns := range want {
		if !slices.Equal(got[fn], patterns) {
			t.Errorf("function %s: handler serves %v, function.json implies %v", fn, got[fn], patterns)
		}
	}
	for fn, patterns := range got {
		if _, ok := want[fn]; !ok {
			t.Errorf("handler route %v belongs to no function (no functions/%s/function.json)", patterns, fn)
		}
	}
}
