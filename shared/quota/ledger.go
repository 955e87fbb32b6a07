package quota

import (
	"context"
	"sync"
)

// Ledger keeps the daily request counts shared by all instances.
//
// Add adds n (≥ 0) to clientID's count for day ("2006-01-02", UTC) and
// returns the count after the addition, including every other instance's
// additions so far. Add with n = 0 reads the count. Additions must be atomic:
// concurrent Adds from any number of instances end at the exact sum. An
// unknown client and day start at 0.
type Ledger interface {
	Add(ctx context.Context, clientID, day string, n int64) (total int64, err error)
}

// MemLedger is an in-memory Ledger for tests and for a single process.
type MemLedger struct {
	mu     sync.Mutex
	counts map[[2]string]int64
}

// NewMemLedger returns an empty MemLedger.
func NewMemLedger() *MemLedger {
	return &MemLedger{counts: map[[2]string]int64{}}
}

// Add implements Ledger.
func (m *MemLedger) Add(_ context.Context, clientID, day string, n int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{clientID, day}
	m.counts[k] += n
	return m.counts[k], nil
}

// Total returns clientID's count for day.
func (m *MemLedger) Total(clientID, day string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[[2]string{clientID, day}]
}

var _ Ledger = (*MemLedger)(nil)
