package app

import (
	"fmt"
	"net/http"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/search"
)

// Access control lives in this file only: which forwarded HTTP function
// needs which role (routeAccess), and which fields of a response a caller may
// see (fieldsFor). Handlers never look at roles themselves.

// level orders the web application's realm roles. The realm's roles are
// flat (none includes another), so a caller's level is the highest of its
// roles; each level may do everything the lower ones may.
type level int

const (
	levelAnonymous level = iota
	levelViewer
	levelSubscriber
	levelEditor
	levelAdmin
)

// roleLevels maps realm roles to levels. b2b is deliberately absent: B2B
// clients get /api/v1 (issue 7), never the web routes.
var roleLevels = map[string]level{
	"viewer":     levelViewer,
	"subscriber": levelSubscriber,
	"editor":     levelEditor,
	"admin":      levelAdmin,
}

// levelNobody refuses every person: the /api/v1 routes are for B2B clients.
const levelNobody = levelAdmin + 1

// rule is who may call one forwarded HTTP function: people from a minimum
// level up, B2B clients (client-credentials tokens with the b2b realm role)
// holding a scope. The two never mix: the web routes refuse clients and the
// B2B routes refuse people, so a token issued for one surface cannot be
// replayed against the other (OWASP API5, broken function level
// authorization).
type rule struct {
	person level
	// clientScope is the OAuth2 scope a B2B client needs; "" refuses clients.
	clientScope string
}

// B2B scopes, granted per client in Keycloak (infra/local/keycloak).
const (
	scopeCatalogueRead   = "catalogue:read"
	scopeCatalogueExport = "catalogue:export"
	scopeChangesRead     = "changes:read"
)

// b2bRole is the realm role every B2B client's service account holds.
const b2bRole = "b2b"

// routeAccess is the rule of every forwarded HTTP function (the ones served
// through serveAPI). A function missing here is refused to everyone, and a
// test requires an entry for every /api/ route. The non-HTTP functions
// (POST /<Name>) are invoked by the Functions host over loopback and are not
// gated.
var routeAccess = map[string]rule{
	"Health":     {person: levelAnonymous},
	"HealthLive": {person: levelAnonymous},
	"OpenAPI":    {person: levelAnonymous},
	"ApiDocs":    {person: levelAnonymous},
	"Search":     {person: levelViewer},
	"Suggest":    {person: levelViewer},
	"GetMedia":   {person: levelViewer},

	"ListIngestReports":    {person: levelEditor},
	"GetIngestReport":      {person: levelEditor},
	"ValidateSupplierFile": {person: levelEditor},

	"StartMaintenance":  {person: levelAdmin},
	"GetMaintenanceRun": {person: levelAdmin},

	"B2BSearch":   {person: levelNobody, clientScope: scopeCatalogueRead},
	"B2BGetMedia": {person: levelNobody, clientScope: scopeCatalogueRead},
	"B2BChanges":  {person: levelNobody, clientScope: scopeChangesRead},
	"B2BExport":   {person: levelNobody, clientScope: scopeCatalogueExport},
}

// allows reports whether p may call a function with rule ru.
func (ru rule) allows(p *auth.Principal) bool {
	if p != nil && p.Kind == auth.KindClient {
		return ru.clientScope != "" && p.HasRole(b2bRole) && p.HasScope(ru.clientScope)
	}
	return levelOf(p) >= ru.person
}

// levelOf is the level of p: anonymous for nil, and for client-credentials
// tokens whatever their roles (the web routes are for people).
func levelOf(p *auth.Principal) level {
	if p == nil || p.Kind != auth.KindPerson {
		return levelAnonymous
	}
	l := levelAnonymous
	for _, r := range p.Roles {
		l = max(l, roleLevels[r])
	}
	return l
}

// authorize authenticates r when function needs a role and checks the
// caller's level. It returns r with the principal in its context, or an
// Unauthenticated (401, with WWW-Authenticate set on w), PermissionDenied
// (403) or Unavailable (503: identity not configured or unreachable) error.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, function string) (*http.Request, error) {
	ru, ok := routeAccess[function]
	if !ok {
		return nil, fmt.Errorf("%w: %s has no access rule", apperr.PermissionDenied, function)
	}
	if ru.person == levelAnonymous {
		// Public routes never look at credentials (nor call Keycloak).
		return r, nil
	}
	if s.deps.Auth == nil {
		return nil, fmt.Errorf("%w: identity is not configured", apperr.Unavailable)
	}
	p, err := s.deps.Auth.Authenticate(r)
	switch {
	case err != nil:
		if apperr.Status(err) == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", auth.ChallengeInvalidToken)
		}
		return nil, err
	case p == nil:
		w.Header().Set("WWW-Authenticate", auth.ChallengeMissing)
		return nil, fmt.Errorf("%w: sign in: this route needs a bearer access token", apperr.Unauthenticated)
	case !ru.allows(p):
		w.Header().Set("WWW-Authenticate", auth.ChallengeInsufficientScope)
		return nil, fmt.Errorf("%w: your roles or scopes do not allow %s", apperr.PermissionDenied, function)
	}
	if p.Kind == auth.KindClient {
		if err := s.admitClient(r.Context(), w, p); err != nil {
			return nil, err
		}
	}
	return r.WithContext(auth.NewContext(r.Context(), p)), nil
}

// fields says which restricted parts of a title the caller may see.
type fields struct {
	// Contacts and Prices are subscriber data.
	Contacts bool
	Prices   bool
}

// fieldsFor decides, in one place, the fields a principal may see. B2B
// clients are agencies under a subscription contract: they see what a
// subscriber sees (GDPR opt-outs are dropped for everyone in viewOf).
func fieldsFor(p *auth.Principal) fields {
	if p != nil && p.Kind == auth.KindClient {
		sub := p.HasRole(b2bRole) && p.HasScope(scopeCatalogueRead)
		return fields{Contacts: sub, Prices: sub}
	}
	l := levelOf(p)
	return fields{Contacts: l >= levelSubscriber, Prices: l >= levelSubscriber}
}

// checkSearchAccess refuses price filters to callers who may not see prices:
// filtering by price ranges would reveal them one bisection at a time.
func checkSearchAccess(r *http.Request, q search.Query) error {
	if q.Price != nil && !fieldsFor(auth.FromContext(r.Context())).Prices {
		return fmt.Errorf("%w: price filters are subscriber data", apperr.PermissionDenied)
	}
	return nil
}

// key distinguishes representations in ETags.
func (f fields) key() string { return fmt.Sprintf("c%tp%t", f.Contacts, f.Prices) }
