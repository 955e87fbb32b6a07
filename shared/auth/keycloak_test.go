package auth_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// TestPrincipalsFromKeycloak verifies real tokens of the local realm and
// checks the principal extracted from each.
func TestPrincipalsFromKeycloak(t *testing.T) {
	t.Parallel()
	stacktest.Require(t, stacktest.Keycloak)
	v, err := auth.New(t.Context(), auth.Config{Issuer: stacktest.KeycloakIssuer, Audience: "mediaspecs-api"})
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"viewer", "subscriber", "editor", "admin"} {
		tok := stacktest.UserToken(t, user)
		p, err := v.Verify(t.Context(), tok.AccessToken)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		if p.Kind != auth.KindPerson || p.ClientID != "mediaspecs-test" || p.Subject == "" || !p.HasRole(user) || p.HasRole("b2b") {
			t.Errorf("%s: principal %+v", user, p)
		}
		if _, err := v.Verify(t.Context(), tok.IDToken); !errors.Is(err, apperr.Unauthenticated) {
			t.Errorf("%s: the ID token was not refused: %v", user, err)
		}
	}
	tok := stacktest.ClientCredentialsToken(t, "agency-demo", stacktest.Secrets(t)["MEDIASPECS_AGENCY_DEMO_SECRET"])
	p, err := v.Verify(t.Context(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != auth.KindClient || p.ClientID != "agency-demo" || !p.HasRole("b2b") {
		t.Errorf("agency-demo: principal %+v", p)
	}
	for _, s := range []string{"catalogue:read", "catalogue:export", "changes:read"} {
		if !slices.Contains(p.Scopes, s) {
			t.Errorf("agency-demo: scopes %v lack %s", p.Scopes, s)
		}
	}
	if n := v.JWKSFetches(); n != 1 {
		t.Errorf("JWKS fetched %d times for 9 tokens, want once", n)
	}
}
