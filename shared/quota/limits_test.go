package quota

import (
	"strings"
	"testing"
)

func TestParseLimits(t *testing.T) {
	t.Parallel()
	got, err := ParseLimits("default=5/s burst=20 daily=50000; agency-demo=10/s burst=40 daily=100000;" +
		" agency.big=daily=200000 ; slow:client=30/min; open=daily=none;")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Limit{
		"":            {Rate: 5, Burst: 20, Daily: 50000},
		"agency-demo": {Rate: 10, Burst: 40, Daily: 100000},
		"agency.big":  {Rate: 5, Burst: 20, Daily: 200000}, // rate and burst inherited
		"slow:client": {Rate: 0.5, Burst: 1, Daily: 50000}, // burst from its own rate
		"open":        {Rate: 5, Burst: 20, Daily: 0},
	}
	if got.Default != want[""] {
		t.Errorf("Default = %+v, want %+v", got.Default, want[""])
	}
	for name, w := range want {
		if name == "" {
			continue
		}
		if got.PerClient[name] != w {
			t.Errorf("PerClient[%q] = %+v, want %+v", name, got.PerClient[name], w)
		}
	}
	if got.For("unknown") != got.Default || got.For("agency-demo") != want["agency-demo"] {
		t.Error("For does not pick the override, else the default")
	}
	again, err := ParseLimits(got.String())
	if err != nil || again.String() != got.String() {
		t.Errorf("String() does not round-trip: %q → %v, %v", got.String(), again, err)
	}
	if l, _ := ParseLimits("default=3600/h"); l.Default != (Limit{Rate: 1, Burst: 1}) {
		t.Errorf("3600/h = %+v, want 1/s burst 1 without daily quota", l.Default)
	}
}

func TestParseLimitsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string // fragments the error must contain
	}{
		{"", []string{`no "default=…" entry`}},
		{"agency=5/s", []string{`no "default=…" entry`}},
		{"default=burst=5", []string{"entry 1", "no rate"}},
		{"default=5/s burst=0", []string{"entry 1", "burst", `"0"`}},
		{"default=5/s burst=x", []string{"burst", `"x"`}},
		{"default=5/s daily=-1", []string{"daily", `"-1"`}},
		{"default=5/day", []string{"rate", `"day"`}},
		{"default=0/s", []string{"rate", `"0/s"`}},
		{"default=5/s; a=1/s; a=2/s", []string{"entry 3", "a is given twice"}},
		{"default=5/s speed=fast", []string{"unknown setting", "speed=fast"}},
		{"default=5/s 6/s", []string{"rate given twice"}},
		{"default=5/s; bad name=1/s", []string{"entry 2", "not a client id"}},
		{"default=5/s; agency", []string{"entry 2", "name=settings"}},
		{"default=5/s; x=", []string{"entry 2", "no settings"}},
		// Every bad entry is reported, not just the first.
		{"default=5/s burst=x; a=1/q", []string{"entry 1", "entry 2"}},
	} {
		_, err := ParseLimits(tc.in)
		if err == nil {
			t.Errorf("ParseLimits(%q) accepted it", tc.in)
			continue
		}
		for _, frag := range tc.want {
			if !strings.Contains(err.Error(), frag) {
				t.Errorf("ParseLimits(%q) = %v; want it to mention %q", tc.in, err, frag)
			}
		}
	}
}
