// Package gen generates realistic, seeded BE/LU/FR media titles and writes
// them in every format ingest reads: CSV (any delimiter and encoding), TSV
// and XLSX in the generic profile's columns; JSON, NDJSON and XML in the
// json-feed profile's shape. The same seed always gives the same bytes
// (except XLSX zip timestamps), so tests can assert exact counts. Large
// files are generated on demand (see TestGenerateFiles), never committed.
package gen

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Options tune a generated file.
type Options struct {
	Seed int64
	// Titles is the number of titles; each has 1–3 rows (one per ad format).
	Titles int
	// BadEvery makes every n-th title carry one invalid value (0: none).
	BadEvery int
	// KeyPrefix starts every title key (default "T"): files of one supplier
	// with different prefixes deliver different titles.
	KeyPrefix string
}

// Title is one generated title.
type Title struct {
	Key, Name, MediaType, SubType, Segment, Frequency string
	DescNL, DescFR, DescDE                            string
	Languages, Countries, Regions, PostalCodes        []string
	Topics                                            []string
	Publisher, PublisherID, SalesHouse, SalesHouseID  string
	Website, ISSN                                     string
	Circulation, Readership                           int
	Period                                            string
	Ads                                               []Ad
	Contact                                           Contact
	// Bad is the invalid value planted in this title ("" when none).
	Bad string
}

// Ad is one ad format.
type Ad struct {
	Name       string
	W, H       float64
	Unit       string // mm, px or s
	Seconds    int
	PriceCents int64
	Basis      string
}

// Contact is one role contact.
type Contact struct {
	Role, Name, Email, Phone string
	Languages                []string
}

type place struct {
	town, region, postal, country, lang string
}

var places = []place{
	{"Antwerpen", "BE21", "2000", "BE", "nl"}, {"Gent", "BE23", "9000", "BE", "nl"}, {"Brugge", "BE25", "8000", "BE", "nl"},
	{"Leuven", "BE24", "3000", "BE", "nl"}, {"Hasselt", "BE22", "3500", "BE", "nl"}, {"Liège", "BE33", "4000", "BE", "fr"},
	{"Namur", "BE35", "5000", "BE", "fr"}, {"Mons", "BE32", "7000", "BE", "fr"}, {"Wavre", "BE31", "1300", "BE", "fr"},
	{"Arlon", "BE34", "6700", "BE", "fr"}, {"Bruxelles", "BE10", "1000", "BE", "fr"}, {"Eupen", "BE33", "4700", "BE", "de"},
	{"Luxembourg", "LU00", "1111", "LU", "fr"}, {"Esch-sur-Alzette", "LU00", "4001", "LU", "de"},
	{"Paris", "FR10", "75001", "FR", "fr"}, {"Lille", "FRE1", "59000", "FR", "fr"}, {"Strasbourg", "FRF1", "67000", "FR", "fr"},
	{"Lyon", "FRK2", "69001", "FR", "fr"}, {"Marseille", "FRL0", "13001", "FR", "fr"}, {"Rennes", "FRH0", "35000", "FR", "fr"},
}

var (
	subtypes = []struct{ media, sub, nl, fr, de string }{
		{"print", "daily", "Dagblad", "Quotidien", "Tageszeitung"},
		{"print", "magazine", "Tijdschrift", "Magazine", "Zeitschrift"},
		{"print", "free_sheet", "Huis-aan-huisblad", "Toutes-boîtes", "Anzeigenblatt"},
		{"print", "trade", "Vakblad", "Presse professionnelle", "Fachzeitschrift"},
		{"radio", "radio_regional", "Regionale radio", "Radio régionale", "Radio regional"},
		{"online", "website", "Website", "Site web", "Webseite"},
		{"outdoor", "street_furniture", "Abri", "Abribus", "Abri"},
	}
	words     = []string{"Gazet", "Nieuwsblad", "Avenir", "Écho", "Vlaamse Post", "Brabançonne", "Liégeois", "Télé-Week", "Moustique", "Grenz-Echo", "Wort", "Journal", "Koerier", "Ardennes", "Lëtzebuerger Zeitung", "Süd-Anzeiger", "Côte", "Boulevard", "Rundschau", "Courrier"}
	firstName = []string{"Jan", "Els", "Sofie", "Lieven", "Amélie", "François", "Jérôme", "Anaïs", "Jürgen", "Müller", "Zoë", "Noël", "Hélène", "Björn"}
	lastName  = []string{"Peeters", "Janssens", "Dubois", "Lambert", "Maes", "Lefèvre", "Schmit", "Weber", "Dupont", "Vandenbroucke", "Hoffmann", "Gérard"}
	topics    = []string{"news", "sport", "business", "lifestyle", "culture", "auto", "tech", "food", "travel", "health"}
	houses    = []string{"DPG Media Advertising", "Rossel Advertising", "IP Luxembourg", "Mediahuis Connect", "Régie Média Presse", "Roularta Media"}
	freqs     = []string{"Dagelijks", "Quotidien", "Wöchentlich", "Hebdomadaire", "Maandelijks", "Mensuel"}
	issnOK    = []string{"0378-5955", "2049-3630", "0317-8471", "1050-124X", "0028-0836", "1476-4687"}
)

// Generate returns the titles for opts.
func Generate(opts Options) []Title {
	out := make([]Title, 0, opts.Titles)
	Each(opts, func(t Title) { out = append(out, t) })
	return out
}

// Each calls fn for each generated title without keeping them.
func Each(opts Options, fn func(Title)) {
	r := rand.New(rand.NewPCG(uint64(opts.Seed), 0x6d656469617370))
	for i := 0; i < opts.Titles; i++ {
		fn(one(r, i, opts))
	}
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func one(r *rand.Rand, i int, opts Options) Title {
	pl := pick(r, places)
	st := subtypes[r.IntN(len(subtypes))]
	name := pick(r, []string{"De ", "La ", "Le ", "Het ", "L'", ""}) + pick(r, words) + " " + pl.town
	t := Title{
		Key: fmt.Sprintf("%s%06d", cmp.Or(opts.KeyPrefix, "T"), i), Name: name, MediaType: st.media,
		Segment:   pick(r, []string{"B2C", "B2C", "B2B"}),
		Frequency: pick(r, freqs),
		DescNL:    fmt.Sprintf("%s uit %s: nieuws, cultuur en sport voor de regio.", st.nl, pl.town),
		DescFR:    fmt.Sprintf("%s de %s : l'actualité, la culture et le sport de la région.", st.fr, pl.town),
		Languages: []string{pl.lang}, Countries: []string{pl.country}, Regions: []string{pl.region}, PostalCodes: []string{pl.postal},
		Topics:    []string{pick(r, topics), pick(r, topics)},
		Publisher: pick(r, []string{"Éditions ", "Uitgeverij ", "Verlag "}) + pick(r, lastName), PublisherID: fmt.Sprintf("org_p%03d", r.IntN(200)),
		SalesHouse: pick(r, houses), SalesHouseID: fmt.Sprintf("org_s%02d", r.IntN(20)),
		Website:     fmt.Sprintf("www.%s.%s", strings.ToLower(strings.NewReplacer(" ", "", "'", "", "é", "e", "ë", "e", "ç", "c", "ü", "u", "ô", "o", "è", "e", "É", "e", "-", "").Replace(name)), strings.ToLower(pl.country)),
		Circulation: 1000 + r.IntN(300000), Readership: 5000 + r.IntN(900000),
		Period: fmt.Sprintf("%d", 2022+r.IntN(3)),
	}
	if r.IntN(3) == 0 {
		t.SubType = st.sub
	} else {
		t.SubType = pick(r, []string{st.nl, st.fr, st.de})
	}
	if pl.lang == "de" || r.IntN(4) == 0 {
		t.DescDE = fmt.Sprintf("%s aus %s: Nachrichten, Kultur und Sport für die Region.", st.de, pl.town)
	}
	if st.media == "print" && r.IntN(2) == 0 {
		t.ISSN = pick(r, issnOK)
	}
	n := 1 + r.IntN(3)
	for j := 0; j < n; j++ {
		a := Ad{Basis: "per insertion"}
		switch st.media {
		case "print":
			a.Name = pick(r, []string{"1/1 pagina", "1/2 pagina liggend", "1/4 pagina", "Cover achterzijde"})
			a.W, a.H, a.Unit = float64(200+r.IntN(90)), float64(260+r.IntN(120)), "mm"
			if j > 0 {
				a.W = float64(int(a.W)/2) + 0.5
			}
		case "radio":
			a.Name, a.Seconds, a.Unit, a.Basis = fmt.Sprintf("Spot %ds", []int{10, 20, 30}[j]), []int{10, 20, 30}[j], "s", "per spot"
		case "online":
			sz := pick(r, [][2]float64{{300, 250}, {728, 90}, {970, 250}, {160, 600}})
			a.Name, a.W, a.H, a.Unit, a.Basis = fmt.Sprintf("Display %gx%g", sz[0], sz[1]), sz[0], sz[1], "px", "CPM"
		default:
			a.Name, a.W, a.H, a.Unit, a.Basis = fmt.Sprintf("Affiche %d", j+1), 1185, 1750, "mm", "per week"
		}
		a.Name = fmt.Sprintf("%s #%d", a.Name, j+1)
		a.PriceCents = int64(5000+r.IntN(2_000_000)) / 50 * 50
		t.Ads = append(t.Ads, a)
	}
	fn, ln := pick(r, firstName), pick(r, lastName)
	t.Contact = Contact{
		Role: pick(r, []string{"Verkoop", "Régie", "Redactie", "Rédaction", "sales"}), Name: fn + " " + ln,
		Email:     strings.ToLower(strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ï", "i", "ü", "u", "ö", "o").Replace(fn+"."+ln)) + "@example.be",
		Languages: []string{pl.lang},
	}
	switch pl.country {
	case "BE":
		t.Contact.Phone = fmt.Sprintf("047%d %02d %02d %02d", r.IntN(10), r.IntN(100), r.IntN(100), r.IntN(100))
	case "LU":
		t.Contact.Phone = fmt.Sprintf("+352 621 %03d %03d", r.IntN(1000), r.IntN(1000))
	default:
		t.Contact.Phone = fmt.Sprintf("+33 6 12 %02d %02d %02d", r.IntN(100), r.IntN(100), r.IntN(100))
	}
	if opts.BadEvery > 0 && (i+1)%opts.BadEvery == 0 {
		switch r.IntN(4) {
		case 0:
			t.Bad = "circulation"
		case 1:
			t.Bad = "email"
		case 2:
			t.Bad = "country"
		default:
			t.Bad = "media_type"
		}
	}
	return t
}
