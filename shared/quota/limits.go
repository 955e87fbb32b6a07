// Package quota enforces the B2B API's per-client rate limit and daily quota.
//
// The rate limit is a token bucket per client, in the memory of each
// instance: Burst requests at once, refilled at Rate per second. Each
// instance enforces it on its own, so with N instances serving one client it
// can reach at most N times its rate in aggregate; the rate limit protects
// each instance, and the daily quota, which is what bounds scraping, is
// shared.
//
// The daily quota counts requests per client per UTC day across all
// instances through a Ledger (Cosmos DB in production, shared/cosmos). The
// Limiter does not write to the ledger on every request: it counts locally
// and flushes the increments in batches, deciding with the last total the
// ledger returned plus what it has counted since. See Limiter for the
// resulting overshoot bound and what happens while the ledger is down.
package quota

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limit is one client's allowance.
type Limit struct {
	// Rate is the sustained rate in requests per second (> 0).
	Rate float64
	// Burst is the bucket size: how many requests may arrive at once (≥ 1).
	Burst int
	// Daily is the number of requests per UTC day; 0 means no daily quota.
	Daily int64
}

// Limits holds the default allowance and per-client overrides, keyed by the
// client id of the verified access token.
type Limits struct {
	Default   Limit
	PerClient map[string]Limit
}

// For returns clientID's limit: its override, else the default.
func (l Limits) For(clientID string) Limit {
	if lim, ok := l.PerClient[clientID]; ok {
		return lim
	}
	return l.Default
}

// ParseLimits reads the B2B_LIMITS setting: entries separated by ';', each a
// name, '=', then space-separated settings. The name is "default" or a client
// id. Settings:
//
//	<n>/s, <n>/min or <n>/h   the rate (decimals allowed: 0.5/s)
//	burst=<n>                 the bucket size, a whole number ≥ 1
//	daily=<n> or daily=none   the daily quota, a whole number ≥ 1, or none
//
// Example: "default=5/s burst=20 daily=50000; agency-demo=10/s burst=40 daily=100000".
//
// The default entry is required and must give a rate. A client entry starts
// from the default and changes only the settings it names, so
// "agency-big=daily=200000" keeps the default rate and burst. An entry that
// sets a rate without a burst gets the rate per second rounded up (at least
// 1) as its burst, not the default's. Errors name the entry and the setting.
func ParseLimits(s string) (Limits, error) {
	type entry struct {
		name string
		text string
		set  func(*Limit) error
	}
	limits := Limits{PerClient: map[string]Limit{}}
	var (
		haveDefault bool
		clients     []entry
		errs        []error
	)
	seen := map[string]bool{}
	for i, raw := range strings.Split(s, ";") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		name, body, ok := strings.Cut(raw, "=")
		name = strings.TrimSpace(name)
		where := fmt.Sprintf("entry %d (%q)", i+1, raw)
		if !ok || name == "" {
			errs = append(errs, fmt.Errorf("%s: want name=settings", where))
			continue
		}
		if !validClientID(name) {
			errs = append(errs, fmt.Errorf("%s: %q is not a client id (letters, digits and . _ - : only)", where, name))
			continue
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("%s: %s is given twice", where, name))
			continue
		}
		seen[name] = true
		set, err := parseSettings(body)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if name == "default" {
			haveDefault = true
			if err := set(&limits.Default); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
			}
			continue
		}
		clients = append(clients, entry{name: name, text: where, set: set})
	}
	if !haveDefault && len(errs) == 0 {
		errs = append(errs, errors.New(`no "default=…" entry: it is required (e.g. default=5/s burst=20 daily=50000)`))
	}
	if haveDefault {
		for _, c := range clients {
			lim := limits.Default
			if err := c.set(&lim); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c.text, err))
				continue
			}
			limits.PerClient[c.name] = lim
		}
	}
	if len(errs) > 0 {
		return Limits{}, errors.Join(errs...)
	}
	return limits, nil
}

// parseSettings returns a function applying the settings in body to a
// limit (its starting point: zero for default, the default for a client),
// then checking the result.
func parseSettings(body string) (func(*Limit) error, error) {
	var (
		rate, burst, daily          string
		haveRate, haveBurst, haveDy bool
	)
	fields := strings.Fields(body)
	if len(fields) == 0 {
		return nil, errors.New("no settings")
	}
	for _, f := range fields {
		key, val, isKV := strings.Cut(f, "=")
		switch {
		case !isKV && strings.Contains(f, "/"):
			if haveRate {
				return nil, fmt.Errorf("rate given twice (%q)", f)
			}
			rate, haveRate = f, true
		case isKV && key == "burst":
			if haveBurst {
				return nil, errors.New("burst given twice")
			}
			burst, haveBurst = val, true
		case isKV && key == "daily":
			if haveDy {
				return nil, errors.New("daily given twice")
			}
			daily, haveDy = val, true
		default:
			return nil, fmt.Errorf("unknown setting %q (want <n>/s, burst=<n> or daily=<n>)", f)
		}
	}
	var (
		perSecond float64
		nBurst    int
		nDaily    int64
	)
	if haveRate {
		r, err := parseRate(rate)
		if err != nil {
			return nil, err
		}
		perSecond = r
	}
	if haveBurst {
		n, err := strconv.Atoi(burst)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("burst: want a whole number ≥ 1, got %q", burst)
		}
		nBurst = n
	}
	if haveDy && daily != "none" {
		n, err := strconv.ParseInt(daily, 10, 64)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("daily: want a whole number ≥ 1 or none, got %q", daily)
		}
		nDaily = n
	}
	return func(l *Limit) error {
		if haveRate {
			l.Rate = perSecond
			if !haveBurst {
				l.Burst = max(1, int(math.Ceil(perSecond)))
			}
		}
		if haveBurst {
			l.Burst = nBurst
		}
		if haveDy {
			l.Daily = nDaily
		}
		if l.Rate <= 0 {
			return errors.New("no rate: give one such as 5/s")
		}
		if l.Burst < 1 {
			l.Burst = max(1, int(math.Ceil(l.Rate)))
		}
		return nil
	}, nil
}

// parseRate reads "<n>/s", "<n>/min" or "<n>/h" into requests per second.
func parseRate(s string) (float64, error) {
	num, unit, _ := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("rate: want a positive number of requests, got %q", s)
	}
	var per time.Duration
	switch unit {
	case "s":
		per = time.Second
	case "min":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		return 0, fmt.Errorf("rate: unit %q, want /s, /min or /h", unit)
	}
	return n / per.Seconds(), nil
}

// validClientID accepts the characters of Keycloak client ids in practice.
// The setting's own separators (= ; space) are excluded by construction.
func validClientID(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == ':':
		default:
			return false
		}
	}
	return s != ""
}

// String renders the limits in ParseLimits' format (for logs at start-up).
func (l Limits) String() string {
	var b strings.Builder
	b.WriteString("default=" + l.Default.String())
	names := make([]string, 0, len(l.PerClient))
	for n := range l.PerClient {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		b.WriteString("; " + n + "=" + l.PerClient[n].String())
	}
	return b.String()
}

// String renders one limit in ParseLimits' format.
func (l Limit) String() string {
	daily := "none"
	if l.Daily > 0 {
		daily = strconv.FormatInt(l.Daily, 10)
	}
	return fmt.Sprintf("%s/s burst=%d daily=%s", strconv.FormatFloat(l.Rate, 'g', -1, 64), l.Burst, daily)
}
