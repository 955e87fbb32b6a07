package funchost

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Errors reported by request decoding. They are classification sentinels:
// test with errors.Is; the wrapping error names the key that failed.
var (
	// ErrMalformed means the body is not a host envelope: not JSON, not an
	// object, or Data or Metadata missing or not an object.
	ErrMalformed = errors.New("malformed envelope")
	// ErrMissingBinding means a Data or Metadata key the function needs is
	// absent (or null, which the host drops). It usually means function.json
	// and the code disagree on a binding name.
	ErrMissingBinding = errors.New("missing binding")
	// ErrWrongType means a value is present but does not have the shape the
	// accessor requires, or could not be decoded into the caller's type.
	ErrWrongType = errors.New("wrong type")
)

// InvokeRequest is the envelope the host POSTs to /<FunctionName> (§2.1).
// Values are kept raw, exactly as received; decode them with the accessor
// methods, which know each binding's encoding, or with [DecodeValue].
type InvokeRequest struct {
	// Data holds one value per input binding, keyed by the binding name
	// in function.json. Output bindings never appear here.
	Data map[string]json.RawMessage `json:"Data"`
	// Metadata holds the trigger's binding data (minus keys ending in
	// "trigger"), "sys", and "RetryContext" under a retry policy.
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// ParseRequest decodes an envelope. It requires a single JSON object whose
// Data and Metadata members are both present and are objects (possibly
// empty), as the host always sends them; anything else is an error wrapping
// [ErrMalformed]. Binding values are not inspected. Key matching is
// case-insensitive, like the host's own (Newtonsoft) reader.
func ParseRequest(body []byte) (*InvokeRequest, error) {
	var req InvokeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			if te.Field == "" {
				return nil, fmt.Errorf("funchost: %w: envelope is a JSON %s, want object", ErrMalformed, te.Value)
			}
			return nil, fmt.Errorf("funchost: %w: %s is a JSON %s, want object", ErrMalformed, te.Field, te.Value)
		}
		return nil, fmt.Errorf("funchost: %w: %v", ErrMalformed, err)
	}
	if req.Data == nil {
		return nil, fmt.Errorf("funchost: %w: Data is missing or null", ErrMalformed)
	}
	if req.Metadata == nil {
		return nil, fmt.Errorf("funchost: %w: Metadata is missing or null", ErrMalformed)
	}
	return &req, nil
}

// Unwrap returns the JSON that raw stands for under the host's
// double-encoding rule (§2.2 rule 4, §8):
//
//   - a JSON string whose content is valid JSON yields that content
//     ("\"abc\"" → "abc", "1" → 1, "[1,2]" → [1,2]);
//   - any other JSON string is returned re-encoded as a plain JSON string
//     (dates, single-encoded text);
//   - anything else (objects, arrays, numbers, invalid input) is returned
//     unchanged.
//
// Unwrap must not be applied to byte[] bindings (blob content, binary
// queue messages): base64 text made only of digits, or "true", is valid
// JSON and would be misread. Use [InvokeRequest.Bytes] for those.
func Unwrap(raw json.RawMessage) json.RawMessage {
	var s string
	if firstByte(raw) != '"' || json.Unmarshal(raw, &s) != nil {
		return raw
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return raw
	}
	return b
}

// DecodeValue decodes a Data or Metadata value into v, undoing the host's
// double encoding. For v of type *string it uses string semantics: a
// double-encoded string is unquoted once more, and a single-encoded string
// is taken as it is, so numeric-looking text such as "1234" stays a string.
// For any other v it unmarshals [Unwrap](raw). It never applies to byte[]
// bindings; see [Unwrap].
func DecodeValue(raw json.RawMessage, v any) error {
	if sp, ok := v.(*string); ok {
		s, err := decodeString(raw)
		if err != nil {
			return err
		}
		*sp = s
		return nil
	}
	return json.Unmarshal(Unwrap(raw), v)
}

// DecodeData decodes Data[name] into v with [DecodeValue]. Use it for
// input bindings without a dedicated accessor, e.g. a Cosmos DB input that
// arrives as a double-encoded array.
func (r *InvokeRequest) DecodeData(name string, v any) error {
	raw, err := r.data(name)
	if err != nil {
		return err
	}
	if err := DecodeValue(raw, v); err != nil {
		return bindingErr("Data", name, err)
	}
	return nil
}

// DecodeMetadata decodes Metadata[key] into v with [DecodeValue]. Use it
// for trigger metadata without a dedicated accessor: blob path-pattern
// values ("name": "\"hello.txt\""), "Uri", blob "Properties" and user
// "Metadata", HTTP query and route values.
func (r *InvokeRequest) DecodeMetadata(key string, v any) error {
	raw, err := r.meta(key)
	if err != nil {
		return err
	}
	if err := DecodeValue(raw, v); err != nil {
		return bindingErr("Metadata", key, err)
	}
	return nil
}

// Text returns a string-typed input binding, such as a queue trigger
// message or a blob input with dataType "string". The host sends these
// double-encoded ("\"aaaaa\""), and Text removes both layers. A
// single-encoded string is accepted as it is; a non-string value is
// [ErrWrongType].
func (r *InvokeRequest) Text(name string) (string, error) {
	raw, err := r.data(name)
	if err != nil {
		return "", err
	}
	s, err := decodeString(raw)
	if err != nil {
		return "", bindingErr("Data", name, err)
	}
	return s, nil
}

// Bytes returns a byte[]-typed input binding: a blob trigger without
// dataType or with dataType "binary", or a queue trigger with dataType
// "binary". The host sends these as one standard-base64 JSON string, which
// Bytes decodes without unwrapping (§2.2 rule 1, §8 caveat). The whole
// value is in memory, so prefer reading large blobs with the storage SDK.
func (r *InvokeRequest) Bytes(name string) ([]byte, error) {
	raw, err := r.data(name)
	if err != nil {
		return nil, err
	}
	var s string
	if firstByte(raw) != '"' || json.Unmarshal(raw, &s) != nil {
		return nil, bindingErr("Data", name, fmt.Errorf("want base64 JSON string, got %s", kindOf(raw)))
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, bindingErr("Data", name, fmt.Errorf("not base64: %w", err))
	}
	return b, nil
}

// data returns Data[name], or an error wrapping ErrMissingBinding when the
// key is absent or null.
func (r *InvokeRequest) data(name string) (json.RawMessage, error) {
	raw, ok := r.Data[name]
	if !ok || isNull(raw) {
		return nil, fmt.Errorf("funchost: Data.%s: %w", name, ErrMissingBinding)
	}
	return raw, nil
}

// meta is data for Metadata.
func (r *InvokeRequest) meta(key string) (json.RawMessage, error) {
	raw, ok := r.Metadata[key]
	if !ok || isNull(raw) {
		return nil, fmt.Errorf("funchost: Metadata.%s: %w", key, ErrMissingBinding)
	}
	return raw, nil
}

// object returns Data[name] after checking that it is a JSON object.
func (r *InvokeRequest) object(section, name string) (json.RawMessage, error) {
	var (
		raw json.RawMessage
		err error
	)
	if section == "Data" {
		raw, err = r.data(name)
	} else {
		raw, err = r.meta(name)
	}
	if err != nil {
		return nil, err
	}
	if firstByte(raw) != '{' {
		return nil, bindingErr(section, name, fmt.Errorf("want JSON object, got %s", kindOf(raw)))
	}
	return raw, nil
}

// bindingErr wraps cause as ErrWrongType for section.key.
func bindingErr(section, key string, cause error) error {
	return fmt.Errorf("funchost: %s.%s: %w: %w", section, key, ErrWrongType, cause)
}

// decodeString decodes a JSON string value that may be double-encoded.
// A string whose content is itself a JSON string literal is unquoted once
// more; any other string is returned as it is.
func decodeString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' {
		return "", fmt.Errorf("want JSON string, got %s", kindOf(raw))
	}
	var s string
	if plainString(raw) {
		s = string(raw[1 : len(raw)-1])
	} else if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("want JSON string, got %s", kindOf(raw))
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if plainString(s) {
			return s[1 : len(s)-1], nil
		}
		var inner string
		if json.Unmarshal([]byte(s), &inner) == nil {
			return inner, nil
		}
	}
	return s, nil
}

// plainString reports whether q is a JSON string literal with no escape
// sequences, so that its value is q without the quotes. It is the fast
// path of decodeString; anything else takes the json.Unmarshal path.
func plainString[T ~string | ~[]byte](q T) bool {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return false
	}
	for i := 1; i < len(q)-1; i++ {
		if c := q[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
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

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// kindOf names the JSON kind of raw for error messages.
func kindOf(raw json.RawMessage) string {
	switch firstByte(raw) {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case 0:
		return "empty value"
	default:
		return "number"
	}
}

// decodeTime decodes a timestamp as the host writes it: an RFC 3339
// string with or without fractional seconds ("2022-06-20T06:00:06+00:00",
// "2022-07-25T10:26:43.0352723Z"), or a local DateTime without offset
// ("0001-01-01T00:00:00", seen in TimerInfo before the first run), which is
// read as UTC. A double-encoded string is accepted and null is the zero
// time.
func decodeTime(raw []byte) (time.Time, error) {
	if isNull(raw) {
		return time.Time{}, nil
	}
	s, err := decodeString(raw)
	if err != nil {
		return time.Time{}, err
	}
	if v, err := time.Parse(time.RFC3339, s); err == nil {
		return v, nil
	}
	// Fractional seconds are accepted by Parse even though the layout has none.
	v, err := time.Parse("2006-01-02T15:04:05", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad timestamp %q: want RFC 3339", s)
	}
	return v, nil
}

// decodeInt decodes an integer that the host may send as a JSON number
// (inside objects) or as a string holding one (top-level values, §2.2
// rule 4: "DequeueCount": "1").
func decodeInt(raw []byte) (int, error) {
	raw = bytes.TrimSpace(raw)
	if n, ok := smallInt(raw); ok {
		return n, nil
	}
	if len(raw) > 2 && raw[0] == '"' {
		if n, ok := smallInt(raw[1 : len(raw)-1]); ok && raw[len(raw)-1] == '"' {
			return n, nil
		}
	}
	var v int
	if err := json.Unmarshal(Unwrap(raw), &v); err != nil {
		return 0, fmt.Errorf("want integer, got %s", kindOf(raw))
	}
	return v, nil
}

// smallInt parses 1 to 9 ASCII digits without allocating.
func smallInt(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// wireTime is a time.Time field decoded with decodeTime.
type wireTime time.Time

func (t *wireTime) UnmarshalJSON(raw []byte) error {
	v, err := decodeTime(raw)
	*t = wireTime(v)
	return err
}

// wireInt is an int field decoded with decodeInt.
type wireInt int

func (n *wireInt) UnmarshalJSON(raw []byte) error {
	v, err := decodeInt(raw)
	*n = wireInt(v)
	return err
}
