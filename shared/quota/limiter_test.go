package quota

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source shared by the limiters of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func limitsOf(def Limit) Limits { return Limits{Default: def} }

func allow(t *testing.T, l *Limiter, client string) Decision {
	t.Helper()
	d, err := l.Allow(t.Context(), client)
	if err != nil {
		t.Fatalf("Allow(%q): %v", client, err)
	}
	return d
}

func TestBucketBurstAndRefill(t *testing.T) {
	t.Parallel()
	clk := newClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	l := New(limitsOf(Limit{Rate: 2, Burst: 3}), NewMemLedger(), clk.Now)

	for i := range 3 {
		if d := allow(t, l, "a"); !d.Allowed {
			t.Fatalf("request %d of the burst refused: %+v", i+1, d)
		}
	}
	d := allow(t, l, "a")
	if d.Allowed || d.Reason != "rate" || d.RetryAfter != 500*time.Millisecond {
		t.Fatalf("4th request at once = %+v, want refused (rate) with RetryAfter 500ms", d)
	}
	if d.RetryAfterSeconds() != 1 {
		t.Errorf("RetryAfterSeconds = %d, want 1 (rounded up)", d.RetryAfterSeconds())
	}
	if d.DailyRemaining != -1 {
		t.Errorf("DailyRemaining without a daily quota = %d, want -1", d.DailyRemaining)
	}
	clk.Advance(250 * time.Millisecond)
	if d := allow(t, l, "a"); d.Allowed || d.RetryAfter != 250*time.Millisecond {
		t.Fatalf("after 250ms = %+v, want refused with RetryAfter 250ms", d)
	}
	clk.Advance(250 * time.Millisecond)
	if d := allow(t, l, "a"); !d.Allowed {
		t.Fatalf("after 500ms (one token earned) = %+v, want allowed", d)
	}
	// A long pause refills up to the burst, not beyond.
	clk.Advance(time.Hour)
	n := 0
	for allow(t, l, "a").Allowed {
		n++
	}
	if n != 3 {
		t.Errorf("after an hour idle, %d requests passed at once, want the burst of 3", n)
	}
	// A clock stepping back earns nothing.
	clk.Advance(-time.Minute)
	if d := allow(t, l, "a"); d.Allowed {
		t.Errorf("clock stepped back: %+v, want refused", d)
	}
}

func TestDailyQuotaResetsAtMidnightUTC(t *testing.T) {
	t.Parallel()
	// The clock reads Brussels time: the reset still follows UTC.
	brussels := time.FixedZone("CET", 3600)
	clk := newClock(time.Date(2026, 11, 27, 0, 59, 30, 0, brussels)) // 23:59:30 UTC
	ledger := NewMemLedger()
	l := New(limitsOf(Limit{Rate: 100, Burst: 100, Daily: 3}), ledger, clk.Now)

	for i, wantRemaining := range []int64{2, 1, 0} {
		d := allow(t, l, "a")
		if !d.Allowed || d.DailyRemaining != wantRemaining {
			t.Fatalf("request %d = %+v, want allowed with %d remaining", i+1, d, wantRemaining)
		}
	}
	d := allow(t, l, "a")
	if d.Allowed || d.Reason != "daily" || d.RetryAfter != 30*time.Second || d.DailyRemaining != 0 {
		t.Fatalf("4th request = %+v, want refused (daily) with RetryAfter 30s", d)
	}
	if d.RetryAfterSeconds() != 30 {
		t.Errorf("RetryAfterSeconds = %d, want 30", d.RetryAfterSeconds())
	}
	clk.Advance(29 * time.Second)
	if d := allow(t, l, "a"); d.Allowed || d.RetryAfter != time.Second {
		t.Fatalf("at 23:59:59 = %+v, want refused with RetryAfter 1s", d)
	}
	clk.Advance(time.Second) // 00:00:00 UTC
	if d := allow(t, l, "a"); !d.Allowed || d.DailyRemaining != 2 {
		t.Fatalf("at midnight UTC = %+v, want allowed with 2 remaining", d)
	}
	// Yesterday's local count reached the ledger under yesterday's key.
	if got := ledger.Total("a", "2026-11-26"); got != 3 {
		t.Errorf("ledger for 2026-11-26 = %d, want 3", got)
	}
}

func TestPerClientOverrides(t *testing.T) {
	t.Parallel()
	clk := newClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	limits, err := ParseLimits("default=1/s burst=1 daily=100; agency-demo=10/s burst=5 daily=2")
	if err != nil {
		t.Fatal(err)
	}
	l := New(limits, NewMemLedger(), clk.Now)
	count := func(client string) (n int) {
		for allow(t, l, client).Allowed {
			n++
		}
		return n
	}
	if n := count("someone"); n != 1 {
		t.Errorf("default client: %d at once, want its burst of 1", n)
	}
	if n := count("agency-demo"); n != 2 {
		t.Errorf("agency-demo: %d at once, want its daily quota of 2 (before its burst of 5)", n)
	}
	if d := allow(t, l, "agency-demo"); d.Limit != limits.PerClient["agency-demo"] || d.Reason != "daily" {
		t.Errorf("agency-demo decision = %+v", d)
	}
}

// A second instance starts from the global total, not from zero.
func TestNewInstanceReadsGlobalTotal(t *testing.T) {
	t.Parallel()
	clk := newClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	ledger := NewMemLedger()
	if _, err := ledger.Add(t.Context(), "a", "2026-11-26", 10); err != nil {
		t.Fatal(err)
	}
	l := New(limitsOf(Limit{Rate: 100, Burst: 100, Daily: 10}), ledger, clk.Now)
	if d := allow(t, l, "a"); d.Allowed || d.Reason != "daily" {
		t.Fatalf("first request on a fresh instance after the quota was used elsewhere = %+v, want refused", d)
	}
}

// Two instances (two Limiters on one ledger) enforce the quota together:
// together they admit at least Daily and at most the documented overshoot.
func TestTwoInstancesShareDailyQuota(t *testing.T) {
	t.Parallel()
	clk := newClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	ledger := NewMemLedger()
	lim := Limit{Rate: 50, Burst: 20, Daily: 1000}
	a := New(limitsOf(lim), ledger, clk.Now)
	b := New(limitsOf(lim), ledger, clk.Now)

	admitted := 0
	// Each instance is asked 100 times a second (twice its rate) for a
	// minute of simulated time: 12,000 requests against a quota of 1,000.
	for range 6000 {
		clk.Advance(10 * time.Millisecond)
		for _, l := range []*Limiter{a, b} {
			if allow(t, l, "agency").Allowed {
				admitted++
			}
		}
	}
	const instances = 2
	bound := lim.Daily + 2*(instances-1)*int64(lim.Rate*a.FlushInterval.Seconds()+float64(lim.Burst))
	if int64(admitted) < lim.Daily || int64(admitted) > bound {
		t.Errorf("admitted %d, want between the quota %d and the overshoot bound %d", admitted, lim.Daily, bound)
	}
	a.Flush(t.Context())
	b.Flush(t.Context())
	if got := ledger.Total("agency", "2026-11-26"); got != int64(admitted) {
		t.Errorf("ledger total %d, admitted %d: every admitted request is counted once", got, admitted)
	}
	t.Logf("admitted %d of a daily quota of %d (bound %d)", admitted, lim.Daily, bound)
}

// One instance under concurrent load never overshoots, and counts exactly.
func TestConcurrentRequestsCountExactly(t *testing.T) {
	t.Parallel()
	clk := newClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	ledger := NewMemLedger()
	l := New(limitsOf(Limit{Rate: 1e6, Burst: 1e6, Daily: 300}), ledger, clk.Now)
	l.FlushEvery = 7
	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				clk.Advance(time.Millisecond)
				d, _ := l.Allow(context.Background(), "agency")
				if d.Allowed {
					mu.Lock()
					admitted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	l.Flush(t.Context())
	if admitted != 300 {
		t.Errorf("admitted %d of 800 requests, want exactly the quota of 300", admitted)
	}
	if got := ledger.Total("agency", "2026-11-26"); got != 300 {
		t.Errorf("ledger total = %d, want 300", got)
	}
}

// flakyLedger fails while down is set and counts the calls.
type flakyLedger struct {
	*MemLedger
	mu    sync.Mutex
	down  bool
	calls int
}

func (f *flakyLedger) Add(ctx context.Context, client, day string, n int64) (int64, error) {
	f.mu.Lock()
	f.calls++
	down := f.down
	f.mu.Unlock()
	if down {
		return 0, errors.New("cosmos: 503")
	}
	return f.MemLedger.Add(ctx, client, day, n)
}

func (f *flakyLedger) set(down bool) (calls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
	return f.calls
}

// While the ledger fails the limiter keeps serving on its local count (fail
// open), retries once per interval, logs the outage once, and sends the
// held-back count when the ledger is back.
func TestLedgerFailureFailsOpenOnLocalCounts(t *testing.T) {
	t.Parallel()
	clk := newClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	ledger := &flakyLedger{MemLedger: NewMemLedger()}
	var logs bytes.Buffer
	l := New(limitsOf(Limit{Rate: 1000, Burst: 1000, Daily: 50}), ledger, clk.Now)
	l.Logger = slog.New(slog.NewTextHandler(&logs, nil))

	ledger.set(true)
	admitted := 0
	for range 40 { // 4 s of simulated time, 10 requests a second
		clk.Advance(100 * time.Millisecond)
		if allow(t, l, "agency").Allowed {
			admitted++
		}
	}
	if admitted != 40 {
		t.Errorf("ledger down: %d of 40 requests admitted, want all (fail open under the quota)", admitted)
	}
	if calls := ledger.set(true); calls > 5 {
		t.Errorf("ledger down: %d Add attempts in 4 s, want about one per second", calls)
	}
	// The local count still enforces the quota on this instance.
	for range 20 {
		clk.Advance(100 * time.Millisecond)
		if allow(t, l, "agency").Allowed {
			admitted++
		}
	}
	if admitted != 50 {
		t.Errorf("ledger down: %d admitted in total, want the quota of 50 from the local count", admitted)
	}
	if n := strings.Count(logs.String(), "quota ledger unavailable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}

	ledger.set(false)
	clk.Advance(2 * time.Second)
	allow(t, l, "agency") // due: sends the held-back count
	if got := ledger.Total("agency", "2026-11-26"); got != 50 {
		t.Errorf("after recovery the ledger holds %d, want the 50 admitted", got)
	}
	if !strings.Contains(logs.String(), "quota ledger available again") {
		t.Errorf("recovery not logged:\n%s", logs.String())
	}
}

func TestIdleClientsAreEvicted(t *testing.T) {
	t.Parallel()
	clk := newClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	l := New(limitsOf(Limit{Rate: 1, Burst: 2}), NewMemLedger(), clk.Now)
	l.MaxClients = 3
	for i := range 50 {
		allow(t, l, "client-"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		clk.Advance(10 * time.Second) // everyone before is idle again
	}
	if n := len(l.clients); n > 3 {
		t.Errorf("%d client states held, want at most MaxClients = 3", n)
	}
	// Even when nobody is idle the cap holds.
	for i := range 10 {
		allow(t, l, "busy-"+string(rune('a'+i)))
	}
	if n := len(l.clients); n > 3 {
		t.Errorf("%d client states held under load, want at most 3", n)
	}
}
