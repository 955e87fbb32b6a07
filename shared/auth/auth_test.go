package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// issuer is a local OIDC issuer: discovery and a JWKS with one RSA and one
// ECDSA key, counting JWKS requests.
type issuer struct {
	srv       *httptest.Server
	rsa       *rsa.PrivateKey
	ec        *ecdsa.PrivateKey
	jwksCalls atomic.Int64
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{rsa: rk, ec: ek}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks",
			"authorization_endpoint": is.srv.URL + "/auth", "token_endpoint": is.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256", "HS256", "none"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		is.jwksCalls.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &rk.PublicKey, KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
			{Key: &ek.PublicKey, KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
		}})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) verifier(t *testing.T, mod func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Issuer: is.srv.URL, Audience: "mediaspecs-api", JWKSMinRefresh: time.Hour}
	if mod != nil {
		mod(&cfg)
	}
	v, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// claims returns valid access-token claims for the issuer.
func (is *issuer) claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": is.srv.URL, "aud": []string{"mediaspecs-api", "account"}, "sub": "user-1",
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(), "typ": "Bearer", "azp": "mediaspecs-test",
		"scope": "openid profile", "realm_access": map[string]any{"roles": []string{"subscriber", "offline_access"}},
	}
}

// sign signs claims with the issuer's RSA key (or the given one) under kid.
func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// raw builds header.payload.signature by hand (for alg none and HS256).
func raw(header, claims map[string]any, sig func(signingInput string) []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return in + "." + base64.RawURLEncoding.EncodeToString(sig(in))
}

func with(c map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func TestVerifyAcceptsAccessTokens(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	v := is.verifier(t, nil)
	for _, tc := range []struct {
		name  string
		token string
		want  Principal
	}{
		{"RS256 person", sign(t, jose.RS256, is.rsa, "rsa-1", is.claims()),
			Principal{Subject: "user-1", Roles: []string{"subscriber", "offline_access"}, Scopes: []string{"openid", "profile"}, ClientID: "mediaspecs-test", Kind: KindPerson}},
		{"ES256 client", sign(t, jose.ES256, is.ec, "ec-1", with(is.claims(), "azp", "agency-demo", "client_id", "agency-demo", "scope", "catalogue:read changes:read", "realm_access", map[string]any{"roles": []string{"b2b"}})),
			Principal{Subject: "user-1", Roles: []string{"b2b"}, Scopes: []string{"catalogue:read", "changes:read"}, ClientID: "agency-demo", Kind: KindClient}},
	} {
		p, err := v.Verify(t.Context(), tc.token)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, _ := json.Marshal(p)
		want, _ := json.Marshal(tc.want)
		if string(got) != string(want) {
			t.Errorf("%s: principal %s, want %s", tc.name, got, want)
		}
	}
}

// TestVerifyRejects is the rejection suite with a trusted local key, so each
// case fails on its own check, not merely on an unknown signature.
func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	v := is.verifier(t, nil)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	pubDER, _ := x509.MarshalPKIXPublicKey(&is.rsa.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs256 := func(key []byte) func(string) []byte {
		return func(in string) []byte {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(in))
			return m.Sum(nil)
		}
	}
	valid := sign(t, jose.RS256, is.rsa, "rsa-1", is.claims())
	parts := strings.Split(valid, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"subscriber"`, `"admin"`, 1))) + "." + parts[2]

	cases := map[string]string{
		"empty":                     "",
		"malformed":                 "not.a.jwt",
		"garbage":                   "eyJhbGciOiJSUzI1NiJ9.%%%.xyz",
		"expired":                   sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "exp", now.Add(-time.Second).Unix(), "iat", now.Add(-5*time.Minute).Unix())),
		"no expiry":                 sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "exp", nil)),
		"not yet valid":             sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "nbf", now.Add(3*time.Minute).Unix())),
		"wrong issuer":              sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "iss", "http://localhost:8080/realms/mediaspecs")),
		"wrong audience":            sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "aud", []string{"account"})),
		"no audience":               sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "aud", nil)),
		"alg none":                  raw(map[string]any{"alg": "none", "typ": "JWT", "kid": "rsa-1"}, is.claims(), func(string) []byte { return nil }),
		"HS256 with the public key": raw(map[string]any{"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, is.claims(), hs256(pubPEM)),
		"HS256 with the modulus":    raw(map[string]any{"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, is.claims(), hs256(is.rsa.N.Bytes())),
		"RS512":                     sign(t, jose.RS512, is.rsa, "rsa-1", is.claims()),
		"tampered payload":          tampered,
		"signed by another key":     sign(t, jose.RS256, otherKey, "rsa-1", is.claims()),
		"unknown key id":            sign(t, jose.RS256, otherKey, "forged-kid", is.claims()),
		"ID token":                  sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "typ", "ID")),
		"refresh token":             sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "typ", "Refresh")),
		"no typ":                    sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "typ", nil)),
		"no subject":                sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "sub", nil)),
		"too long":                  sign(t, jose.RS256, is.rsa, "rsa-1", with(is.claims(), "pad", strings.Repeat("x", maxTokenBytes))),
	}
	for name, tok := range cases {
		p, err := v.Verify(t.Context(), tok)
		t.Logf("%s: %v", name, err)
		if err == nil || !errors.Is(err, apperr.Unauthenticated) {
			t.Errorf("%s: principal %+v, error %v; want an Unauthenticated error", name, p, err)
		}
	}
	// The valid token itself still verifies: the rejections are the checks'.
	if _, err := v.Verify(t.Context(), valid); err != nil {
		t.Fatalf("valid token: %v", err)
	}
}

func TestUnknownKeyIDRefreshesAtMostOncePerInterval(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	clock := struct {
		sync.Mutex
		t time.Time
	}{t: time.Now()}
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.t }
	v := is.verifier(t, func(c *Config) { c.JWKSMinRefresh = 30 * time.Second; c.Now = now })
	valid := sign(t, jose.RS256, is.rsa, "rsa-1", is.claims())
	if _, err := v.Verify(t.Context(), valid); err != nil {
		t.Fatal(err)
	}
	base := is.jwksCalls.Load()
	if base != 1 {
		t.Errorf("JWKS fetched %d times for the first token, want once (warm-up)", base)
	}
	forger, _ := rsa.GenerateKey(rand.Reader, 2048)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := sign(t, jose.RS256, forger, "kid-"+string(rune('a'+i%26))+time.Now().String(), is.claims())
			if _, err := v.Verify(context.Background(), tok); err == nil {
				t.Error("a forged token verified")
			}
		}()
	}
	wg.Wait()
	if got := is.jwksCalls.Load() - base; got != 1 {
		t.Errorf("200 forged tokens with unknown kids caused %d JWKS fetches, want 1", got)
	}
	// A known kid with a bad signature never refreshes.
	if _, err := v.Verify(t.Context(), sign(t, jose.RS256, forger, "rsa-1", is.claims())); err == nil {
		t.Error("forged token with a known kid verified")
	}
	// After the interval, one more refresh is allowed.
	clock.Lock()
	clock.t = clock.t.Add(31 * time.Second)
	clock.Unlock()
	_, _ = v.Verify(t.Context(), sign(t, jose.RS256, forger, "later", is.claims()))
	_, _ = v.Verify(t.Context(), sign(t, jose.RS256, forger, "later-2", is.claims()))
	if got := is.jwksCalls.Load() - base; got != 2 {
		t.Errorf("JWKS fetches after the interval = %d, want 2", got)
	}
	if v.JWKSFetches() != is.jwksCalls.Load() {
		t.Errorf("JWKSFetches() = %d, issuer saw %d", v.JWKSFetches(), is.jwksCalls.Load())
	}
	// Valid tokens keep verifying from the cache.
	if _, err := v.Verify(t.Context(), valid); err != nil {
		t.Fatal(err)
	}
}

func TestAuthenticateHeader(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	v := is.verifier(t, nil)
	tok := sign(t, jose.RS256, is.rsa, "rsa-1", is.claims())
	for _, tc := range []struct {
		header string
		anon   bool
		ok     bool
	}{
		{"", true, false},
		{"Bearer " + tok, false, true},
		{"bearer " + tok, false, true},
		{"Basic dXNlcjpwYXNz", false, false},
		{"Bearer", false, false},
		{"Bearer ", false, false},
		{tok, false, false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/api/search", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		p, err := v.Authenticate(r)
		switch {
		case tc.anon && (p != nil || err != nil):
			t.Errorf("%.20q: %+v %v, want anonymous", tc.header, p, err)
		case tc.ok && (p == nil || err != nil):
			t.Errorf("%.20q: %v, want a principal", tc.header, err)
		case !tc.anon && !tc.ok && !errors.Is(err, apperr.Unauthenticated):
			t.Errorf("%.20q: %+v %v, want Unauthenticated", tc.header, p, err)
		}
	}
}

func TestDiscoveryFailureIsUnavailableAndRetried(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	var up atomic.Bool
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		is.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	clock := time.Now()
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	// The proxy's discovery names the real issuer's URL, so pin to that and
	// fetch through the proxy with a rewriting transport.
	client := &http.Client{Transport: rewrite{to: proxy.URL}}
	v := is.verifier(t, func(c *Config) { c.HTTPClient = client; c.Now = now; c.RetryInterval = 10 * time.Second })
	tok := sign(t, jose.RS256, is.rsa, "rsa-1", is.claims())
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, apperr.Unavailable) {
		t.Fatalf("with the issuer down: %v, want Unavailable", err)
	}
	up.Store(true)
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, apperr.Unavailable) {
		t.Fatalf("within the retry interval: %v, want the remembered Unavailable", err)
	}
	mu.Lock()
	clock = clock.Add(11 * time.Second)
	mu.Unlock()
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("after the retry interval: %v", err)
	}
}

type rewrite struct{ to string }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Host = strings.TrimPrefix(rw.to, "http://")
	return http.DefaultTransport.RoundTrip(r)
}

func TestNewRequiresIssuerAndAudience(t *testing.T) {
	if _, err := New(t.Context(), Config{Audience: "mediaspecs-api"}); err == nil {
		t.Error("no issuer accepted")
	}
	if _, err := New(t.Context(), Config{Issuer: "http://127.0.0.1:1/realms/x"}); err == nil {
		t.Error("no audience accepted")
	}
}
