package stacktest_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func TestElasticsearchFrenchAnalyzerFoldsAccents(t *testing.T) {
	t.Parallel()
	es := stacktest.ElasticsearchClient(t)
	index := stacktest.IndexName(t, es)
	ctx := t.Context()

	// The same analysis chain the production template uses for French text:
	// elision, accent folding and light stemming. Locally these names come
	// from the project's analysis plugin (infra/local/elasticsearch/analysis).
	mapping := `{
	  "settings": {"analysis": {
	    "filter": {
	      "fr_elision": {"type": "elision", "articles_case": true,
	                     "articles": ["l","d","j","m","n","s","t","qu","c"]},
	      "fr_stem": {"type": "stemmer", "language": "light_french"}
	    },
	    "analyzer": {"fr_folded": {"tokenizer": "standard",
	      "filter": ["fr_elision", "lowercase", "asciifolding", "fr_stem"]}}
	  }},
	  "mappings": {"properties": {
	    "name": {"type": "text", "analyzer": "french",
	             "fields": {"folded": {"type": "text", "analyzer": "fr_folded"}}}
	  }}
	}`
	res, err := es.Indices.Create(index, es.Indices.Create.WithBody(strings.NewReader(mapping)), es.Indices.Create.WithContext(ctx))
	if err != nil {
		t.Fatalf("creating index: %v", err)
	}
	res.Body.Close()
	if res.IsError() {
		t.Fatalf("creating index: %s", res.String())
	}

	var body strings.Builder
	for i, name := range []string{"Libération", "L'Echo", "Le Soir", "De Standaard"} {
		body.WriteString(`{"index":{"_id":"` + string(rune('a'+i)) + `"}}` + "\n")
		doc, _ := json.Marshal(map[string]string{"name": name})
		body.Write(doc)
		body.WriteString("\n")
	}
	res, err = es.Bulk(strings.NewReader(body.String()), es.Bulk.WithIndex(index), es.Bulk.WithRefresh("true"), es.Bulk.WithContext(ctx))
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	var bulk struct {
		Errors bool `json:"errors"`
		Items  []any
	}
	err = json.NewDecoder(res.Body).Decode(&bulk)
	res.Body.Close()
	if err != nil || bulk.Errors || len(bulk.Items) != 4 {
		t.Fatalf("bulk: errors=%v items=%d err=%v", bulk.Errors, len(bulk.Items), err)
	}

	for _, tc := range []struct{ query, field, want string }{
		{"liberation", "name.folded", "Libération"},
		{"echo", "name.folded", "L'Echo"},
		{"LIBERATIONS", "name", "Libération"},
	} {
		q := map[string]any{"query": map[string]any{"match": map[string]any{tc.field: tc.query}}}
		res, err := es.Search(es.Search.WithIndex(index), es.Search.WithBody(esutil.NewJSONReader(q)), es.Search.WithContext(ctx))
		if err != nil {
			t.Fatalf("search %q: %v", tc.query, err)
		}
		var out struct {
			Hits struct {
				Hits []struct {
					Source struct {
						Name string `json:"name"`
					} `json:"_source"`
				} `json:"hits"`
			} `json:"hits"`
		}
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, h := range out.Hits.Hits {
			names = append(names, h.Source.Name)
		}
		if len(names) != 1 || names[0] != tc.want {
			t.Errorf("match %s=%q found %v, want [%s]", tc.field, tc.query, names, tc.want)
		}
	}
}

func TestKeycloakClientCredentialsTokenVerifies(t *testing.T) {
	t.Parallel()
	stacktest.Require(t, stacktest.Keycloak)
	ctx := t.Context()
	tok := stacktest.ClientCredentialsToken(t, "agency-demo", stacktest.Secrets(t)["MEDIASPECS_AGENCY_DEMO_SECRET"])

	provider, err := oidc.NewProvider(ctx, stacktest.KeycloakIssuer)
	if err != nil {
		t.Fatalf("oidc.NewProvider: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{
		ClientID:             "mediaspecs-api", // the audience the realm's mapper adds
		SupportedSigningAlgs: []string{oidc.RS256},
	})
	idt, err := verifier.Verify(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("verifying the access token: %v", err)
	}
	if idt.Issuer != stacktest.KeycloakIssuer {
		t.Errorf("issuer = %q, want %q", idt.Issuer, stacktest.KeycloakIssuer)
	}
	if !slices.Contains(idt.Audience, "mediaspecs-api") {
		t.Errorf("audience = %v, want it to contain mediaspecs-api", idt.Audience)
	}
	var claims struct {
		RealmAccess struct {
			Roles []string `json:"roles"`
		} `json:"realm_access"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(claims.RealmAccess.Roles, "b2b") {
		t.Errorf("realm roles = %v, want b2b", claims.RealmAccess.Roles)
	}

	// The audience check is real: a verifier for another audience refuses the token.
	other := provider.Verifier(&oidc.Config{ClientID: "some-other-api", SupportedSigningAlgs: []string{oidc.RS256}})
	if _, err := other.Verify(ctx, tok.AccessToken); err == nil {
		t.Error("a verifier for audience some-other-api accepted the token")
	}
	// So is the signature: flipping one payload claim breaks verification.
	parts := strings.Split(tok.AccessToken, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(payload), `"b2b"`, `"adm"`, 1)
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(tampered))
	if _, err := verifier.Verify(ctx, strings.Join(parts, ".")); err == nil {
		t.Error("a token with a tampered payload verified")
	}
}
