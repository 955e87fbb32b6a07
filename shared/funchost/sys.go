package funchost

import (
	"encoding/json"
	"time"
)

// Sys is Metadata["sys"], which the host adds to every invocation (§2.1):
//
//	{"MethodName":"ProcessOrder","UtcNow":"2022-06-13T06:00:18.1974545Z","RandGuid":"d9ba2785-..."}
type Sys struct {
	// MethodName is the function name (the function.json folder name).
	MethodName string
	// UTCNow is the host's clock when it built the invocation, in UTC
	// with 100 ns precision (wire key "UtcNow").
	UTCNow time.Time
	// RandGUID is a random GUID per invocation (wire key "RandGuid"). It is
	// not the invocation id; see [InvocationID].
	RandGUID string
}

// Sys decodes Metadata["sys"]. It is an error wrapping [ErrMissingBinding]
// if absent, which the host never does.
func (r *InvokeRequest) Sys() (Sys, error) {
	raw, err := r.object("Metadata", "sys")
	if err != nil {
		return Sys{}, err
	}
	var w struct {
		MethodName string   `json:"MethodName"`
		UtcNow     wireTime `json:"UtcNow"`
		RandGuid   string   `json:"RandGuid"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return Sys{}, bindingErr("Metadata", "sys", err)
	}
	return Sys{MethodName: w.MethodName, UTCNow: time.Time(w.UtcNow).UTC(), RandGUID: w.RandGuid}, nil
}

// RetryContext is Metadata["RetryContext"], present only when a
// function-level retry policy is active (timer, Event Hubs, Cosmos DB and
// Kafka triggers; queue and blob triggers retry through DequeueCount
// instead).
type RetryContext struct {
	// RetryCount is the number of retries so far (0 on the first try).
	RetryCount int
	// MaxRetryCount is the policy's maximum; -1 means retry forever.
	MaxRetryCount int
	// Exception is the previous failure as the host serialized it, or nil.
	// Its shape is not part of the contract.
	Exception json.RawMessage
}

// RetryContext decodes Metadata["RetryContext"]. It returns nil and no
// error when the key is absent, i.e. when no retry policy applies.
func (r *InvokeRequest) RetryContext() (*RetryContext, error) {
	if raw, ok := r.Metadata["RetryContext"]; !ok || isNull(raw) {
		return nil, nil
	}
	raw, err := r.object("Metadata", "RetryContext")
	if err != nil {
		return nil, err
	}
	var w struct {
		RetryCount    wireInt         `json:"RetryCount"`
		MaxRetryCount wireInt         `json:"MaxRetryCount"`
		Exception     json.RawMessage `json:"Exception"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, bindingErr("Metadata", "RetryContext", err)
	}
	rc := &RetryContext{RetryCount: int(w.RetryCount), MaxRetryCount: int(w.MaxRetryCount)}
	if len(w.Exception) > 0 && !isNull(w.Exception) {
		rc.Exception = w.Exception
	}
	return rc, nil
}
