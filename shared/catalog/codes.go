package catalog

import "strings"

// iso3166 is every ISO 3166-1 alpha-2 code, space separated.
const iso3166 = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

// iso639 is every ISO 639-1 code, space separated.
const iso639 = "aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu " +
	"fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky " +
	"la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu " +
	"rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz " +
	"ve vi vo wa wo xh yi yo za zh zu"

func set(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[f] = true
	}
	return m
}

var (
	countries = set(iso3166)
	languages = set(iso639)
)

// IsCountry reports whether c is an ISO 3166-1 alpha-2 code (upper case).
func IsCountry(c string) bool { return countries[c] }

// IsLanguage reports whether l is an ISO 639-1 code (lower case).
func IsLanguage(l string) bool { return languages[l] }

// Region is one NUTS region of the BE/LU/FR subset the catalogue uses.
type Region struct {
	Code string
	// Names are the official and common names in nl/fr/de/en, used by the
	// ingest normaliser to map supplier spellings to the code.
	Names []string
}

// NUTS is the NUTS 2021 subset for Belgium (levels 1–2), Luxembourg (0–3)
// and France (levels 1–2, metropolitan and overseas).
var NUTS = []Region{
	{"BE", []string{"Belgique", "België", "Belgien", "Belgium"}},
	{"BE1", []string{"Région de Bruxelles-Capitale", "Brussels Hoofdstedelijk Gewest", "Brussels-Capital Region", "Bruxelles", "Brussel", "Brussels", "Brüssel"}},
	{"BE10", []string{"Arr. de Bruxelles-Capitale", "Arr. van Brussel-Hoofdstad"}},
	{"BE2", []string{"Vlaams Gewest", "Région flamande", "Flämische Region", "Flanders", "Vlaanderen", "Flandre", "Flandern"}},
	{"BE21", []string{"Prov. Antwerpen", "Antwerpen", "Anvers", "Antwerp"}},
	{"BE22", []string{"Prov. Limburg (BE)", "Limburg", "Limbourg"}},
	{"BE23", []string{"Prov. Oost-Vlaanderen", "Oost-Vlaanderen", "Flandre-Orientale", "East Flanders", "Ostflandern"}},
	{"BE24", []string{"Prov. Vlaams-Brabant", "Vlaams-Brabant", "Brabant flamand", "Flemish Brabant", "Flämisch-Brabant"}},
	{"BE25", []string{"Prov. West-Vlaanderen", "West-Vlaanderen", "Flandre-Occidentale", "West Flanders", "Westflandern"}},
	{"BE3", []string{"Région wallonne", "Waals Gewest", "Wallonische Region", "Wallonia", "Wallonie", "Wallonië", "Wallonien"}},
	{"BE31", []string{"Prov. Brabant wallon", "Brabant wallon", "Waals-Brabant", "Walloon Brabant", "Wallonisch-Brabant"}},
	{"BE32", []string{"Prov. Hainaut", "Hainaut", "Henegouwen", "Hennegau"}},
	{"BE33", []string{"Prov. Liège", "Liège", "Luik", "Lüttich", "Liege"}},
	{"BE34", []string{"Prov. Luxembourg (BE)", "Luxembourg (BE)", "Luxemburg (BE)", "Province de Luxembourg"}},
	{"BE35", []string{"Prov. Namur", "Namur", "Namen"}},
	{"LU", []string{"Luxembourg", "Luxemburg", "Lëtzebuerg", "Grand-Duché de Luxembourg", "Groothertogdom Luxemburg"}},
	{"LU0", nil}, {"LU00", nil}, {"LU000", nil},
	{"FR", []string{"France", "Frankrijk", "Frankreich"}},
	{"FR1", []string{"Ile-de-France", "Île-de-France"}},
	{"FR10", nil},
	{"FRB", []string{"Centre-Val de Loire"}}, {"FRB0", nil},
	{"FRC", []string{"Bourgogne-Franche-Comté"}}, {"FRC1", []string{"Bourgogne"}}, {"FRC2", []string{"Franche-Comté"}},
	{"FRD", []string{"Normandie", "Normandy"}}, {"FRD1", []string{"Basse-Normandie"}}, {"FRD2", []string{"Haute-Normandie"}},
	{"FRE", []string{"Hauts-de-France"}}, {"FRE1", []string{"Nord-Pas-de-Calais"}}, {"FRE2", []string{"Picardie"}},
	{"FRF", []string{"Grand Est"}}, {"FRF1", []string{"Alsace"}}, {"FRF2", []string{"Champagne-Ardenne"}}, {"FRF3", []string{"Lorraine"}},
	{"FRG", []string{"Pays de la Loire"}}, {"FRG0", nil},
	{"FRH", []string{"Bretagne", "Brittany"}}, {"FRH0", nil},
	{"FRI", []string{"Nouvelle-Aquitaine"}}, {"FRI1", []string{"Aquitaine"}}, {"FRI2", []string{"Limousin"}}, {"FRI3", []string{"Poitou-Charentes"}},
	{"FRJ", []string{"Occitanie"}}, {"FRJ1", []string{"Languedoc-Roussillon"}}, {"FRJ2", []string{"Midi-Pyrénées"}},
	{"FRK", []string{"Auvergne-Rhône-Alpes"}}, {"FRK1", []string{"Auvergne"}}, {"FRK2", []string{"Rhône-Alpes"}},
	{"FRL", []string{"Provence-Alpes-Côte d'Azur", "PACA"}}, {"FRL0", nil},
	{"FRM", []string{"Corse", "Corsica"}}, {"FRM0", nil},
	{"FRY", []string{"RUP FR — Régions ultrapériphériques françaises"}},
	{"FRY1", []string{"Guadeloupe"}}, {"FRY2", []string{"Martinique"}}, {"FRY3", []string{"Guyane"}}, {"FRY4", []string{"La Réunion", "Réunion"}}, {"FRY5", []string{"Mayotte"}},
}

var nutsCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range NUTS {
		m[r.Code] = true
	}
	return m
}()

// IsNUTS reports whether code is in the NUTS subset.
func IsNUTS(code string) bool { return nutsCodes[code] }
