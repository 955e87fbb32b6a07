package cosmos

import "time"

// EncodeChangesCursor builds a cursor for the window (since, until] at the
// given Cosmos continuation, for the external tests (package cosmos_test,
// which can reach the local stack; this package cannot import stacktest).
func EncodeChangesCursor(since, until int64, continuation string) string {
	return encodeChangesCursor(changesCursor{Since: since, Until: until, Continuation: continuation})
}

// SettledUntil exposes the upper bound of a window opened at now.
func SettledUntil(now time.Time) int64 { return settledUntil(now) }

// ChangesWindowQuery is the query Since runs for a window.
const ChangesWindowQuery = changesWindowQuery
