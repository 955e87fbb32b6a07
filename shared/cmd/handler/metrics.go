package main

import (
	"context"
	"strings"
	"time"

	"github.com/mediaspecs/catalogue/shared/blob"
	"github.com/mediaspecs/catalogue/shared/search"
)

// oldestMessageAges returns a function that peeks at the front message of
// each queue and of its poison queue (each within 2 seconds) and reports its
// age. Peeking works the same against Azure Storage as against Azurite (the
// identity needs Storage Queue Data Reader or Message Processor, which the
// queue trigger needs anyway); it sees the oldest *visible* message, so a
// message being processed right now (invisible) does not count, which is
// what a stalled-consumer alert wants: waiting work.
func oldestMessageAges(storage *blob.Clients, queues ...string) func(context.Context) map[string]time.Duration {
	var names []string
	for _, q := range queues {
		names = append(names, q, q+"-poison")
	}
	return func(ctx context.Context) map[string]time.Duration {
		out := make(map[string]time.Duration, len(names))
		now := time.Now()
		for _, name := range names {
			qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			resp, err := storage.Queue.NewQueueClient(name).PeekMessages(qctx, nil)
			cancel()
			if err != nil {
				continue // missing queue or unreachable: no sample
			}
			if len(resp.Messages) == 0 || resp.Messages[0].InsertionTime == nil {
				out[name] = 0 // an empty queue waits for nothing
				continue
			}
			out[name] = now.Sub(*resp.Messages[0].InsertionTime)
		}
		return out
	}
}

// indexGeneration returns a function that reads the index behind the read
// alias (within 2 seconds) and decodes its creation time from its name,
// <prefix>-YYYYMMDDhhmmss (search.Admin.NewIndexName).
func indexGeneration(admin *search.Admin) func(context.Context) (time.Time, bool) {
	return func(ctx context.Context) (time.Time, bool) {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		targets, err := admin.AliasTargets(actx, admin.ReadAlias)
		if err != nil || len(targets) != 1 {
			return time.Time{}, false // unreachable, no alias, or mid-change
		}
		return parseGeneration(admin.Prefix, targets[0])
	}
}

// parseGeneration decodes the creation time in a versioned index name.
func parseGeneration(prefix, index string) (time.Time, bool) {
	stamp, ok := strings.CutPrefix(index, prefix+"-")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405", stamp)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
