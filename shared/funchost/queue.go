package funchost

import (
	"encoding/json"
	"fmt"
	"time"
)

// QueueMeta is the trigger metadata of a queue-triggered invocation (§2.4).
// The message text itself is not here: the host strips "QueueTrigger"; read
// it from Data with [InvokeRequest.QueueMessage], [InvokeRequest.Text] or
// [InvokeRequest.Bytes].
type QueueMeta struct {
	// ID is the storage queue message id (wire key "Id", double-encoded).
	ID string
	// DequeueCount counts deliveries including this one, starting at 1.
	// The host poisons the message after extensions.queues.maxDequeueCount
	// (default 5) failed tries. Wire form: the string "1".
	DequeueCount int
	// InsertionTime, ExpirationTime and NextVisibleTime are in UTC and
	// whole seconds: the host drops fractional seconds. Zero when the host
	// omits them.
	InsertionTime   time.Time
	ExpirationTime  time.Time
	NextVisibleTime time.Time
	// PopReceipt is the receipt of this dequeue (double-encoded on the wire).
	// Empty when the host omits it.
	PopReceipt string
}

// QueueMeta decodes the queue trigger metadata. Id and DequeueCount are
// required (a missing one wraps [ErrMissingBinding], so calling this for a
// non-queue trigger fails); the timestamps and PopReceipt are optional.
func (r *InvokeRequest) QueueMeta() (QueueMeta, error) {
	var m QueueMeta
	raw, err := r.meta("Id")
	if err != nil {
		return QueueMeta{}, err
	}
	if m.ID, err = decodeString(raw); err != nil {
		return QueueMeta{}, bindingErr("Metadata", "Id", err)
	}
	if raw, err = r.meta("DequeueCount"); err != nil {
		return QueueMeta{}, err
	}
	if m.DequeueCount, err = decodeInt(raw); err != nil {
		return QueueMeta{}, bindingErr("Metadata", "DequeueCount", err)
	}
	if m.InsertionTime, err = r.metaTime("InsertionTime"); err != nil {
		return QueueMeta{}, err
	}
	if m.ExpirationTime, err = r.metaTime("ExpirationTime"); err != nil {
		return QueueMeta{}, err
	}
	if m.NextVisibleTime, err = r.metaTime("NextVisibleTime"); err != nil {
		return QueueMeta{}, err
	}
	if raw, ok := r.Metadata["PopReceipt"]; ok && !isNull(raw) {
		if m.PopReceipt, err = decodeString(raw); err != nil {
			return QueueMeta{}, bindingErr("Metadata", "PopReceipt", err)
		}
	}
	return m, nil
}

// metaTime decodes the optional timestamp Metadata[key] in UTC; absent is
// the zero time.
func (r *InvokeRequest) metaTime(key string) (time.Time, error) {
	raw, ok := r.Metadata[key]
	if !ok {
		return time.Time{}, nil
	}
	t, err := decodeTime(raw)
	if err != nil {
		return time.Time{}, bindingErr("Metadata", key, err)
	}
	return t.UTC(), nil
}

// QueueMessage decodes the JSON body of a queue trigger message into v.
//
// The host binds the message as text and double-encodes it (§2.2), so a
// message {"a":1} arrives as "\"{\\\"a\\\":1}\"": QueueMessage takes the
// text as [InvokeRequest.Text] does, then unmarshals it into v. An Event
// Grid event delivered to a queue is such a message. A value that arrives
// as a real JSON object or array is unmarshalled directly, in case a host
// version binds JSON messages as objects (the double-encoded form is
// derived from host source, not captured). Text that is not JSON for v
// wraps [ErrWrongType]; the invocation then fails and the message is
// retried until it is poisoned.
func (r *InvokeRequest) QueueMessage(name string, v any) error {
	raw, err := r.data(name)
	if err != nil {
		return err
	}
	switch firstByte(raw) {
	case '{', '[':
		if err := json.Unmarshal(raw, v); err != nil {
			return bindingErr("Data", name, err)
		}
		return nil
	case '"':
		text, err := decodeString(raw)
		if err != nil {
			return bindingErr("Data", name, err)
		}
		if err := json.Unmarshal([]byte(text), v); err != nil {
			return bindingErr("Data", name, fmt.Errorf("message body: %w", err))
		}
		return nil
	default:
		return bindingErr("Data", name, fmt.Errorf("want JSON string, got %s", kindOf(raw)))
	}
}
