package devhost

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2/queueerror"

	"github.com/mediaspecs/catalogue/shared/funcdef"
)

// Queue listener constants of the storage extension (QueueListener,
// QueuesOptions).
const (
	// minPollingInterval is the shortest delay between empty polls; the
	// delay doubles up to maxPollingInterval and resets when a poll finds
	// messages.
	minPollingInterval = 100 * time.Millisecond
	// dequeueVisibility hides a message while it is processed; it is
	// renewed at half-time for long invocations.
	dequeueVisibility = 10 * time.Minute
)

// queueOptions is host.json extensions.queues with the host's defaults.
type queueOptions struct {
	batchSize          int
	newBatchThreshold  int
	maxDequeueCount    int
	visibilityTimeout  time.Duration // delay before a failed message is retried
	maxPollingInterval time.Duration
	base64             bool // messageEncoding: base64 (default) or none
}

// newQueueOptions applies the defaults of the storage extension 5.x in a
// development environment (maxPollingInterval 2 s instead of 1 min), and
// rejects values the host rejects.
func newQueueOptions(q funcdef.Queues) (queueOptions, error) {
	o := queueOptions{batchSize: 16, maxDequeueCount: 5, maxPollingInterval: 2 * time.Second, base64: true}
	if q.BatchSize != 0 {
		if q.BatchSize < 1 || q.BatchSize > 32 {
			return o, fmt.Errorf("host.json extensions.queues.batchSize %d: want 1..32", q.BatchSize)
		}
		o.batchSize = q.BatchSize
	}
	o.newBatchThreshold = o.batchSize / 2
	if q.NewBatchThreshold != 0 {
		o.newBatchThreshold = q.NewBatchThreshold
	}
	if q.MaxDequeueCount != 0 {
		if q.MaxDequeueCount < 1 {
			return o, fmt.Errorf("host.json extensions.queues.maxDequeueCount %d: want >= 1", q.MaxDequeueCount)
		}
		o.maxDequeueCount = q.MaxDequeueCount
	}
	for _, d := range []struct {
		name string
		raw  string
		dst  *time.Duration
	}{
		{"visibilityTimeout", q.VisibilityTimeout, &o.visibilityTimeout},
		{"maxPollingInterval", q.MaxPollingInterval, &o.maxPollingInterval},
	} {
		if d.raw == "" {
			continue
		}
		v, err := funcdef.ParseDuration(d.raw)
		if err != nil {
			return o, fmt.Errorf("host.json extensions.queues.%s: %w", d.name, err)
		}
		*d.dst = v
	}
	if o.maxPollingInterval < minPollingInterval {
		return o, fmt.Errorf("host.json extensions.queues.maxPollingInterval %s: the minimum is 100 ms", o.maxPollingInterval)
	}
	switch strings.ToLower(q.MessageEncoding) {
	case "", "base64":
	case "none":
		o.base64 = false
	default:
		return o, fmt.Errorf("host.json extensions.queues.messageEncoding %q: want base64 or none", q.MessageEncoding)
	}
	return o, nil
}

// encode turns message bytes into queue message text per messageEncoding.
func (o queueOptions) encode(b []byte) string {
	if o.base64 {
		return base64.StdEncoding.EncodeToString(b)
	}
	return string(b)
}

// decode turns queue message text into bytes per messageEncoding; under
// base64 it fails for text that is not base64 (.NET Convert rules).
func (o queueOptions) decode(text string) ([]byte, bool) {
	if !o.base64 {
		return []byte(text), true
	}
	return netBase64(text)
}

// queueTrigger polls one queue for one function.
type queueTrigger struct {
	h      *Host
	fn     *function
	name   string
	queue  *azqueue.QueueClient
	poison *azqueue.QueueClient
	opts   queueOptions
	log    *slog.Logger

	active atomic.Int32  // messages being processed
	freed  chan struct{} // signalled when a message finishes
}

func newQueueTrigger(h *Host, fn *function, connStr string) (*queueTrigger, error) {
	svc, err := h.queueService(connStr)
	if err != nil {
		return nil, err
	}
	name := fn.trigger.QueueName
	if name == "" {
		return nil, fmt.Errorf("queue trigger %s: queueName is empty", fn.trigger.Name)
	}
	return &queueTrigger{
		h: h, fn: fn, name: name,
		queue:  svc.NewQueueClient(name),
		poison: svc.NewQueueClient(name + "-poison"),
		opts:   h.queueOpts,
		log:    h.log.With(slog.String("function", fn.name), slog.String("queue", name)),
		freed:  make(chan struct{}, 1),
	}, nil
}

var (
	queueServicesMu sync.Mutex
	queueServices   = map[string]*azqueue.ServiceClient{}
)

// queueService returns a (shared) queue service client for a connection string.
func (h *Host) queueService(connStr string) (*azqueue.ServiceClient, error) {
	queueServicesMu.Lock()
	defer queueServicesMu.Unlock()
	if c, ok := queueServices[connStr]; ok {
		return c, nil
	}
	c, err := azqueue.NewServiceClientFromConnectionString(connStr, nil)
	if err != nil {
		return nil, fmt.Errorf("azqueue.NewServiceClientFromConnectionString: %w", err)
	}
	queueServices[connStr] = c
	return c, nil
}

// run polls until ctx ends. Up to batchSize messages are fetched at a
// time and processed concurrently; the next batch is fetched once no more
// than newBatchThreshold are still in progress. Empty polls back off
// exponentially from 100 ms to maxPollingInterval. A missing queue counts
// as empty, as on the host. In-flight messages finish after ctx ends
// (Host.Run waits for them).
func (q *queueTrigger) run(ctx context.Context) {
	delay := minPollingInterval
	var lastErr string
	for ctx.Err() == nil {
		if int(q.active.Load()) > q.opts.newBatchThreshold {
			select {
			case <-q.freed:
			case <-ctx.Done():
			}
			continue
		}
		n := min(q.opts.batchSize, 32)
		resp, err := q.queue.DequeueMessages(ctx, &azqueue.DequeueMessagesOptions{
			NumberOfMessages:  to.Ptr(int32(n)),
			VisibilityTimeout: to.Ptr(int32(dequeueVisibility / time.Second)),
		})
		if err != nil && ctx.Err() == nil && !queueerror.HasCode(err, queueerror.QueueNotFound) {
			if msg := err.Error(); msg != lastErr {
				q.log.Warn("polling the queue failed", slog.String("error", msg))
				lastErr = msg
			}
		}
		if err != nil || len(resp.Messages) == 0 {
			jitter := time.Duration(rand.Int64N(int64(delay)/5 + 1))
			select {
			case <-time.After(delay + jitter):
			case <-ctx.Done():
			}
			delay = min(delay*2, q.opts.maxPollingInterval)
			continue
		}
		lastErr = ""
		delay = minPollingInterval
		for _, m := range resp.Messages {
			q.active.Add(1)
			q.h.inflight.Add(1)
			go func() {
				defer q.h.inflight.Done()
				defer func() {
					q.active.Add(-1)
					select {
					case q.freed <- struct{}{}:
					default:
					}
				}()
				q.process(context.WithoutCancel(ctx), m)
			}()
		}
	}
}

// process handles one dequeued message as QueueProcessor does: a message
// already dequeued more than maxDequeueCount times, or one that cannot be
// decoded under base64 encoding, goes to the poison queue without an
// invocation; a successful invocation writes the output bindings and
// deletes the message; a failed one is made visible again after
// visibilityTimeout, or poisoned when this was try maxDequeueCount.
func (q *queueTrigger) process(ctx context.Context, m *azqueue.DequeuedMessage) {
	msg := &dequeued{id: deref(m.MessageID), text: deref(m.MessageText), pop: deref(m.PopReceipt)}
	dc := int64(0)
	if m.DequeueCount != nil {
		dc = *m.DequeueCount
	}
	log := q.log.With(slog.String("message_id", msg.id), slog.Int64("dequeue_count", dc))
	if dc > int64(q.opts.maxDequeueCount) {
		q.poisonMessage(ctx, msg, log, "dequeue count exceeds maxDequeueCount")
		return
	}
	body, ok := q.opts.decode(msg.text)
	if !ok {
		// QueueServiceClientProvider's MessageDecodingFailed handler: the
		// message goes to the poison queue as it is, never invoked.
		q.poisonMessage(ctx, msg, log, "message is not valid base64 (messageEncoding base64)")
		return
	}

	stopRenew := q.renew(ctx, msg, log)
	inv := q.h.newInvocation(q.fn, "queue", "")
	env := queueEnvelope(q.fn.name, q.fn.trigger.Name, q.fn.trigger.DataType, queueMessage{
		ID: msg.id, PopReceipt: msg.popReceipt(), DequeueCount: dc,
		InsertionTime: m.InsertionTime, ExpirationTime: m.ExpirationTime, NextVisibleTime: m.TimeNextVisible,
		Body: body,
	}, time.Now())
	res, status, err := q.h.invokeEnvelope(ctx, inv, env)
	if err == nil {
		err = q.h.writeOutputs(ctx, q.fn, res)
	}
	stopRenew()
	q.h.logDone(inv, status, err, slog.String("message_id", msg.id), slog.Int64("dequeue_count", dc))

	switch {
	case err == nil:
		if _, derr := q.queue.DeleteMessage(ctx, msg.id, msg.popReceipt(), nil); derr != nil {
			log.Warn("deleting a processed message failed", slog.String("error", derr.Error()))
		}
	case dc >= int64(q.opts.maxDequeueCount):
		q.poisonMessage(ctx, msg, log, fmt.Sprintf("failed %d times (maxDequeueCount)", dc))
	default:
		vis := int32(q.opts.visibilityTimeout / time.Second)
		if _, uerr := q.queue.UpdateMessage(ctx, msg.id, msg.popReceipt(), msg.text,
			&azqueue.UpdateMessageOptions{VisibilityTimeout: to.Ptr(vis)}); uerr != nil {
			log.Warn("releasing a failed message failed", slog.String("error", uerr.Error()))
		}
	}
}

// dequeued is a message being processed; its pop receipt changes when the
// visibility is renewed.
type dequeued struct {
	id, text string
	mu       sync.Mutex
	pop      string
}

func (d *dequeued) popReceipt() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pop
}

// renew keeps the message hidden while a long invocation runs, at half
// the visibility timeout, as the host's listener does. It returns a stop
// function that waits for the renewer to finish.
func (q *queueTrigger) renew(ctx context.Context, msg *dequeued, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(dequeueVisibility / 2)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				resp, err := q.queue.UpdateMessage(ctx, msg.id, msg.popReceipt(), msg.text,
					&azqueue.UpdateMessageOptions{VisibilityTimeout: to.Ptr(int32(dequeueVisibility / time.Second))})
				if err != nil {
					log.Warn("renewing message visibility failed", slog.String("error", err.Error()))
					continue
				}
				if resp.PopReceipt != nil {
					msg.mu.Lock()
					msg.pop = *resp.PopReceipt
					msg.mu.Unlock()
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// poisonMessage copies the message text as stored (still encoded) to
// <queue>-poison, creating that queue if needed, then deletes it from the
// source queue (QueueProcessor.CopyMessageToPoisonQueueAsync).
func (q *queueTrigger) poisonMessage(ctx context.Context, msg *dequeued, log *slog.Logger, reason string) {
	if err := enqueue(ctx, q.poison, msg.text); err != nil {
		log.Error("moving a message to the poison queue failed", slog.String("error", err.Error()))
		return
	}
	if _, err := q.queue.DeleteMessage(ctx, msg.id, msg.popReceipt(), nil); err != nil {
		log.Warn("deleting a poisoned message failed", slog.String("error", err.Error()))
	}
	log.Warn("message moved to the poison queue", slog.String("poison_queue", q.name+"-poison"), slog.String("reason", reason))
}

// enqueue adds a message, creating the queue when it does not exist (the
// host's queue output binding and poison queue both create on demand).
func enqueue(ctx context.Context, qc *azqueue.QueueClient, text string) error {
	_, err := qc.EnqueueMessage(ctx, text, nil)
	if queueerror.HasCode(err, queueerror.QueueNotFound) {
		if _, cerr := qc.Create(ctx, nil); cerr != nil && !queueerror.HasCode(cerr, queueerror.QueueAlreadyExists) {
			return cerr
		}
		_, err = qc.EnqueueMessage(ctx, text, nil)
	}
	return err
}

// writeOutputs writes the queue output bindings of a successful
// invocation (§4.2): each value becomes one or more messages (see
// queueMessages), encoded per messageEncoding. A write error fails the
// invocation, as a failing output binding does on the host.
func (h *Host) writeOutputs(ctx context.Context, fn *function, res *invokeResult) error {
	for _, ob := range fn.outputs {
		if ob.typ != "queue" {
			continue
		}
		v, ok := res.output(ob.name)
		if !ok {
			continue
		}
		msgs, err := queueMessages(v, ob.dataType)
		if err != nil {
			return fmt.Errorf("output %s: %w", ob.name, err)
		}
		svc, err := h.queueService(ob.connStr)
		if err != nil {
			return err
		}
		qc := svc.NewQueueClient(ob.queueName)
		for _, m := range msgs {
			if err := enqueue(ctx, qc, h.queueOpts.encode(m)); err != nil {
				return fmt.Errorf("output %s: writing to queue %s: %w", ob.name, ob.queueName, err)
			}
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
