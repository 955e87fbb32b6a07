package devhost

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file builds the request envelopes the host POSTs to /<FunctionName>
// and reads the response envelopes, byte for byte as functions-protocol.md
// §2 and §4 describe them. Section numbers below refer to that document.
//
// The host serializes with Newtonsoft.Json (Formatting.None): compact JSON,
// no HTML escaping of <, > and &, keys in insertion order. quote and object
// reproduce that; encoding/json's defaults (HTML escaping, sorted map keys)
// would not.

// quote encodes s as a JSON string literal the way Newtonsoft does: only
// ", \ and control characters are escaped. Invalid UTF-8 is replaced by
// U+FFFD first, as .NET's UTF-8 decoder does.
func quote(s string) json.RawMessage {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// doubleEncoded is §2.2 rule 4 for a string: a JSON string whose content is
// the JSON string literal of s. "abc" becomes "\"abc\"".
func doubleEncoded(s string) json.RawMessage { return quote(string(quote(s))) }

// scalarEncoded is §2.2 rule 4 for an integer: DequeueCount 1 becomes "1".
func scalarEncoded(n int64) json.RawMessage { return quote(strconv.FormatInt(n, 10)) }

// wireDate is §2.2 rule 2: a DateTimeOffset re-parsed from its ToString(),
// so whole seconds with an explicit offset, e.g. "2022-06-20T06:00:06+00:00".
func wireDate(t time.Time) json.RawMessage {
	return quote(t.UTC().Format("2006-01-02T15:04:05") + "+00:00")
}

// utcNow formats sys.UtcNow: UTC with exactly seven fractional digits and
// a Z, e.g. "2022-06-13T06:00:18.1974545Z" (.NET's round-trip format).
func utcNow(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// localTime formats a .NET DateTime of kind Local as Newtonsoft writes it:
// trailing zero fractional digits dropped, offset always written. The host
// runs in UTC here, so the offset is +00:00. TimerInfo's ScheduleStatus
// uses it (§2.5: "2022-10-11T10:52:00.003967+02:00").
func localTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.9999999-07:00") }

// object builds a JSON object with keys in insertion order.
type object struct {
	buf bytes.Buffer
	n   int
}

func (o *object) add(key string, raw json.RawMessage) *object {
	if o.n == 0 {
		o.buf.WriteByte('{')
	} else {
		o.buf.WriteByte(',')
	}
	o.n++
	o.buf.Write(quote(key))
	o.buf.WriteByte(':')
	o.buf.Write(raw)
	return o
}

func (o *object) raw() json.RawMessage {
	if o.n == 0 {
		return json.RawMessage("{}")
	}
	b := bytes.Clone(o.buf.Bytes())
	return append(b, '}')
}

// envelope is the request body {"Data":{...},"Metadata":{...}} (§2.1).
func envelope(data, metadata *object) []byte {
	var o object
	o.add("Data", data.raw()).add("Metadata", metadata.raw())
	return o.raw()
}

// sysObject is Metadata.sys, which every invocation carries (§2.1).
func sysObject(function string, now time.Time) json.RawMessage {
	var o object
	o.add("MethodName", quote(function)).
		add("UtcNow", quote(utcNow(now))).
		add("RandGuid", quote(newGUID()))
	return o.raw()
}

// queueMessage is what the queue listener binds: the message as dequeued.
// Nil times and empty strings are left out of Metadata, as the host drops
// null binding data (an admin-route invocation has only DequeueCount 0).
type queueMessage struct {
	ID              string
	PopReceipt      string
	DequeueCount    int64
	InsertionTime   *time.Time
	ExpirationTime  *time.Time
	NextVisibleTime *time.Time
	Body            []byte // after messageEncoding decoding
}

// queueEnvelope is the request for a queue trigger (§2.4). The message is
// bound as a string and double-encoded, unless the trigger has dataType
// "binary" (byte[]: one base64 string, §2.2 rule 1). Metadata keys come in
// the captured order; QueueTrigger is absent because the host strips keys
// ending in "trigger".
func queueEnvelope(function, binding, dataType string, m queueMessage, now time.Time) []byte {
	var data object
	if strings.EqualFold(dataType, "binary") {
		data.add(binding, quote(base64.StdEncoding.EncodeToString(m.Body)))
	} else {
		data.add(binding, doubleEncoded(string(m.Body)))
	}
	var meta object
	meta.add("DequeueCount", scalarEncoded(m.DequeueCount))
	if m.ExpirationTime != nil {
		meta.add("ExpirationTime", wireDate(*m.ExpirationTime))
	}
	if m.ID != "" {
		meta.add("Id", doubleEncoded(m.ID))
	}
	if m.InsertionTime != nil {
		meta.add("InsertionTime", wireDate(*m.InsertionTime))
	}
	if m.NextVisibleTime != nil {
		meta.add("NextVisibleTime", wireDate(*m.NextVisibleTime))
	}
	if m.PopReceipt != "" {
		meta.add("PopReceipt", doubleEncoded(m.PopReceipt))
	}
	meta.add("sys", sysObject(function, now))
	return envelope(&data, &meta)
}

// scheduleStatus is TimerInfo.ScheduleStatus (§2.5).
type scheduleStatus struct {
	Last, Next, LastUpdated time.Time
}

// timerEnvelope is the request for a timer trigger (§2.5): TimerInfo is a
// real JSON object (JObject.FromObject), and Metadata holds only sys.
func timerEnvelope(function, binding string, status *scheduleStatus, pastDue bool, now time.Time) []byte {
	var st json.RawMessage = json.RawMessage("null")
	if status != nil {
		var s object
		s.add("Last", quote(localTime(status.Last))).
			add("Next", quote(localTime(status.Next))).
			add("LastUpdated", quote(localTime(status.LastUpdated)))
		st = s.raw()
	}
	var sched object
	sched.add("AdjustForDST", json.RawMessage("true"))
	var info object
	info.add("Schedule", sched.raw()).
		add("ScheduleStatus", st).
		add("IsPastDue", json.RawMessage(strconv.FormatBool(pastDue)))
	var data, meta object
	data.add(binding, info.raw())
	meta.add("sys", sysObject(function, now))
	return envelope(&data, &meta)
}

// newGUID returns a random (version 4) GUID in the lower-case form .NET prints.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newTraceparent returns a W3C traceparent for an invocation that has none
// (non-HTTP triggers, or a caller that sent none): version 00, random trace
// and parent ids, sampled.
func newTraceparent() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01"
}

// invokeResult is the handler's response envelope (§4.1). Newtonsoft
// matches the three member names case-insensitively, and so does
// encoding/json; Outputs keys are matched exactly against binding names.
type invokeResult struct {
	Outputs     map[string]json.RawMessage `json:"Outputs"`
	Logs        []string                   `json:"Logs"`
	ReturnValue json.RawMessage            `json:"ReturnValue"`
}

// errInvalidResponse marks a 2xx response the host cannot read (§4.3:
// "Invalid HttpResponseMessage"): the invocation fails.
var errInvalidResponse = errors.New("invalid response envelope")

// parseResult reads a 2xx response body as the host does with ReadAsAsync:
// the Content-Type must select the JSON formatter (application/json or
// text/json, or a +json type), and the body must be a JSON object. An
// empty body would make the real host wait until functionTimeout (§4.1,
// DERIVED); devhost fails the invocation at once and says why.
func parseResult(contentType string, body io.Reader) (*invokeResult, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || !(mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")) {
		return nil, fmt.Errorf("%w: Content-Type %q has no JSON formatter", errInvalidResponse, contentType)
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("%w: empty body (the real host would hang until functionTimeout)", errInvalidResponse)
	}
	var res invokeResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("%w: %v", errInvalidResponse, err)
	}
	return &res, nil
}

// output returns the value for an output binding: Outputs[name], or
// ReturnValue for the binding named $return (§4.1). ok is false when the
// handler sent nothing (or null) for it.
func (r *invokeResult) output(name string) (json.RawMessage, bool) {
	var v json.RawMessage
	if name == "$return" {
		v = r.ReturnValue
	} else {
		v = r.Outputs[name]
	}
	if len(v) == 0 || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return nil, false
	}
	return v, true
}

// netBase64 decodes s as .NET's Convert.FromBase64String does: whitespace
// is ignored, the rest must be standard base64 with padding. "" decodes to
// no bytes, as in .NET.
func netBase64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// bindingValue applies the host's output conversion for every non-http
// binding and $return (§4.2, HttpScriptInvocationResultExtensions
// GetBindingValue): with dataType "binary" the value passes unchanged;
// otherwise a string that is valid base64 becomes the decoded bytes. It
// returns either bytes (isBytes) or the JSON value to bind.
func bindingValue(raw json.RawMessage, dataType string) (value json.RawMessage, bytesValue []byte, isBytes bool) {
	if strings.EqualFold(dataType, "binary") || firstByte(raw) != '"' {
		return raw, nil, false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return raw, nil, false
	}
	if b, ok := netBase64(s); ok {
		return nil, b, true
	}
	return raw, nil, false
}

// queueMessages turns one queue output value into the message bodies the
// host writes (§4.2 queue collector, FunctionBinding.ReadAsEnumerable):
//
//   - a string that is valid base64 (non-binary bindings) is one message
//     holding the decoded bytes: "test" is written as 3 raw bytes (§7.5);
//   - a JSON array, or a string holding a JSON array, fans out to one
//     message per element (§7.6);
//   - an object, or a string holding a JSON object, is one message with
//     the object as indented JSON (JObject.ToString());
//   - any other string is one message with its text; a number its text; a
//     bool "True"/"False" (.NET ToString); null writes nothing.
func queueMessages(raw json.RawMessage, dataType string) ([][]byte, error) {
	v, b, isBytes := bindingValue(raw, dataType)
	if isBytes {
		return [][]byte{b}, nil
	}
	switch firstByte(v) {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, err
		}
		t := strings.TrimSpace(s)
		if strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
			if json.Valid([]byte(t)) {
				return queueMessages(json.RawMessage(t), "binary")
			}
		}
		return [][]byte{[]byte(s)}, nil
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(v, &elems); err != nil {
			return nil, err
		}
		var out [][]byte
		for _, e := range elems {
			m, ok, err := tokenText(e)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, m)
			}
		}
		return out, nil
	default:
		m, ok, err := tokenText(v)
		if err != nil || !ok {
			return nil, err
		}
		return [][]byte{m}, nil
	}
}

// tokenText is JToken.ToString() for one value: strings as their text,
// objects and arrays as indented JSON, bools as True/False, numbers as
// written. ok is false for null.
func tokenText(raw json.RawMessage) ([]byte, bool, error) {
	switch firstByte(raw) {
	case 'n':
		return nil, false, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, false, err
		}
		return []byte(s), true, nil
	case 't':
		return []byte("True"), true, nil
	case 'f':
		return []byte("False"), true, nil
	case '{', '[':
		b, err := indentJSON(raw)
		return b, err == nil, err
	default:
		return bytes.TrimSpace(raw), true, nil
	}
}

// indentJSON re-serializes raw as Newtonsoft's Formatting.Indented does:
// two-space indentation, "key": value, key order kept, strings re-escaped
// without HTML escaping, empty containers as {} and [].
func indentJSON(raw json.RawMessage) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var buf bytes.Buffer
	if err := writeIndented(&buf, dec, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeIndented(buf *bytes.Buffer, dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		closing := byte('}')
		if t == '[' {
			closing = ']'
		}
		buf.WriteByte(byte(t))
		n := 0
		for dec.More() {
			if n > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString("\n" + strings.Repeat("  ", depth+1))
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				buf.Write(quote(k.(string)))
				buf.WriteString(": ")
			}
			if err := writeIndented(buf, dec, depth+1); err != nil {
				return err
			}
			n++
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return err
		}
		if n > 0 {
			buf.WriteString("\n" + strings.Repeat("  ", depth))
		}
		buf.WriteByte(closing)
	case string:
		buf.Write(quote(t))
	case json.Number:
		buf.WriteString(t.String())
	case bool:
		buf.WriteString(strconv.FormatBool(t))
	case nil:
		buf.WriteString("null")
	}
	return nil
}

// firstByte returns the first non-space byte of raw, or 0.
func firstByte(raw []byte) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
	return 0
}
