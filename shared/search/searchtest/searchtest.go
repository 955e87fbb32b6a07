// Package searchtest loads a small, known catalogue into the real local
// Elasticsearch for tests of the search adapter and the HTTP API.
package searchtest

import (
	"context"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/mediaspecs/catalogue/shared/search"
	"github.com/mediaspecs/catalogue/shared/stacktest"
)

func i64(v int64) *int64 { return &v }

var dailyLabels = search.Localized{"fr": "quotidien", "nl": "dagblad", "de": "Tageszeitung", "en": "daily newspaper"}

// Fixture is a small catalogue covering the search behaviours under test:
// accents, elision, stemming in four languages, synonyms across languages,
// a closed title, near-identical names, prices of two bases.
func Fixture() []search.Doc {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	doc := func(id, name, typ, sub, country string, desc search.Localized) search.Doc {
		return search.Doc{ID: id, Name: name, MediaType: typ, SubType: sub, Status: "active",
			Coverage: search.Coverage{Countries: []string{country}}, Description: desc, UpdatedAt: now}
	}
	lib := doc("fr-liberation", "Libération", "print", "daily", "FR", search.Localized{"fr": "Quotidien national d'information générale"})
	lib.KindLabels = dailyLabels
	lib.Metrics = search.Metrics{Circulation: i64(70000), Reach: i64(900000)}
	lib.AdProducts = []search.AdProduct{{Channel: "print", Kind: "display", Name: search.Localized{"fr": "Pleine page"},
		Prices: []search.Price{{AmountCents: 2500000, Currency: "EUR", Basis: "per_insertion", Gross: true}}}}
	echo := doc("be-lecho", "L'Echo", "print", "daily", "BE", search.Localized{"fr": "Le quotidien économique et financier"})
	echo.KindLabels = dailyLabels
	echo.Metrics = search.Metrics{Circulation: i64(20000)}
	echo.AdProducts = []search.AdProduct{{Channel: "online", Kind: "display", Name: search.Localized{"en": "Medium rectangle"},
		Prices: []search.Price{{AmountCents: 1800, Currency: "EUR", Basis: "cpm"}}}}
	std := doc("be-destandaard", "De Standaard", "print", "daily", "BE", search.Localized{"nl": "Vlaamse krant met nieuws en opinie"})
	std.KindLabels = dailyLabels
	std.Metrics = search.Metrics{Circulation: i64(90000), Reach: i64(1200000)}
	grenz := doc("be-grenzecho", "Grenz-Echo", "print", "daily", "BE", search.Localized{"de": "Die Tageszeitung der Deutschsprachigen Gemeinschaft"})
	grenz.KindLabels = dailyLabels
	knack := doc("be-knack", "Knack", "print", "magazine", "BE", search.Localized{"nl": "Opinieweekblad, een van de bekendste tijdschriften"})
	tm := doc("be-telemoustique", "Télé-Moustique", "print", "magazine", "BE", search.Localized{"fr": "Magazine de programmes télé"})
	streek := doc("be-destreekkrant", "De Streekkrant", "print", "free_sheet", "BE", search.Localized{"nl": "Gratis regionaal blad"})
	streek.KindLabels = search.Localized{"nl": "huis-aan-huisblad", "fr": "toutes-boîtes", "de": "Anzeigenblatt", "en": "free sheet"}
	abri := doc("fr-abribus", "Réseau Abribus Paris", "outdoor", "street_furniture", "FR", search.Localized{"fr": "Affichage sur abribus en Île-de-France"})
	bruzz := doc("be-bruzz", "Bruzz", "print", "magazine", "BE", search.Localized{"en": "The city magazines for Brussels"})
	metro := doc("be-metro", "Metro", "print", "free_sheet", "BE", nil)
	metra := doc("be-metra", "Metra", "online", "website", "BE", nil)
	closed := doc("be-soirmag", "Le Soir Magazine", "print", "magazine", "BE", search.Localized{"fr": "Hebdomadaire"})
	closed.Status = "closed"
	lw := doc("lu-wort", "Luxemburger Wort", "print", "daily", "LU", search.Localized{"de": "Größte Tageszeitung Luxemburgs"})
	lw.KindLabels = dailyLabels
	return []search.Doc{lib, echo, std, grenz, knack, tm, streek, abri, bruzz, metro, metra, closed, lw}
}

// Load creates a template, a versioned index behind fresh aliases, and the
// Fixture, all unique to the test and removed after it.
func Load(t testing.TB) (*search.Admin, *search.Searcher) {
	t.Helper()
	es := stacktest.ElasticsearchClient(t)
	prefix := stacktest.IndexName(t, es)
	admin := &search.Admin{ES: es, Prefix: prefix, ReadAlias: prefix + "-read", WriteAlias: prefix + "-write"}
	t.Cleanup(func() { deleteTemplate(es, prefix) })
	if _, err := admin.Bootstrap(t.Context(), time.Now()); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	if err := search.IndexBatch(t.Context(), es, admin.WriteAlias, Fixture(), true); err != nil {
		t.Fatalf("IndexBatch: %v", err)
	}
	return admin, &search.Searcher{ES: es, Index: admin.ReadAlias}
}

func deleteTemplate(es *elasticsearch.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := es.Indices.DeleteIndexTemplate(search.TemplateName+"-"+prefix, es.Indices.DeleteIndexTemplate.WithContext(ctx)); err == nil {
		res.Body.Close()
	}
}
