package telemetry

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/trace"
)

// NewLogger is the handler's one logger: JSON lines on w (stdout, which the
// Functions host collects), every value passed through [RedactAttr], and
// trace_id/span_id added to every record made with a context that carries a
// span ([TraceHandler]).
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(TraceHandler{Handler: slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       level,
		ReplaceAttr: RedactAttr,
	})})
}

// TraceHandler adds trace_id and span_id to records logged with a context
// that carries a valid span context.
type TraceHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h TraceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h TraceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return TraceHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h TraceHandler) WithGroup(name string) slog.Handler {
	return TraceHandler{h.Handler.WithGroup(name)}
}

// Redacted replaces what must never reach a log line.
const Redacted = "[REDACTED]"

// sensitiveKey matches attribute keys whose values are secret or personal
// whatever they look like.
var sensitiveKey = regexp.MustCompile(`(?i)(authorization|password|passwd|secret|token|api[_-]?key|accountkey|access[_-]?key|connection[_-]?string|connstr|cookie|credential|e-?mail|phone|mobile|fax|sas)|(^|[_.-])key$`)

// Patterns of secrets and personal data inside any text, with their
// replacements. Order matters: whole tokens before the key=value forms.
var redactions = []struct {
	re   *regexp.Regexp
	repl string
}{
	// JWTs (access and ID tokens), wherever they appear.
	{regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`), Redacted},
	// key=value and "key":"value" secrets: connection strings, SAS query
	// parameters, OAuth form and JSON fields.
	{regexp.MustCompile(`(?i)\b(AccountKey|SharedAccessKey|SharedAccessSignature|SharedAccessKeyName|Password|Pwd|client_secret|clientsecret|secret|access_token|refresh_token|id_token|token|api_?key|sig|code_verifier|authorization)("?\s*[=:]\s*"?)([^";&\s,}]+)`), "${1}${2}" + Redacted},
	// E-mail addresses, also URL-encoded.
	{regexp.MustCompile(`[A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`), Redacted},
	// International phone numbers: +32 2 123 45 67, 0032 (0)2-123.45.67.
	{regexp.MustCompile(`(^|[^0-9])(\+|00)[1-9]\d{0,2}[\s.()/-]*(\d[\s.()/-]*){6,12}\d`), "${1}" + Redacted},
	// National numbers of BE, LU and FR: 02 123 45 67, 0475/12.34.56, 01 23 45 67 89.
	{regexp.MustCompile(`(^|[^0-9])0\d{1,3}[\s./-]?\d{2,3}([\s./-]?\d{2}){2,3}`), "${1}" + Redacted},
}

// RedactString removes secrets and personal data from s.
func RedactString(s string) string {
	if plain(s) {
		return s
	}
	for _, r := range redactions {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	s = authScheme.ReplaceAllStringFunc(s, func(m string) string {
		sub := authScheme.FindStringSubmatch(m)
		cred := sub[3]
		if len(cred) >= 20 || strings.IndexFunc(cred, func(c rune) bool { return (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') }) >= 0 {
			return sub[1] + sub[2] + Redacted
		}
		return m // prose: "needs a bearer token", "basic information"
	})
	return keyLike.ReplaceAllStringFunc(s, func(m string) string {
		var upper, lower, digit bool
		for _, c := range m {
			switch {
			case c >= 'A' && c <= 'Z':
				upper = true
			case c >= 'a' && c <= 'z':
				lower = true
			case c >= '0' && c <= '9':
				digit = true
			}
		}
		if upper && lower && digit {
			return Redacted
		}
		return m
	})
}

// plain reports whether s cannot hold anything RedactString cuts: every
// pattern needs a digit, '@', '=', ':' or '%', an authorization scheme
// name, or 40 characters. Most log values (methods, paths, messages) take
// this fast path.
func plain(s string) bool {
	if len(s) >= 40 || strings.ContainsAny(s, "0123456789@=:%") {
		return false
	}
	l := strings.ToLower(s)
	return !strings.Contains(l, "bearer") && !strings.Contains(l, "basic") && !strings.Contains(l, "sharedkey")
}

// authScheme matches an Authorization header scheme and its credentials;
// the credentials are cut when they look like one (any digit or symbol, or
// 20 characters and more), so prose about tokens survives.
var authScheme = regexp.MustCompile(`(?i)\b(bearer|basic|sharedkey|sharedkeylite)(\s+)([A-Za-z0-9._~+/:=-]+)`)

// keyLike matches long base64 runs: account and Cosmos keys (88 characters),
// SAS signatures. Only mixed-case ones with digits are cut, so hex hashes and
// ids survive. A short random secret with no key name or key= before it
// cannot be told from an id; those are caught by their keys.
var keyLike = regexp.MustCompile(`[A-Za-z0-9+/]{40,}={0,2}`)

// idFormats are keys whose values are machine identifiers, kept as they are
// when (and only when) they have exactly their format: the phone patterns
// could otherwise cut digits out of them.
var idFormats = map[string]*regexp.Regexp{
	"invocation_id": regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`),
	"trace_id":      regexp.MustCompile(`^[0-9a-f]{32}$`),
	"span_id":       regexp.MustCompile(`^[0-9a-f]{16}$`),
	"traceparent":   regexp.MustCompile(`^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`),
}

// builtin keys are never treated as sensitive by name.
var builtin = map[string]bool{slog.TimeKey: true, slog.LevelKey: true, slog.MessageKey: true, slog.SourceKey: true}

// RedactAttr is a slog ReplaceAttr function: values under sensitive keys are
// replaced whole, and secrets or personal data inside any other string,
// error or structured value (including the message) are cut out.
func RedactAttr(groups []string, a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	if re, ok := idFormats[a.Key]; ok && a.Value.Kind() == slog.KindString && re.MatchString(a.Value.String()) {
		return a
	}
	if !builtin[a.Key] || len(groups) > 0 {
		if isSensitiveKey(a.Key) {
			return slog.String(a.Key, Redacted)
		}
	}
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(RedactString(a.Value.String()))
	case slog.KindAny:
		a.Value = redactAny(a.Value.Any())
	}
	return a
}

func redactAny(v any) slog.Value {
	switch v := v.(type) {
	case nil:
		return slog.AnyValue(nil)
	case error:
		return slog.StringValue(RedactString(v.Error()))
	case []byte:
		return slog.StringValue(RedactString(string(v)))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return slog.StringValue(RedactString(fmtValue(v)))
	}
	text := string(b)
	if red := RedactString(text); red != text {
		// The structure is lost only when something had to be cut.
		return slog.StringValue(red)
	}
	if s, ok := v.(interface{ String() string }); ok {
		if red := RedactString(s.String()); red != s.String() {
			return slog.StringValue(red)
		}
	}
	return slog.AnyValue(v)
}

func fmtValue(v any) string {
	var sb strings.Builder
	_, _ = io.WriteString(&sb, slog.AnyValue(v).String())
	return sb.String()
}

// sensitiveKeys caches sensitiveKey per attribute key (a small, fixed set in
// practice).
var sensitiveKeys sync.Map

func isSensitiveKey(k string) bool {
	if v, ok := sensitiveKeys.Load(k); ok {
		return v.(bool)
	}
	m := sensitiveKey.MatchString(k)
	if len(k) <= 64 {
		sensitiveKeys.Store(k, m)
	}
	return m
}
