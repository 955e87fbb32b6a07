package app

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/health"
	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/search/searchtest"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

// Unit tests run the app with fakeAuth; the tests against the real Keycloak
// below use the real verifier (shared/auth) and real tokens.
const (
	asViewer     = "Bearer role:viewer"
	asSubscriber = "Bearer role:subscriber"
)

// fakeAuth stands in for the verifier in unit tests: "Bearer role:<r>,<r>" is
// a person with those realm roles, "Bearer client:<r>,<r>/<scope> <scope>" a
// client-credentials principal (client id "test-client") with those roles and
// scopes; any other credential is invalid.
var fakeAuth = auth.AuthenticatorFunc(func(r *http.Request) (*auth.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	kind, roles, ok := strings.Cut(strings.TrimPrefix(h, "Bearer "), ":")
	switch {
	case ok && kind == "role":
		return &auth.Principal{Subject: "test", Roles: strings.Split(roles, ","), Kind: auth.KindPerson}, nil
	case ok && kind == "client":
		roles, scopes, _ := strings.Cut(roles, "/")
		return &auth.Principal{Subject: "test-client", ClientID: "test-client", Roles: strings.Split(roles, ","), Scopes: strings.Fields(scopes), Kind: auth.KindClient}, nil
	}
	return nil, fmt.Errorf("%w: invalid token", apperr.Unauthenticated)
})

func TestEveryForwardedRouteHasAnAccessRule(t *testing.T) {
	s := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Health: health.New(time.Second, nil)})
	for _, r := range s.Routes() {
		_, ok := routeAccess[r.Function]
		if strings.HasPrefix(r.Path, "/api/") && !ok {
			t.Errorf("route %s (function %s) has no entry in routeAccess", r.Pattern(), r.Function)
		}
		if !strings.HasPrefix(r.Path, "/api/") && ok {
			t.Errorf("routeAccess lists %s, which the host invokes (POST /<Name>), not a caller", r.Function)
		}
	}
}

func TestLevelOf(t *testing.T) {
	for _, tc := range []struct {
		p    *auth.Principal
		want level
	}{
		{nil, levelAnonymous},
		{&auth.Principal{Kind: auth.KindPerson}, levelAnonymous},
		{&auth.Principal{Kind: auth.KindPerson, Roles: []string{"offline_access", "viewer"}}, levelViewer},
		{&auth.Principal{Kind: auth.KindPerson, Roles: []string{"viewer", "subscriber"}}, levelSubscriber},
		{&auth.Principal{Kind: auth.KindPerson, Roles: []string{"admin"}}, levelAdmin},
		{&auth.Principal{Kind: auth.KindPerson, Roles: []string{"b2b"}}, levelAnonymous},
		// Client-credentials tokens never reach the web routes, whatever their roles.
		{&auth.Principal{Kind: auth.KindClient, Roles: []string{"b2b", "admin"}}, levelAnonymous},
	} {
		if got := levelOf(tc.p); got != tc.want {
			t.Errorf("levelOf(%+v) = %d, want %d", tc.p, got, tc.want)
		}
	}
}

func TestGatedRoutesFailClosedWithoutAuth(t *testing.T) {
	h := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Health: health.New(time.Second, nil), Media: stubMedia{}}).Handler()
	rec := get(t, h, "/api/media/"+sampleTitle().ID, nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("detail without an authenticator = %d, want 503", rec.Code)
	}
	if rec := get(t, h, "/api/openapi.json", nil); rec.Code != http.StatusOK {
		t.Errorf("openapi.json without an authenticator = %d, want 200", rec.Code)
	}
}

// stubMedia serves sampleTitle (with contacts and prices) without Cosmos.
type stubMedia struct{}

func (stubMedia) Get(_ context.Context, id string) (*catalog.Title, string, error) {
	if id != sampleTitle().ID {
		return nil, "", fmt.Errorf("%w: media %s", apperr.NotFound, id)
	}
	return sampleTitle(), `"store-etag-1"`, nil
}

// keycloakVerifier is the real verifier against the local Keycloak.
func keycloakVerifier(t *testing.T, mod func(*auth.Config)) *auth.Verifier {
	t.Helper()
	stacktest.Require(t, stacktest.Keycloak)
	cfg := auth.Config{Issuer: stacktest.KeycloakIssuer, Audience: "mediaspecs-api"}
	if mod != nil {
		mod(&cfg)
	}
	v, err := auth.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// routeRequest is one request to a route, and the status it gets when the
// caller may call the route.
type routeRequest struct {
	method, target, contentType, body string
	ok                                int
}

// routeTargets is one request per forwarded HTTP function; the matrix fails
// on a route it has no target for, so a new route cannot skip it.
var routeTargets = map[string]routeRequest{
	"Health":               {target: "/api/health"},
	"HealthLive":           {target: "/api/health/live"},
	"Search":               {target: "/api/search?q=liberation"},
	"Suggest":              {target: "/api/suggest?q=lib"},
	"GetMedia":             {target: "/api/media/" + sampleTitle().ID},
	"OpenAPI":              {target: "/api/openapi.json"},
	"ApiDocs":              {target: "/api/docs"},
	"ListIngestReports":    {target: "/api/ingest/reports?supplier=acme"},
	"GetIngestReport":      {target: "/api/ingest/reports/acme/titles.csv.0x1.report.json"},
	"ValidateSupplierFile": {method: http.MethodPost, target: "/api/ingest/validate?filename=titles.csv&profile=generic", contentType: "text/csv", body: "name;type\nLe Soir;print\n"},
	"StartMaintenance":     {method: http.MethodPost, target: "/api/admin/maintenance", contentType: "application/json", body: `{"steps":["drift"]}`, ok: http.StatusAccepted},
	"GetMaintenanceRun":    {target: "/api/admin/maintenance/20261126T093000Z-0a1b2c3d"},
	"B2BSearch":            {target: "/api/v1/search?q=liberation"},
	"B2BGetMedia":          {target: "/api/v1/media/" + sampleTitle().ID},
	"B2BChanges":           {target: "/api/v1/changes"},
	"B2BExport":            {target: "/api/v1/export?format=csv&q=liberation"},
}

// matrixDeps are fakes for the dependencies the search fixture and stubMedia
// do not cover, each answering one plausible success.
func matrixDeps() Deps {
	return Deps{
		Limiter:       allowAll,
		Changes:       (&fakeFeed{}).read,
		IngestReports: fakeReports{},
		Validate: func(ctx context.Context, src ingest.Source, profile string) (*ingest.Report, error) {
			return &ingest.Report{File: src.Name, Supplier: src.Supplier, Profile: profile, Verdict: ingest.Accepted}, nil
		},
		Runs: &fakeRuns{},
	}
}

// TestRoleMatrixWithKeycloak drives every forwarded HTTP route with real
// tokens for each realm role and the two B2B clients, and checks the status,
// the problem details and challenge, the OpenAPI document, and the
// subscriber fields of the detail views: a caller that may not call a route
// never gets past 401/403, and one that may not see a field never sees it.
func TestRoleMatrixWithKeycloak(t *testing.T) {
	t.Parallel()
	verifier := keycloakVerifier(t, nil)
	_, searcher := searchtest.Load(t)
	deps := matrixDeps()
	deps.Logger, deps.Health = slog.New(slog.NewTextHandler(io.Discard, nil)), health.New(time.Second, nil)
	deps.Search, deps.Media, deps.Auth = searcher, stubMedia{}, verifier
	s := New(deps)
	h := s.Handler()
	_, oapi := openAPI(t)

	type caller struct {
		name           string
		token          string
		principal      *auth.Principal // what the token stands for, for rule.allows
		subscriberData bool
	}
	callers := []caller{{name: "anonymous"}}
	for _, u := range []struct {
		user  string
		level level
	}{{"viewer", levelViewer}, {"subscriber", levelSubscriber}, {"editor", levelEditor}, {"admin", levelAdmin}} {
		callers = append(callers, caller{name: u.user, token: stacktest.UserToken(t, u.user).AccessToken,
			principal: &auth.Principal{Kind: auth.KindPerson, Roles: []string{u.user}}, subscriberData: u.level >= levelSubscriber})
	}
	secrets := stacktest.Secrets(t)
	callers = append(callers,
		caller{name: "agency-demo (b2b, all scopes)",
			token:     stacktest.ClientCredentialsToken(t, "agency-demo", secrets["MEDIASPECS_AGENCY_DEMO_SECRET"]).AccessToken,
			principal: &auth.Principal{Kind: auth.KindClient, Roles: []string{b2bRole}, Scopes: []string{scopeCatalogueRead, scopeCatalogueExport, scopeChangesRead}}, subscriberData: true},
		caller{name: "agency-readonly (b2b, catalogue:read)",
			token:     stacktest.ClientCredentialsToken(t, "agency-readonly", secrets["MEDIASPECS_AGENCY_READONLY_SECRET"]).AccessToken,
			principal: &auth.Principal{Kind: auth.KindClient, Roles: []string{b2bRole}, Scopes: []string{scopeCatalogueRead}}, subscriberData: true})

	for _, rt := range s.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/") {
			continue
		}
		rr, ok := routeTargets[rt.Function]
		if !ok {
			t.Errorf("the role matrix has no request for %s (%s): add one to routeTargets", rt.Function, rt.Pattern())
			continue
		}
		if rr.method == "" {
			rr.method = http.MethodGet
		}
		if rr.ok == 0 {
			rr.ok = http.StatusOK
		}
		ru := routeAccess[rt.Function]
		for _, c := range callers {
			req := httptest.NewRequest(rr.method, rr.target, strings.NewReader(rr.body))
			if rr.contentType != "" {
				req.Header.Set("Content-Type", rr.contentType)
			}
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			resp := rec.Result()
			body := rec.Body.Bytes()
			want := rr.ok
			switch {
			case ru.person == levelAnonymous:
			case c.token == "":
				want = http.StatusUnauthorized
			case !ru.allows(c.principal):
				want = http.StatusForbidden
			}
			what := fmt.Sprintf("%s %s as %s", rr.method, rr.target, c.name)
			if resp.StatusCode != want {
				t.Errorf("%s: %d, want %d; body %.300s", what, resp.StatusCode, want, body)
				continue
			}
			if want >= 400 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("%s: Content-Type %q, want problem details", what, ct)
				}
				if ch := resp.Header.Get("WWW-Authenticate"); want == http.StatusUnauthorized && ch != auth.ChallengeMissing {
					t.Errorf("%s: WWW-Authenticate %q, want %q", what, ch, auth.ChallengeMissing)
				}
			}
			resp.Body = io.NopCloser(bytes.NewReader(body))
			if ok, errs := oapi.ValidateHttpResponse(req, resp); !ok {
				t.Errorf("%s → %d: the response does not match openapi.json:\n%s", what, resp.StatusCode, describe(errs))
			}
			leaks := bytes.Contains(body, []byte("marie.dubois@example.be")) || bytes.Contains(body, []byte("amountMinor"))
			if (rt.Function == "GetMedia" || rt.Function == "B2BGetMedia") && want == http.StatusOK {
				var v mediaView
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatal(err)
				}
				hasPrices := len(v.AdProducts) == 1 && len(v.AdProducts[0].Prices) == 1
				if got := len(v.Contacts) == 1 && hasPrices; got != c.subscriberData || leaks != c.subscriberData {
					t.Errorf("%s: contacts %+v, ad products %+v; subscriber data wanted: %v", what, v.Contacts, v.AdProducts, c.subscriberData)
				}
			} else if leaks && ru.person > levelAnonymous { // the documents describe the fields
				t.Errorf("%s: the response carries subscriber data: %.300s", what, body)
			}
		}
	}
}

// jwtParts splits a compact JWT into its decoded header and payload.
func jwtParts(t *testing.T, token string) (header, payload map[string]any) {
	t.Helper()
	p := strings.Split(token, ".")
	if len(p) != 3 {
		t.Fatalf("not a compact JWT: %.40q", token)
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(p[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, payload
}

func b64json(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// mintRS256 signs header+claims with a local RSA key.
func mintRS256(t *testing.T, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	in := b64json(header) + "." + b64json(claims)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func copyMap(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// keycloakPublicKey fetches the realm's RSA signing key with the given kid.
func keycloakPublicKey(t *testing.T, kid string) *rsa.PublicKey {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, stacktest.KeycloakIssuer+"/protocol/openid-connect/certs", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, Kty, N, E string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	for _, k := range set.Keys {
		if k.Kid == kid && k.Kty == "RSA" {
			n, _ := base64.RawURLEncoding.DecodeString(k.N)
			e, _ := base64.RawURLEncoding.DecodeString(k.E)
			return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		}
	}
	t.Fatalf("no RSA key %s in the realm's JWKS", kid)
	return nil
}

// TestRejectionSuiteWithKeycloak: with the real verifier and the local
// Keycloak, every one of these requests is refused with 401, a Bearer
// challenge and problem details, while the genuine token is accepted.
func TestRejectionSuiteWithKeycloak(t *testing.T) {
	t.Parallel()
	verifier := keycloakVerifier(t, nil)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	server := func(a auth.Authenticator) http.Handler {
		return New(Deps{Logger: logger, Health: health.New(time.Second, nil), Media: stubMedia{}, Auth: a}).Handler()
	}
	h := server(verifier)
	target := "/api/media/" + sampleTitle().ID

	tok := stacktest.UserToken(t, "viewer")
	realHeader, realClaims := jwtParts(t, tok.AccessToken)
	kid, _ := realHeader["kid"].(string)
	parts := strings.Split(tok.AccessToken, ".")
	if tok.IDToken == "" {
		t.Fatal("the password grant with scope openid returned no id_token")
	}

	// Tokens signed with a local key: correct in every other respect
	// (issuer, audience, typ, roles copied from the real token).
	local, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	localHeader := map[string]any{"alg": "RS256", "typ": "JWT", "kid": "local-test-key"}

	// HS256 "signed" with the realm's public key (algorithm confusion).
	pub := keycloakPublicKey(t, kid)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hs256 := func(secret []byte) string {
		in := b64json(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}) + "." + parts[1]
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	tamperedPayload := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(mustDecode(t, parts[1]), `"viewer"`, `"admin"`, 1)))

	cases := []struct {
		name, authorization string
		challenge           string
	}{
		{"no token", "", auth.ChallengeMissing},
		{"not a bearer token", "Basic dmlld2VyOnZpZXdlcg==", auth.ChallengeInvalidToken},
		{"malformed", "Bearer not-a-jwt", auth.ChallengeInvalidToken},
		{"three garbage parts", "Bearer a.b.c", auth.ChallengeInvalidToken},
		{"expired", "Bearer " + mintRS256(t, local, localHeader, copyMap(realClaims, "exp", now-60, "iat", now-360)), auth.ChallengeInvalidToken},
		{"not yet valid", "Bearer " + mintRS256(t, local, localHeader, copyMap(realClaims, "nbf", now+3600, "exp", now+7200)), auth.ChallengeInvalidToken},
		{"wrong issuer", "Bearer " + mintRS256(t, local, localHeader, copyMap(realClaims, "iss", "http://localhost:8080/realms/mediaspecs")), auth.ChallengeInvalidToken},
		{"wrong audience", "Bearer " + mintRS256(t, local, localHeader, copyMap(realClaims, "aud", []string{"account"})), auth.ChallengeInvalidToken},
		{"alg none", "Bearer " + b64json(map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) + "." + parts[1] + ".", auth.ChallengeInvalidToken},
		{"HS256 signed with the public key (PEM)", "Bearer " + hs256(pemKey), auth.ChallengeInvalidToken},
		{"HS256 signed with the public key (DER)", "Bearer " + hs256(der), auth.ChallengeInvalidToken},
		{"tampered payload", "Bearer " + parts[0] + "." + tamperedPayload + "." + parts[2], auth.ChallengeInvalidToken},
		{"signature of another token", "Bearer " + parts[0] + "." + parts[1] + "." + strings.Split(tok.IDToken, ".")[2], auth.ChallengeInvalidToken},
		{"unknown key id", "Bearer " + mintRS256(t, local, localHeader, realClaims), auth.ChallengeInvalidToken},
		{"local key under the realm's key id", "Bearer " + mintRS256(t, local, copyMap(localHeader, "kid", kid), realClaims), auth.ChallengeInvalidToken},
		{"ID token instead of an access token", "Bearer " + tok.IDToken, auth.ChallengeInvalidToken},
	}
	check := func(t *testing.T, h http.Handler, name, authorization, challenge string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, target, nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var p apperr.Problem
		if rec.Code != http.StatusUnauthorized || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Status != http.StatusUnauthorized {
			t.Errorf("%s: %d %.300s, want 401 problem details", name, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
		if got := rec.Header().Get("WWW-Authenticate"); got != challenge {
			t.Errorf("%s: WWW-Authenticate %q, want %q", name, got, challenge)
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("Viewer")) {
			t.Errorf("%s: the problem echoes token content: %s", name, rec.Body)
		}
	}
	for _, c := range cases {
		check(t, h, c.name, c.authorization, c.challenge)
	}

	// Real Keycloak tokens refused by the verifier's own checks: expiry (the
	// verifier's clock 10 minutes ahead: the 300 s token has expired) and
	// audience (a verifier for another API).
	later := keycloakVerifier(t, func(c *auth.Config) { c.Now = func() time.Time { return time.Now().Add(10 * time.Minute) } })
	check(t, server(later), "expired (real token)", "Bearer "+tok.AccessToken, auth.ChallengeInvalidToken)
	otherAPI := keycloakVerifier(t, func(c *auth.Config) { c.Audience = "some-other-api" })
	check(t, server(otherAPI), "wrong audience (real token)", "Bearer "+tok.AccessToken, auth.ChallengeInvalidToken)

	// A flood of forged tokens with fresh key ids costs Keycloak at most one
	// JWKS fetch.
	before := verifier.JWKSFetches()
	for i := range 50 {
		forged := mintRS256(t, local, copyMap(localHeader, "kid", fmt.Sprintf("forged-%d", i)), realClaims)
		check(t, h, "forged kid", "Bearer "+forged, auth.ChallengeInvalidToken)
	}
	if got := verifier.JWKSFetches() - before; got > 1 {
		t.Errorf("50 tokens with unknown key ids caused %d JWKS fetches, want at most 1", got)
	}

	// The control: the genuine access token is accepted.
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("the genuine viewer token: %d %s", rec.Code, rec.Body)
	}
}

func mustDecode(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
