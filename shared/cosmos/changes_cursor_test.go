package cosmos

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// isSinceParamError reports whether err is the 400 naming parameter "since".
func isSinceParamError(err error) bool {
	var pe *apperr.ParamError
	return errors.As(err, &pe) && pe.Param == "since" && errors.Is(err, apperr.InvalidArgument)
}

func TestChangesCursorRoundTrip(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxContinuationBytes)
	for _, cur := range []changesCursor{
		{Since: 0},
		{Since: 1764150000},
		{Since: 0, Until: 1764150000},
		{Since: 1764150000, Until: 1764150030, Continuation: `{"token":"+RID:gAACAIAAAAFeAQAAAAAAAA==#RT:43#TRC:301","range":{"min":"","max":"FF"}}`},
		{Since: 1, Until: 2, Continuation: long},
	} {
		s := encodeChangesCursor(cur)
		if len(s) > maxCursorChars {
			t.Errorf("cursor for %+v is %d characters, over %d", cur, len(s), maxCursorChars)
		}
		if strings.ContainsAny(s, ":+/=") {
			t.Errorf("cursor %q is not URL-safe base64 without padding", s)
		}
		got, err := decodeChangesCursor(s)
		cur.Version = changesCursorVersion
		if err != nil || got != cur {
			t.Errorf("decode(encode(%+v)) = %+v, %v", cur, got, err)
		}
	}
}

func TestChangesCursorAcceptsStartAndTimes(t *testing.T) {
	t.Parallel()
	ref := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Unix()
	for _, tc := range []struct {
		in        string
		wantSince int64
	}{
		{"", 0},
		{"2026-11-26T10:00:00Z", ref - 1},
		{"2026-11-26T10:00:00.999999999Z", ref - 1},
		{"2026-11-26T11:00:00+01:00", ref - 1},
		{"1969-12-31T23:59:59Z", 0}, // before every record: the whole feed
	} {
		got, err := decodeChangesCursor(tc.in)
		want := changesCursor{Version: changesCursorVersion, Since: tc.wantSince}
		if err != nil || got != want {
			t.Errorf("decode(%q) = %+v, %v; want %+v", tc.in, got, err, want)
		}
	}
}

// signed encodes an arbitrary payload with a valid checksum: what a cursor
// with a right checksum but wrong content looks like.
func signed(payload string) string {
	return base64.RawURLEncoding.EncodeToString(append(cursorChecksum([]byte(payload)), payload...))
}

func TestChangesCursorRejectsGarbage(t *testing.T) {
	t.Parallel()
	valid := encodeChangesCursor(changesCursor{Since: 10, Until: 20, Continuation: "abc"})
	for name, in := range map[string]string{
		"word":                    "garbage",
		"not base64":              "!!!!",
		"short":                   "AAAA",
		"padding":                 valid + "==",
		"too long":                strings.Repeat("A", maxCursorChars+1),
		"truncated":               valid[:len(valid)-3],
		"not a time":              "yesterday: please",
		"bad date":                "2026-13-01T00:00:00Z",
		"date only":               "2026-11-26",
		"unchecked JSON":          base64.RawURLEncoding.EncodeToString([]byte(`{"v":1,"s":0,"u":99999999999}`)),
		"wrong checksum":          base64.RawURLEncoding.EncodeToString(append(make([]byte, cursorChecksumLen), `{"v":1,"s":0}`...)),
		"not JSON":                signed("hello"),
		"unknown field":           signed(`{"v":1,"s":0,"x":1}`),
		"trailing value":          signed(`{"v":1,"s":0}{}`),
		"other version":           signed(`{"v":2,"s":0}`),
		"no version":              signed(`{"s":0}`),
		"negative since":          signed(`{"v":1,"s":-5}`),
		"until before since":      signed(`{"v":1,"s":20,"u":10}`),
		"empty window":            signed(`{"v":1,"s":20,"u":20}`),
		"continuation, no window": signed(`{"v":1,"s":0,"c":"abc"}`),
		"huge continuation":       signed(`{"v":1,"s":0,"u":5,"c":"` + strings.Repeat("x", maxContinuationBytes+1) + `"}`),
		"string since":            signed(`{"v":1,"s":"0"}`),
	} {
		if _, err := decodeChangesCursor(in); !isSinceParamError(err) {
			t.Errorf("%s: decode(%.60q) = %v; want a ParamError on since", name, in, err)
		}
	}
}

// TestChangesCursorDetectsEveryOneCharacterEdit: changing any single
// character of a cursor (as a client mangling or editing it would) is
// refused, never read as another position.
func TestChangesCursorDetectsEveryOneCharacterEdit(t *testing.T) {
	t.Parallel()
	valid := encodeChangesCursor(changesCursor{Since: 1764150000, Until: 1764150030, Continuation: `{"token":"+RID:gAACAIAAAAFeAQAAAAAAAA==#RT:4#TRC:28"}`})
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	edits := 0
	for i := range len(valid) {
		for _, r := range []byte{alphabet[(strings.IndexByte(alphabet, valid[i])+1)%64], alphabet[(strings.IndexByte(alphabet, valid[i])+37)%64]} {
			edited := valid[:i] + string(r) + valid[i+1:]
			if _, err := decodeChangesCursor(edited); !isSinceParamError(err) {
				t.Fatalf("cursor edited at %d (%q → %q) accepted: %v", i, valid[i], r, err)
			}
			edits++
		}
	}
	if edits < 200 {
		t.Fatalf("only %d edits tried", edits)
	}
}

func TestSinceRejectsBadArgumentsBeforeQuerying(t *testing.T) {
	t.Parallel()
	feed := NewChanges(nil) // any query would panic: arguments are checked first
	now := time.Now()
	for _, limit := range []int{-1, 0, MaxChangesLimit + 1} {
		_, err := feed.Since(t.Context(), "", limit, now)
		var pe *apperr.ParamError
		if !errors.As(err, &pe) || pe.Param != "limit" || apperr.Status(err) != 400 {
			t.Errorf("limit %d: err = %v; want a 400 ParamError on limit", limit, err)
		}
	}
	_, err := feed.Since(t.Context(), "garbage", 10, now)
	if !isSinceParamError(err) || apperr.Status(err) != 400 {
		t.Errorf("garbage cursor: err = %v; want a 400 ParamError on since", err)
	}
	// The problem a handler writes names the parameter and keeps the
	// operation name (an internal detail) out of the text.
	if p := apperr.ProblemFor(err, "/api/v1/changes"); p.Param != "since" || p.Status != 400 || strings.Contains(p.Detail, "cosmos") {
		t.Errorf("problem for a bad cursor = %+v; want status 400, param since, no internal detail", p)
	}
}

func TestSinceCaughtUpAnswersWithoutQuerying(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	// A cursor at the settled time: nothing can be read yet, so no query
	// runs (the nil container would panic) and the same cursor comes back.
	cursor := encodeChangesCursor(changesCursor{Since: settledUntil(now)})
	page, err := NewChanges(nil).Since(t.Context(), cursor, 10, now)
	if err != nil || page.More || page.Next != cursor || page.Changes == nil || len(page.Changes) != 0 {
		t.Errorf("caught-up page = %+v, %v; want no changes (non-nil), More false, Next the same cursor", page, err)
	}
	// A time in the future is caught up too.
	page, err = NewChanges(nil).Since(t.Context(), now.Add(time.Hour).Format(time.RFC3339), 10, now)
	if err != nil || page.More || len(page.Changes) != 0 {
		t.Errorf("future since = %+v, %v; want an empty page", page, err)
	}
}

func TestSettledUntilLeavesTheLag(t *testing.T) {
	t.Parallel()
	for _, now := range []time.Time{
		time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 26, 10, 0, 0, 999_999_999, time.UTC),
	} {
		until := settledUntil(now)
		// Records with _ts == until were written before until+1 s, which must
		// be at least SettleLag before now.
		if end := time.Unix(until+1, 0); now.Sub(end) < SettleLag || now.Sub(end) >= SettleLag+time.Second {
			t.Errorf("settledUntil(%v) = %v: the second ends %v before now; want [%v, %v)", now, until, now.Sub(end), SettleLag, SettleLag+time.Second)
		}
	}
}

// FuzzDecodeChangesCursor: whatever a client sends as since, decoding
// either refuses it with the since ParamError or yields a cursor within the
// invariants that survives a re-encode unchanged. It never panics.
func FuzzDecodeChangesCursor(f *testing.F) {
	for _, s := range []string{
		"",
		"2026-11-26T10:00:00Z",
		"garbage",
		encodeChangesCursor(changesCursor{Since: 5}),
		encodeChangesCursor(changesCursor{Since: 5, Until: 9, Continuation: `{"token":"+RID:x#RT:1"}`}),
		signed(`{"v":1,"s":20,"u":10}`),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cur, err := decodeChangesCursor(s)
		if err != nil {
			if !isSinceParamError(err) {
				t.Fatalf("decode(%q): error %v is not the since ParamError", s, err)
			}
			return
		}
		if cur.Version != changesCursorVersion || cur.Since < 0 || (cur.Until != 0 && cur.Until <= cur.Since) ||
			(cur.Until == 0 && cur.Continuation != "") || len(cur.Continuation) > maxContinuationBytes {
			t.Fatalf("decode(%q) = %+v breaks the cursor invariants", s, cur)
		}
		again, err := decodeChangesCursor(encodeChangesCursor(cur))
		if err != nil || again != cur {
			t.Fatalf("re-encoding %+v gave %+v, %v", cur, again, err)
		}
	})
}
