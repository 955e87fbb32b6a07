package quota

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"
)

// Defaults of the Limiter's tunables.
const (
	DefaultFlushInterval = time.Second
	DefaultFlushEvery    = 50
	DefaultLedgerTimeout = 2 * time.Second
	DefaultMaxClients    = 10_000
)

// Decision is the outcome of one Allow.
type Decision struct {
	Allowed bool
	// RetryAfter is how long to wait when refused: until the bucket holds a
	// token (Reason "rate") or until the next 00:00 UTC (Reason "daily").
	RetryAfter time.Duration
	// Reason is "rate" or "daily" when refused, "" when allowed.
	Reason string
	// Limit is the client's limit (for X-RateLimit-* style headers).
	Limit Limit
	// DailyRemaining is how many more requests today's quota allows after
	// this one, as far as this instance knows; -1 when Limit.Daily is 0.
	DailyRemaining int64
}

// RetryAfterSeconds is RetryAfter in whole seconds rounded up, at least 1:
// the value of a Retry-After header.
func (d Decision) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(d.RetryAfter.Seconds())))
}

// Limiter decides, per client, whether a request may proceed.
//
// # Daily counts across instances
//
// Each instance counts a client's admitted requests locally and sends the
// increment to the Ledger in one Add when a flush is due: FlushInterval after
// the previous flush, or once FlushEvery requests are pending. The Add
// returns the global total, which the instance then decides with:
// admitted while global + pending < Daily. A client's first request on an
// instance (each day) flushes before deciding, so a new instance starts
// from the global total rather than from zero. The flush runs inside that
// request, bounded by LedgerTimeout: one request per client per
// FlushInterval per instance pays one ledger round trip.
//
// Overshoot. An instance cannot see what the other instances admitted since
// its last flush (at most FlushInterval ago when it is deciding) nor what
// they have counted but not flushed; each of those is bounded by what the
// rate limit lets through in one interval. So with I instances serving a
// client, the requests admitted in a day stay below
//
//	Daily + 2 × (I − 1) × (Rate × FlushInterval + Burst)
//
// e.g. 50,000 + 2 × 3 × (10 + 50) = 50,360 for 10/s burst 50 on 4 instances.
// One instance alone never overshoots. Counts are also lost, the other way,
// when an instance stops with increments pending (call Flush on shutdown)
// or evicts an idle client (only clients with nothing pending are evicted
// unless MaxClients forces it), and a retried ledger write may count twice;
// both errors are small and in the client's favour or ours respectively.
//
// # Ledger failures: fail open on local counts
//
// When an Add fails, the increment stays pending and is retried at the next
// interval; meanwhile each instance keeps deciding with the last global
// total it knew plus its own counts, and logs the outage once (and the
// recovery). Refusing every B2B request because the quota store is down
// would turn a Cosmos incident into an API outage for paying clients, while
// the per-instance rate limit still bounds the load each instance accepts;
// the quota's purpose, bounding bulk scraping over a day, tolerates a few
// minutes of per-instance counting (the overshoot then grows to at most
// Daily per instance for the duration).
//
// Memory: one small state per client seen, at most MaxClients; beyond that,
// idle clients (full bucket, nothing pending) are evicted first, else the
// least recently seen.
//
// The exported fields are tunables; set them before the first Allow. A
// Limiter is safe for concurrent use.
type Limiter struct {
	// FlushInterval is the longest a client's local count waits before it is
	// sent to the ledger, and the retry interval while the ledger fails.
	FlushInterval time.Duration
	// FlushEvery sends the count sooner, once this many requests are pending.
	FlushEvery int64
	// LedgerTimeout bounds one Add (it does not inherit the request's
	// cancellation: a client hanging up must not lose other requests' counts).
	LedgerTimeout time.Duration
	// MaxClients bounds the number of clients held in memory.
	MaxClients int
	// Logger receives ledger outages and recoveries; nil means slog.Default().
	Logger *slog.Logger

	limits Limits
	ledger Ledger
	now    func() time.Time

	mu         sync.Mutex
	clients    map[string]*clientState
	ledgerDown bool
}

// clientState is one client's bucket and daily count on this instance.
type clientState struct {
	limit    Limit
	tokens   float64
	filledAt time.Time
	lastSeen time.Time

	day       string // UTC day the counts below belong to
	global    int64  // the last total the ledger returned for day
	pending   int64  // admitted here, not yet sent
	sending   int64  // in an Add right now
	flushing  bool
	lastFlush time.Time // last Add attempt, success or not
}

// New returns a Limiter enforcing limits with the daily counts in ledger;
// now is the clock (time.Now in production).
func New(limits Limits, ledger Ledger, now func() time.Time) *Limiter {
	return &Limiter{
		FlushInterval: DefaultFlushInterval,
		FlushEvery:    DefaultFlushEvery,
		LedgerTimeout: DefaultLedgerTimeout,
		MaxClients:    DefaultMaxClients,
		limits:        limits,
		ledger:        ledger,
		now:           now,
		clients:       map[string]*clientState{},
	}
}

// Day is the ledger's day key of t: its UTC date.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// nextMidnight is the next 00:00 UTC after t.
func nextMidnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// Allow decides whether clientID may make one more request now, and counts
// it when allowed. Refused requests consume neither a token nor quota. The
// error is always nil today (ledger failures fail open, see Limiter); it is
// there so that a future fail-closed policy needs no API change.
func (l *Limiter) Allow(ctx context.Context, clientID string) (Decision, error) {
	now := l.now()
	day := Day(now)

	l.mu.Lock()
	st := l.state(clientID, now)
	var carry flushJob
	if st.day != day {
		// A new UTC day: yesterday's unsent count still goes to yesterday.
		if st.pending > 0 {
			carry = flushJob{client: clientID, day: st.day, n: st.pending}
		}
		st.day, st.global, st.pending, st.lastFlush = day, 0, 0, time.Time{}
	}
	job, due := l.dueFlush(clientID, st, now)
	l.mu.Unlock()

	if carry.n > 0 {
		l.send(ctx, nil, carry)
	}
	if due {
		l.send(ctx, st, job)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	st = l.state(clientID, now) // the same state unless evicted meanwhile
	lim := st.limit
	st.refill(now)
	d := Decision{Limit: lim, DailyRemaining: -1}
	if lim.Daily > 0 {
		used := st.global + st.pending + st.sending
		d.DailyRemaining = max(0, lim.Daily-used)
		if used >= lim.Daily {
			d.Reason, d.RetryAfter = "daily", nextMidnight(now).Sub(now)
			return d, nil
		}
	}
	if st.tokens < 1 {
		d.Reason = "rate"
		d.RetryAfter = time.Duration(math.Ceil((1 - st.tokens) / lim.Rate * float64(time.Second)))
		return d, nil
	}
	st.tokens--
	d.Allowed = true
	if lim.Daily > 0 {
		st.pending++
		d.DailyRemaining--
	}
	return d, nil
}

// flushJob is one Add to make.
type flushJob struct {
	client, day string
	n           int64
}

// dueFlush decides whether st's count should be sent now and, if so, marks
// it in flight. Clients without a daily quota never touch the ledger. Called
// with l.mu held.
func (l *Limiter) dueFlush(clientID string, st *clientState, now time.Time) (flushJob, bool) {
	if st.limit.Daily <= 0 || st.flushing {
		return flushJob{}, false
	}
	// A client new to this instance today (lastFlush zero) syncs at once;
	// after that, and after a failure, once per interval.
	byTime := st.lastFlush.IsZero() || now.Sub(st.lastFlush) >= l.FlushInterval
	byCount := st.pending >= l.FlushEvery && !l.ledgerDown
	if !byTime && !byCount {
		return flushJob{}, false
	}
	job := flushJob{client: clientID, day: st.day, n: st.pending}
	st.flushing, st.sending, st.pending, st.lastFlush = true, st.pending, 0, now
	return job, true
}

// send makes one Add and folds its result into st (nil for a carried-over
// day, whose result is not needed).
func (l *Limiter) send(ctx context.Context, st *clientState, job flushJob) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.LedgerTimeout)
	total, err := l.ledger.Add(ctx, job.client, job.day, job.n)
	cancel()

	l.mu.Lock()
	defer l.mu.Unlock()
	l.noteLedger(err, job)
	if st == nil {
		return
	}
	st.flushing, st.sending = false, 0
	if st.day != job.day {
		return // the day turned while sending; the new day starts afresh
	}
	if err != nil {
		st.pending += job.n // keep it for the next attempt
		return
	}
	st.global = max(st.global, total)
}

// noteLedger logs the ledger going down and coming back, once each. Called
// with l.mu held.
func (l *Limiter) noteLedger(err error, job flushJob) {
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	switch {
	case err != nil && !l.ledgerDown:
		l.ledgerDown = true
		log.Error("quota ledger unavailable; enforcing daily quotas on this instance's counts",
			"client", job.client, "day", job.day, "pending", job.n, "err", err)
	case err == nil && l.ledgerDown:
		l.ledgerDown = false
		log.Info("quota ledger available again")
	}
}

// Flush sends every pending count to the ledger now, e.g. on shutdown. It
// returns after one attempt per client; failed counts stay pending.
func (l *Limiter) Flush(ctx context.Context) {
	l.mu.Lock()
	type work struct {
		st  *clientState
		job flushJob
	}
	var jobs []work
	for id, st := range l.clients {
		if st.pending > 0 && !st.flushing && st.limit.Daily > 0 {
			job := flushJob{client: id, day: st.day, n: st.pending}
			st.flushing, st.sending, st.pending, st.lastFlush = true, st.pending, 0, l.now()
			jobs = append(jobs, work{st, job})
		}
	}
	l.mu.Unlock()
	for _, w := range jobs {
		l.send(ctx, w.st, w.job)
	}
}

// state returns clientID's state, creating it with a full bucket. Called
// with l.mu held.
func (l *Limiter) state(clientID string, now time.Time) *clientState {
	st, ok := l.clients[clientID]
	if !ok {
		if len(l.clients) >= l.MaxClients {
			l.evict(now)
		}
		lim := l.limits.For(clientID)
		st = &clientState{limit: lim, tokens: float64(lim.Burst), filledAt: now}
		l.clients[clientID] = st
	}
	st.lastSeen = now
	return st
}

// evict makes room for one client: idle clients (bucket full again, nothing
// pending or in flight) all go; if none is idle, the least recently seen
// client not in flight goes, losing its pending count.
func (l *Limiter) evict(now time.Time) {
	var oldest string
	var oldestSeen time.Time
	for id, st := range l.clients {
		if st.flushing {
			continue
		}
		if st.pending == 0 && st.bucketFull(now) {
			delete(l.clients, id)
			continue
		}
		if oldest == "" || st.lastSeen.Before(oldestSeen) {
			oldest, oldestSeen = id, st.lastSeen
		}
	}
	if len(l.clients) >= l.MaxClients && oldest != "" {
		delete(l.clients, oldest)
	}
}

// refill adds the tokens earned since the last refill, up to the burst.
func (st *clientState) refill(now time.Time) {
	if elapsed := now.Sub(st.filledAt); elapsed > 0 { // a clock stepping back earns nothing
		st.tokens = min(float64(st.limit.Burst), st.tokens+elapsed.Seconds()*st.limit.Rate)
		st.filledAt = now
	}
}

func (st *clientState) bucketFull(now time.Time) bool {
	elapsed := max(0, now.Sub(st.filledAt))
	return st.tokens+elapsed.Seconds()*st.limit.Rate >= float64(st.limit.Burst)
}
