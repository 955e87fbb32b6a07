package health

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRunReportsEachDependency(t *testing.T) {
	c := New(50*time.Millisecond, map[string]Check{
		"fast": func(context.Context) error { return nil },
		"broken": func(context.Context) error {
			return errors.New("dial tcp internal-host.example:443: refused")
		},
		"slow": func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		},
	})
	start := time.Now()
	rep := c.Run(t.Context())
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("Run took %v; checks are not bounded by the timeout", elapsed)
	}
	if rep.Healthy() {
		t.Fatal("report healthy with a broken and a slow dependency")
	}
	want := map[string]string{"fast": StateUp, "broken": StateDown, "slow": StateTimeout}
	for name, state := range want {
		if got := rep.Dependencies[name].State; got != state {
			t.Errorf("%s state = %q, want %q", name, got, state)
		}
	}
	body, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "internal-host") {
		t.Errorf("report leaks error detail: %s", body)
	}
}

func TestRunAllUp(t *testing.T) {
	c := New(time.Second, map[string]Check{"a": func(context.Context) error { return nil }})
	if rep := c.Run(t.Context()); !rep.Healthy() {
		t.Errorf("report = %+v, want healthy", rep)
	}
}

func TestCachedRunsChecksOncePerTTL(t *testing.T) {
	runs := 0
	c := NewCached(New(time.Second, map[string]Check{"a": func(context.Context) error { runs++; return nil }}), time.Hour)
	for range 5 {
		if rep := c.Run(t.Context()); !rep.Healthy() {
			t.Fatal("unhealthy")
		}
	}
	if runs != 1 {
		t.Errorf("checks ran %d times within the TTL, want 1", runs)
	}
	expired := NewCached(New(time.Second, map[string]Check{"a": func(context.Context) error { runs++; return nil }}), 0)
	expired.Run(t.Context())
	expired.Run(t.Context())
	if runs != 3 {
		t.Errorf("with a zero TTL the checks ran %d times in all, want 3", runs)
	}
}
