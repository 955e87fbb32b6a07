package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// Secrets and personal data as they turn up in real inputs. Each must never
// appear in a log line, whatever wraps it.
var secrets = []string{
	// An access token (JWT) as Keycloak issues them.
	"eyJhbGciOiJSUzI1NiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICJhYmMifQ.eyJleHAiOjE3MDAwMDAwMDAsInN1YiI6IjEyMyJ9.c2lnbmF0dXJlLXBhcnQtbG9uZw",
	// A storage account key (base64, ends with ==).
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
	// Cosmos primary key.
	"C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
	// A client secret as Keycloak generates them.
	"Xq3vT9pLw2ZkR8mN4bYc7HdJ1sFgA6eU",
	"jean.dupont@agence-exemple.be",
	"marie+media@exemple.fr",
	"+32 2 123 45 67",
	"0475/12.34.56",
	"01 23 45 67 89",
	"+352 621 123 456",
}

// line logs one record through the production logger and returns the line.
func line(t *testing.T, do func(*slog.Logger)) string {
	t.Helper()
	var buf bytes.Buffer
	do(NewLogger(&buf, slog.LevelDebug))
	return buf.String()
}

func TestLogsNeverCarrySecrets(t *testing.T) {
	jwt, accountKey, cosmosKey, clientSecret := secrets[0], secrets[1], secrets[2], secrets[3]
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+jwt)
	hdr.Set("Content-Type", "application/json")
	connStr := "DefaultEndpointsProtocol=https;AccountName=mediaspecs;AccountKey=" + accountKey + ";EndpointSuffix=core.windows.net"
	type contact struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Phone string `json:"phone"`
	}
	cases := []struct {
		name   string
		log    func(*slog.Logger)
		secret []string
		keep   []string // must survive: redaction must not eat the useful part
	}{
		{"authorization header attr", func(l *slog.Logger) { l.Info("request", slog.String("authorization", "Bearer "+jwt)) }, []string{jwt}, []string{"request"}},
		{"header map", func(l *slog.Logger) { l.Info("request", slog.Any("headers", hdr)) }, []string{jwt}, []string{"application/json"}},
		{"JWT in message", func(l *slog.Logger) { l.Info("token rejected: " + jwt + " (expired)") }, []string{jwt}, []string{"token rejected", "(expired)"}},
		{"bare JWT under innocent key", func(l *slog.Logger) { l.Warn("x", slog.String("value", jwt)) }, []string{jwt}, nil},
		{"AccountKey inside error", func(l *slog.Logger) {
			l.Error("storage failed", slog.Any("err", fmt.Errorf("blob.NewClients: parse %q: %w", connStr, errors.New("bad"))))
		}, []string{accountKey}, []string{"AccountName=mediaspecs", "EndpointSuffix=core.windows.net", "blob.NewClients"}},
		{"AccountKey in message", func(l *slog.Logger) { l.Error("connect " + connStr) }, []string{accountKey}, []string{"AccountName=mediaspecs"}},
		{"connection string attr", func(l *slog.Logger) { l.Info("cfg", slog.String("AZURE_STORAGE_CONNECTION_STRING", connStr)) }, []string{accountKey, "mediaspecs"}, nil},
		{"cosmos key attr", func(l *slog.Logger) { l.Info("cfg", slog.String("cosmos_key", cosmosKey)) }, []string{cosmosKey}, nil},
		{"client secret in form body", func(l *slog.Logger) {
			l.Debug("token request", slog.String("body", "grant_type=client_credentials&client_id=mediaspecs-api&client_secret="+clientSecret))
		}, []string{clientSecret}, []string{"client_id=mediaspecs-api"}},
		{"client secret in JSON", func(l *slog.Logger) {
			l.Debug("oidc", slog.Any("raw", json.RawMessage(`{"client_secret": "`+clientSecret+`","x":1}`)))
		}, []string{clientSecret}, nil},
		{"client secret key", func(l *slog.Logger) { l.Info("oidc", slog.String("OIDC_CLIENT_SECRET", clientSecret)) }, []string{clientSecret}, nil},
		{"SAS URL", func(l *slog.Logger) {
			l.Info("moved", slog.String("url", "https://x.blob.core.windows.net/drop/a.csv?sv=2024-01-01&sig="+strings.ReplaceAll(accountKey, "/", "%2F")))
		}, []string{strings.ReplaceAll(accountKey, "/", "%2F")[:20]}, []string{"a.csv"}},
		{"e-mail in message", func(l *slog.Logger) { l.Warn("row 12: contact jean.dupont@agence-exemple.be has no name") }, []string{"jean.dupont@agence-exemple.be", "jean.dupont"}, []string{"row 12", "has no name"}},
		{"url-encoded e-mail", func(l *slog.Logger) { l.Info("q", slog.String("query", "q=marie%2Bmedia%40exemple.fr")) }, []string{"exemple.fr"}, nil},
		{"contact struct", func(l *slog.Logger) {
			l.Info("merged", slog.Any("contact", contact{"Jean", "jean.dupont@agence-exemple.be", "+32 2 123 45 67"}))
		}, []string{"jean.dupont@agence-exemple.be", "123 45 67"}, nil},
		{"contact group", func(l *slog.Logger) {
			l.Info("merged", slog.Group("contact", slog.String("email", "marie+media@exemple.fr"), slog.String("phone", "0475/12.34.56")))
		}, []string{"marie+media@exemple.fr", "0475/12.34.56"}, nil},
		{"phones in error", func(l *slog.Logger) {
			l.Error("row rejected", slog.Any("err", errors.New(`invalid contact "+352 621 123 456" and "01 23 45 67 89"`)))
		}, []string{"621 123 456", "23 45 67 89"}, []string{"invalid contact"}},
		{"With attrs", func(l *slog.Logger) { l.With(slog.String("user", "jean.dupont@agence-exemple.be")).Info("x") }, []string{"jean.dupont@agence-exemple.be"}, nil},
		{"WithGroup", func(l *slog.Logger) { l.WithGroup("req").Info("x", slog.String("token", jwt)) }, []string{jwt}, nil},
		{"LogValuer", func(l *slog.Logger) { l.Info("x", slog.Any("v", valuer{"Bearer " + jwt})) }, []string{jwt}, nil},
		{"bytes", func(l *slog.Logger) { l.Info("x", slog.Any("body", []byte("password=hunter22&user=x"))) }, []string{"hunter22"}, []string{"user=x"}},
		{"prose about tokens survives", func(l *slog.Logger) {
			l.Info("request failed", slog.String("error", "unauthenticated: this route needs a bearer token; basic information only"))
		}, nil, []string{"needs a bearer token", "basic information only"}},
		{"opaque bearer token", func(l *slog.Logger) { l.Info("x", slog.String("h", "Bearer 8f3kd93jf0s9dk3l")) }, []string{"8f3kd93jf0s9dk3l"}, nil},
		{"basic auth", func(l *slog.Logger) { l.Info("x", slog.String("h", "Basic bWVkaWFzcGVjczpodW50ZXIy")) }, []string{"bWVkaWFzcGVjczpodW50ZXIy"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := line(t, tc.log)
			if !json.Valid([]byte(out)) {
				t.Fatalf("not one JSON line: %s", out)
			}
			for _, s := range tc.secret {
				if strings.Contains(out, s) {
					t.Errorf("log line carries %q:\n%s", s, out)
				}
			}
			for _, s := range tc.keep {
				if !strings.Contains(out, s) {
					t.Errorf("log line lost %q:\n%s", s, out)
				}
			}
		})
	}
}

type valuer struct{ s string }

func (v valuer) LogValue() slog.Value { return slog.StringValue(v.s) }

// TestLogsNeverCarrySecretsWhateverTheWrapping puts every secret in random
// positions of random messages, attribute values and errors.
func TestLogsNeverCarrySecretsWhateverTheWrapping(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fillers := []string{"", " ", "x", "row 7: ", "failed: ", "(", "\"", "'", ";", ",", "\n", "\t", "=", ": ", "<", ">", "[", "]"}
	pick := func() string { return fillers[r.IntN(len(fillers))] }
	// Recognisable by their form alone (the client secret, secrets[3], is
	// only recognisable by its key: see the table above).
	bare := append(secrets[:3:3], secrets[4:]...)
	for i := range 3000 {
		s := bare[r.IntN(len(bare))]
		wrapped := pick() + s + pick()
		out := line(t, func(l *slog.Logger) {
			switch i % 5 {
			case 0:
				l.Info(wrapped)
			case 1:
				l.Info("m", slog.String("detail", wrapped))
			case 2:
				l.Error("m", slog.Any("err", fmt.Errorf("op: %w", errors.New(wrapped))))
			case 3:
				l.Info("m", slog.Any("list", []string{"a", wrapped}))
			case 4:
				l.With(slog.String("ctx", wrapped)).Info("m")
			}
		})
		// JSON escapes some characters; compare decoded too.
		if strings.Contains(out, s) || strings.Contains(unescape(out), s) {
			t.Fatalf("case %d: %q reached the log:\n%s", i, wrapped, out)
		}
	}
}

func unescape(line string) string {
	var m map[string]any
	if json.Unmarshal([]byte(line), &m) != nil {
		return line
	}
	return fmt.Sprint(m)
}

func TestMachineIDsSurvive(t *testing.T) {
	out := line(t, func(l *slog.Logger) {
		l.Info("ok", slog.String("invocation_id", "01234567-0123-4567-8901-234567890123"),
			slog.String("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
			slog.Int("status", 200), slog.String("path", "/api/search"))
	})
	for _, s := range []string{"01234567-0123-4567-8901-234567890123", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "/api/search", "200"} {
		if !strings.Contains(out, s) {
			t.Errorf("lost %q: %s", s, out)
		}
	}
	// A traceparent is caller input: not its format, not kept.
	out = line(t, func(l *slog.Logger) { l.Info("x", slog.String("traceparent", "jean.dupont@agence-exemple.be")) })
	if strings.Contains(out, "jean.dupont") {
		t.Errorf("fake traceparent kept: %s", out)
	}
}

func TestTraceHandlerAddsIDs(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	out := line(t, func(l *slog.Logger) { l.With(slog.String("function", "Search")).InfoContext(ctx, "request") })
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if m["trace_id"] != tid.String() || m["span_id"] != sid.String() || m["function"] != "Search" {
		t.Errorf("line = %s", out)
	}
	out = line(t, func(l *slog.Logger) { l.InfoContext(context.Background(), "no span") })
	if strings.Contains(out, "trace_id") {
		t.Errorf("trace_id without a span: %s", out)
	}
}

// BenchmarkRequestLine is the cost of the per-request access log line with
// redaction, as serveAPI writes it.
func BenchmarkRequestLine(b *testing.B) {
	l := NewLogger(io.Discard, slog.LevelInfo).With(slog.String("function", "Search"),
		slog.String("invocation_id", "01234567-0123-4567-8901-234567890123"))
	ctx := context.Background()
	for b.Loop() {
		l.InfoContext(ctx, "request", slog.String("method", "GET"), slog.String("path", "/api/search"),
			slog.Int("status", 200), slog.Duration("duration", 1234567))
	}
}
