package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// Config configures a Verifier.
type Config struct {
	// Issuer is the realm URL exactly as Keycloak writes it into tokens,
	// e.g. http://127.0.0.1:8080/realms/mediaspecs.
	Issuer string
	// Audience must be contained in the token's aud (Keycloak's audience
	// mapper adds it). Required: the audience check is never skipped.
	Audience string
	// HTTPClient fetches discovery and keys; nil uses a client with a 10 s timeout.
	HTTPClient *http.Client
	// DiscoveryTimeout bounds one discovery attempt (default 5 s).
	DiscoveryTimeout time.Duration
	// RetryInterval is how long a failed discovery is remembered before the
	// next request tries again (default 5 s).
	RetryInterval time.Duration
	// JWKSMinRefresh is the least time between two key-set fetches caused by
	// unknown key ids (default 30 s).
	JWKSMinRefresh time.Duration
	// NotBeforeLeeway is the clock skew allowed on nbf (default 60 s);
	// go-oidc alone allows 5 minutes.
	NotBeforeLeeway time.Duration
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// SigningAlgs are the only algorithms a token may be signed with.
var SigningAlgs = []string{oidc.RS256, oidc.ES256}

// maxTokenBytes bounds what is parsed at all (Keycloak tokens are ~1.5 KB).
const maxTokenBytes = 8 << 10

// Verifier verifies access tokens and implements Authenticator.
//
// It is built once per process. OIDC discovery is a network call, so New does
// not wait for it: it starts discovery in the background with the process
// context and returns at once, keeping the handler's start fast (the host
// gives a custom handler a bounded time to listen). Requests that arrive
// before discovery finished wait for it (bounded by DiscoveryTimeout); if it
// failed, they answer 503 and a later request retries, at most once per
// RetryInterval, so a Keycloak outage at start-up heals without a restart.
type Verifier struct {
	cfg Config
	ctx context.Context // the process context: discovery outlives requests

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	keys     *keySet
	lastErr  error
	lastTry  time.Time
}

// New validates cfg and returns a Verifier whose discovery has started in
// the background under ctx (the process context).
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("auth: the issuer is required")
	}
	if cfg.Audience == "" {
		return nil, errors.New("auth: the audience is required (the audience check is never skipped)")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.DiscoveryTimeout <= 0 {
		cfg.DiscoveryTimeout = 5 * time.Second
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 5 * time.Second
	}
	if cfg.JWKSMinRefresh <= 0 {
		cfg.JWKSMinRefresh = 30 * time.Second
	}
	if cfg.NotBeforeLeeway <= 0 {
		cfg.NotBeforeLeeway = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &Verifier{cfg: cfg, ctx: ctx}
	go func() { _, _ = v.ready() }()
	return v, nil
}

// ready returns the token verifier, running discovery if it has not
// succeeded yet and the last attempt is older than RetryInterval.
func (v *Verifier) ready() (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verifier != nil {
		return v.verifier, nil
	}
	if v.lastErr != nil && v.cfg.Now().Sub(v.lastTry) < v.cfg.RetryInterval {
		return nil, v.lastErr
	}
	v.lastTry = v.cfg.Now()
	v.lastErr = v.discover()
	return v.verifier, v.lastErr
}

func (v *Verifier) discover() error {
	ctx, cancel := context.WithTimeout(v.ctx, v.cfg.DiscoveryTimeout)
	defer cancel()
	ctx = oidc.ClientContext(ctx, v.cfg.HTTPClient)
	// NewProvider also checks that the discovered issuer is the configured one.
	provider, err := oidc.NewProvider(ctx, v.cfg.Issuer)
	if err != nil {
		return fmt.Errorf("%w: identity provider discovery failed: %v", apperr.Unavailable, err)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&meta); err != nil || meta.JWKSURI == "" {
		return fmt.Errorf("%w: identity provider metadata has no jwks_uri", apperr.Unavailable)
	}
	algs := make([]jose.SignatureAlgorithm, len(SigningAlgs))
	for i, a := range SigningAlgs {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	v.keys = &keySet{url: meta.JWKSURI, client: v.cfg.HTTPClient, minRefresh: v.cfg.JWKSMinRefresh, now: v.cfg.Now, algs: algs}
	v.verifier = oidc.NewVerifier(v.cfg.Issuer, v.keys, &oidc.Config{
		ClientID:             v.cfg.Audience,
		SupportedSigningAlgs: SigningAlgs,
		Now:                  v.cfg.Now,
	})
	// Warm the key cache so the first request does not pay for it. This
	// fetch does not count against the refresh limit: if it fails, the first
	// token fetches again.
	if keys, err := v.keys.fetch(ctx); err == nil {
		v.keys.fetches.Add(1)
		v.keys.mu.Lock()
		v.keys.keys = keys
		v.keys.mu.Unlock()
	}
	return nil
}

// JWKSFetches counts the key-set fetches so far (monitoring and tests).
func (v *Verifier) JWKSFetches() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys == nil {
		return 0
	}
	return v.keys.fetches.Load()
}

// accessClaims are the Keycloak claims the verifier reads beyond go-oidc's.
type accessClaims struct {
	Typ         string `json:"typ"`
	NotBefore   *int64 `json:"nbf"`
	AZP         string `json:"azp"`
	ClientID    string `json:"client_id"` // set on service-account tokens only
	Scope       string `json:"scope"`
	RealmAccess struct {
		Roles []string `json:"roles"`
	} `json:"realm_access"`
}

// Authenticate implements Authenticator for Authorization: Bearer <token>.
func (v *Verifier) Authenticate(r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, fmt.Errorf("%w: the Authorization header is not a Bearer token", apperr.Unauthenticated)
	}
	return v.Verify(r.Context(), token)
}

// Verify verifies a raw access token and returns its principal. Every
// failure of the token wraps apperr.Unauthenticated; an unreachable identity
// provider wraps apperr.Unavailable.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Principal, error) {
	if len(raw) > maxTokenBytes {
		return nil, fmt.Errorf("%w: invalid token: too long", apperr.Unauthenticated)
	}
	verifier, err := v.ready()
	if err != nil {
		return nil, err
	}
	// go-oidc checks the algorithm allow-list, issuer, audience, expiry
	// and nbf (5 min leeway), then the signature through keySet.
	tok, err := verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid token: %v", apperr.Unauthenticated, err)
	}
	var c accessClaims
	if err := tok.Claims(&c); err != nil {
		return nil, fmt.Errorf("%w: invalid token: %v", apperr.Unauthenticated, err)
	}
	if c.Typ != "Bearer" {
		return nil, fmt.Errorf("%w: invalid token: typ %q is not an access token", apperr.Unauthenticated, c.Typ)
	}
	if c.NotBefore != nil && time.Unix(*c.NotBefore, 0).After(v.cfg.Now().Add(v.cfg.NotBeforeLeeway)) {
		return nil, fmt.Errorf("%w: invalid token: not valid yet", apperr.Unauthenticated)
	}
	if tok.Subject == "" {
		return nil, fmt.Errorf("%w: invalid token: no subject", apperr.Unauthenticated)
	}
	p := &Principal{Subject: tok.Subject, Roles: c.RealmAccess.Roles, Scopes: strings.Fields(c.Scope), ClientID: c.AZP, Kind: KindPerson}
	if c.ClientID != "" {
		// Keycloak's service_account scope adds client_id to
		// client-credentials tokens only.
		p.Kind = KindClient
	}
	return p, nil
}
