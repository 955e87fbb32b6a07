package catalog

// Display labels of the controlled vocabularies, per language. The search
// index stores a subtype's labels with each title so that a user typing
// "krant", "quotidien" or "Tageszeitung" finds dailies whatever their name,
// and facets show labels in the user's language.
var (
	mediaTypeLabels = map[MediaType]map[Lang]string{
		MediaPrint:      {NL: "Print", FR: "Presse écrite", DE: "Print", EN: "Print"},
		MediaTV:         {NL: "Televisie", FR: "Télévision", DE: "Fernsehen", EN: "Television"},
		MediaRadio:      {NL: "Radio", FR: "Radio", DE: "Radio", EN: "Radio"},
		MediaOnline:     {NL: "Online", FR: "En ligne", DE: "Online", EN: "Online"},
		MediaInfluencer: {NL: "Influencer", FR: "Influenceur", DE: "Influencer", EN: "Influencer"},
		MediaOutdoor:    {NL: "Buitenreclame", FR: "Affichage", DE: "Außenwerbung", EN: "Outdoor"},
		MediaCinema:     {NL: "Bioscoop", FR: "Cinéma", DE: "Kino", EN: "Cinema"},
		MediaInStore:    {NL: "In de winkel", FR: "En magasin", DE: "Im Geschäft", EN: "In-store"},
	}
	subTypeLabels = map[SubType]map[Lang]string{
		SubDaily:       {NL: "Dagblad", FR: "Quotidien", DE: "Tageszeitung", EN: "Daily newspaper"},
		SubMagazine:    {NL: "Tijdschrift", FR: "Magazine", DE: "Zeitschrift", EN: "Magazine"},
		SubFreeSheet:   {NL: "Huis-aan-huisblad", FR: "Toutes-boîtes", DE: "Anzeigenblatt", EN: "Free sheet"},
		SubTrade:       {NL: "Vakblad", FR: "Presse professionnelle", DE: "Fachzeitschrift", EN: "Trade magazine"},
		SubTVNational:  {NL: "Nationale televisie", FR: "Télévision nationale", DE: "Nationales Fernsehen", EN: "National television"},
		SubTVRegional:  {NL: "Regionale televisie", FR: "Télévision régionale", DE: "Regionalfernsehen", EN: "Regional television"},
		SubTVThematic:  {NL: "Themazender", FR: "Chaîne thématique", DE: "Spartensender", EN: "Thematic channel"},
		SubRadioNat:    {NL: "Nationale radio", FR: "Radio nationale", DE: "Nationales Radio", EN: "National radio"},
		SubRadioReg:    {NL: "Regionale radio", FR: "Radio régionale", DE: "Regionalradio", EN: "Regional radio"},
		SubWebsite:     {NL: "Website", FR: "Site web", DE: "Website", EN: "Website"},
		SubNewsletter:  {NL: "Nieuwsbrief", FR: "Newsletter", DE: "Newsletter", EN: "Newsletter"},
		SubPodcast:     {NL: "Podcast", FR: "Podcast", DE: "Podcast", EN: "Podcast"},
		SubBillboard:   {NL: "Aanplakbord", FR: "Panneau d'affichage", DE: "Plakatwand", EN: "Billboard"},
		SubTransit:     {NL: "Vervoersreclame", FR: "Publicité transport", DE: "Verkehrsmittelwerbung", EN: "Transit advertising"},
		SubStreetFurn:  {NL: "Straatmeubilair", FR: "Mobilier urbain", DE: "Stadtmöblierung", EN: "Street furniture"},
		SubScreen:      {NL: "Bioscoopscherm", FR: "Écran de cinéma", DE: "Kinoleinwand", EN: "Cinema screen"},
		SubInStoreTV:   {NL: "Winkel-tv", FR: "TV en magasin", DE: "Instore-TV", EN: "In-store TV"},
		SubInStoreRad:  {NL: "Winkelradio", FR: "Radio en magasin", DE: "Instore-Radio", EN: "In-store radio"},
		SubInfluencerS: {NL: "Contentcreator", FR: "Créateur de contenu", DE: "Content Creator", EN: "Content creator"},
	}
	statusLabels = map[Status]map[Lang]string{
		StatusActive: {NL: "Actief", FR: "Actif", DE: "Aktiv", EN: "Active"},
		StatusClosed: {NL: "Stopgezet", FR: "Arrêté", DE: "Eingestellt", EN: "Closed"},
		StatusMerged: {NL: "Samengevoegd", FR: "Fusionné", DE: "Fusioniert", EN: "Merged"},
	}
)

// SubTypeLabels returns the labels of a subtype in every language (nil if unknown).
func SubTypeLabels(s SubType) map[Lang]string { return subTypeLabels[s] }

// Label returns the display label of a vocabulary value in lang: kind is
// "type", "subtype", "status", "region" or "language"/"country" (codes shown
// as they are). Unknown values come back unchanged.
func Label(kind, value string, lang Lang) string {
	var m map[Lang]string
	switch kind {
	case "type":
		m = mediaTypeLabels[MediaType(value)]
	case "subtype":
		m = subTypeLabels[SubType(value)]
	case "status":
		m = statusLabels[Status(value)]
	case "region":
		// NUTS names are not keyed by language: show the official (first) name.
		for _, r := range NUTS {
			if r.Code == value && len(r.Names) > 0 {
				return r.Names[0]
			}
		}
	}
	if l := m[lang]; l != "" {
		return l
	}
	return value
}
