// Package auth verifies OAuth2 access tokens issued by the Keycloak realm and
// turns them into a Principal: who calls (a person or a B2B client), with
// which realm roles and scopes.
//
// Verification uses go-oidc v3 with a pinned issuer, audience (never
// SkipClientIDCheck) and signing algorithms (RS256, ES256), refuses ID tokens
// presented as access tokens (Keycloak's typ claim), and fetches the realm's
// keys through a key set that refreshes at most once per interval when a
// token names an unknown key id, so forged tokens cannot make the handler
// hammer Keycloak. Authorization (which route and which field for which role)
// is the app's business (shared/app/access.go); this package only says who
// the caller is.
package auth

import (
	"context"
	"net/http"
	"slices"
)

// Realm is the realm named in WWW-Authenticate challenges.
const Realm = "mediaspecs"

// Challenges for the WWW-Authenticate header (RFC 6750 §3). A request
// without credentials gets no error code; an invalid token gets invalid_token;
// a valid token without the needed role gets insufficient_scope on a 403.
const (
	ChallengeMissing           = `Bearer realm="` + Realm + `"`
	ChallengeInvalidToken      = `Bearer realm="` + Realm + `", error="invalid_token"`
	ChallengeInsufficientScope = `Bearer realm="` + Realm + `", error="insufficient_scope"`
)

// Kind says whether a token was issued to a person or to a client acting on
// its own behalf (the client credentials grant: a B2B agency).
type Kind string

// The kinds of principal.
const (
	KindPerson Kind = "person"
	KindClient Kind = "client"
)

// Principal is the verified caller.
type Principal struct {
	// Subject is the token's sub: the Keycloak user or service-account id.
	Subject string
	// Roles are the realm roles (realm_access.roles).
	Roles []string
	// Scopes are the granted scopes (the space-separated scope claim).
	Scopes []string
	// ClientID is the OAuth2 client the token was issued to (azp).
	ClientID string
	Kind     Kind
}

// HasRole reports whether p holds the realm role.
func (p *Principal) HasRole(role string) bool { return p != nil && slices.Contains(p.Roles, role) }

// HasScope reports whether p was granted the scope.
func (p *Principal) HasScope(scope string) bool { return p != nil && slices.Contains(p.Scopes, scope) }

// Authenticator finds the principal of a request. It returns (nil, nil) when
// the request carries no credentials (anonymous), and an error wrapping
// apperr.Unauthenticated when it carries invalid ones, or apperr.Unavailable
// when the identity provider cannot be reached to check them.
type Authenticator interface {
	Authenticate(r *http.Request) (*Principal, error)
}

// AuthenticatorFunc adapts a function to Authenticator (tests, benchmarks).
type AuthenticatorFunc func(r *http.Request) (*Principal, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *http.Request) (*Principal, error) { return f(r) }

type ctxKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal in ctx, or nil (anonymous).
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}
