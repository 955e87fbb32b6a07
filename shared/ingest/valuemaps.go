package ingest

// builtinValueMaps hold the supplier spellings (nl/fr/de/en) every profile
// understands; each canonical value also maps to itself. A profile's
// valueMaps add to them.
var builtinValueMaps = func() map[string]map[string]string {
	m := map[string]map[string]string{
		"mediaType": {
			"print": "print", "presse": "print", "pers": "print", "druck": "print", "presse ecrite": "print", "gedrukte pers": "print", "printmedien": "print",
			"tv": "tv", "television": "tv", "televisie": "tv", "fernsehen": "tv",
			"radio": "radio", "rundfunk": "radio",
			"online": "online", "internet": "online", "digital": "online", "numerique": "online", "digitaal": "online", "web": "online",
			"influencer": "influencer", "influenceur": "influencer", "creator": "influencer",
			"outdoor": "outdoor", "affichage": "outdoor", "buitenreclame": "outdoor", "ooh": "outdoor", "dooh": "outdoor", "aussenwerbung": "outdoor",
			"cinema": "cinema", "bioscoop": "cinema", "kino": "cinema",
			"in_store": "in_store", "in store": "in_store", "instore": "in_store", "point de vente": "in_store", "winkel": "in_store", "pos": "in_store",
		},
		"subType": {
			"daily": "daily", "quotidien": "daily", "dagblad": "daily", "tageszeitung": "daily", "daily newspaper": "daily", "krant": "daily", "journal": "daily", "zeitung": "daily",
			"magazine": "magazine", "tijdschrift": "magazine", "zeitschrift": "magazine", "magazin": "magazine", "publieksblad": "magazine", "weekblad": "magazine", "hebdomadaire": "magazine", "revue": "magazine",
			"free_sheet": "free_sheet", "free sheet": "free_sheet", "huis aan huisblad": "free_sheet", "huis aan huis": "free_sheet", "toutes boites": "free_sheet", "toutes boite": "free_sheet", "presse gratuite": "free_sheet", "gratuit": "free_sheet", "anzeigenblatt": "free_sheet", "gratis krant": "free_sheet",
			"trade": "trade", "vakblad": "trade", "presse professionnelle": "trade", "revue professionnelle": "trade", "fachzeitschrift": "trade", "fachpresse": "trade", "b2b": "trade",
			"tv_national": "tv_national", "tv nationale": "tv_national", "nationale tv": "tv_national", "tv national": "tv_national",
			"tv_regional": "tv_regional", "tv regionale": "tv_regional", "regionale tv": "tv_regional", "tv regional": "tv_regional",
			"tv_thematic": "tv_thematic", "chaine thematique": "tv_thematic", "themazender": "tv_thematic",
			"radio_national": "radio_national", "radio nationale": "radio_national", "nationale radio": "radio_national", "radio national": "radio_national",
			"radio_regional": "radio_regional", "radio regionale": "radio_regional", "regionale radio": "radio_regional", "radio regional": "radio_regional",
			"website": "website", "site web": "website", "site internet": "website", "webseite": "website", "site": "website",
			"newsletter": "newsletter", "nieuwsbrief": "newsletter", "lettre d information": "newsletter",
			"podcast":   "podcast",
			"billboard": "billboard", "affiche": "billboard", "aanplakbord": "billboard", "plakat": "billboard", "panneau": "billboard",
			"transit": "transit", "transport": "transit", "bus": "transit", "metro": "transit",
			"street_furniture": "street_furniture", "abri": "street_furniture", "abribus": "street_furniture", "bus shelter": "street_furniture", "mobilier urbain": "street_furniture", "wachthuisje": "street_furniture",
			"cinema_screen": "cinema_screen", "ecran": "cinema_screen", "cinema": "cinema_screen", "bioscoop": "cinema_screen", "kino": "cinema_screen",
			"in_store_tv": "in_store_tv", "in store tv": "in_store_tv", "tv en magasin": "in_store_tv", "winkel tv": "in_store_tv",
			"in_store_radio": "in_store_radio", "in store radio": "in_store_radio", "radio en magasin": "in_store_radio", "winkelradio": "in_store_radio",
			"social_creator": "social_creator", "influencer": "social_creator", "influenceur": "social_creator", "creator": "social_creator",
		},
		"segment": {
			"b2c": "B2C", "consumer": "B2C", "grand public": "B2C", "publiek": "B2C", "publieksgericht": "B2C", "publikum": "B2C",
			"b2b": "B2B", "business": "B2B", "professionnel": "B2B", "professioneel": "B2B", "vak": "B2B", "fach": "B2B",
		},
		"frequency": {
			"daily": "daily", "quotidien": "daily", "dagelijks": "daily", "taglich": "daily", "dag": "daily",
			"weekly": "weekly", "hebdomadaire": "weekly", "hebdo": "weekly", "wekelijks": "weekly", "wochentlich": "weekly", "week": "weekly",
			"biweekly": "biweekly", "bimensuel": "biweekly", "tweewekelijks": "biweekly", "zweiwochentlich": "biweekly", "quinzomadaire": "biweekly",
			"monthly": "monthly", "mensuel": "monthly", "maandelijks": "monthly", "monatlich": "monthly", "maand": "monthly",
			"bimonthly": "bimonthly", "bimestriel": "bimonthly", "tweemaandelijks": "bimonthly", "zweimonatlich": "bimonthly",
			"quarterly": "quarterly", "trimestriel": "quarterly", "driemaandelijks": "quarterly", "vierteljahrlich": "quarterly", "kwartaal": "quarterly",
			"yearly": "yearly", "annual": "yearly", "annuel": "yearly", "jaarlijks": "yearly", "jahrlich": "yearly",
			"irregular": "irregular", "irregulier": "irregular", "onregelmatig": "irregular", "unregelmassig": "irregular",
			"continuous": "continuous", "continu": "continuous", "doorlopend": "continuous", "24/7": "continuous", "permanent": "continuous",
		},
		"status": {
			"active": "active", "actif": "active", "actief": "active", "aktiv": "active",
			"closed": "closed", "arrete": "closed", "stopgezet": "closed", "eingestellt": "closed", "ferme": "closed", "gestopt": "closed",
			"merged": "merged", "fusionne": "merged", "gefusioneerd": "merged", "fusioniert": "merged",
		},
		"coverage.level": {
			"national": "national", "nationaal": "national", "landelijk": "national",
			"regional": "regional", "regionaal": "regional",
			"local": "local", "lokaal": "local", "lokal": "local",
			"international": "international", "internationaal": "international",
		},
		"measurement.status": {
			"stated": "stated", "declare": "stated", "verklaard": "stated", "opgegeven": "stated", "declaration": "stated", "erklart": "stated",
			"authenticated": "authenticated", "authentifie": "authenticated", "geauthentiseerd": "authenticated", "certifie": "authenticated", "certified": "authenticated", "gecertificeerd": "authenticated", "beglaubigt": "authenticated",
		},
		"adProduct.channel": nil, // filled from mediaType below
		"adProduct.kind": {
			"display": "display", "annonce": "display", "advertentie": "display", "anzeige": "display", "banner": "display",
			"spot": "spot", "commercial": "spot", "reclamespot": "spot",
			"sponsoring": "sponsoring", "parrainage": "sponsoring", "sponsorship": "sponsoring",
			"branded_content": "branded_content", "branded content": "branded_content", "publireportage": "branded_content", "advertorial": "branded_content",
			"insert": "insert", "encart": "insert", "bijsluiter": "insert", "beilage": "insert", "inlegvel": "insert",
			"classified": "classified", "petite annonce": "classified", "zoekertje": "classified", "kleinanzeige": "classified",
			"video": "video", "native": "native", "post": "post",
		},
		"adProduct.basis": {
			"per_insertion": "per_insertion", "per insertion": "per_insertion", "par insertion": "per_insertion", "per plaatsing": "per_insertion", "pro schaltung": "per_insertion", "insertion": "per_insertion",
			"cpm": "cpm", "par mille": "cpm", "per 1000": "cpm", "tkp": "cpm",
			"cpc":      "cpc",
			"per_spot": "per_spot", "per spot": "per_spot", "par spot": "per_spot", "pro spot": "per_spot",
			"per_day": "per_day", "per dag": "per_day", "par jour": "per_day", "pro tag": "per_day",
			"per_week": "per_week", "per week": "per_week", "par semaine": "per_week", "pro woche": "per_week",
			"per_month": "per_month", "per maand": "per_month", "par mois": "per_month", "pro monat": "per_month",
			"per_post": "per_post", "per post": "per_post", "par post": "per_post",
			"per_1000_copies": "per_1000_copies", "per 1000 ex": "per_1000_copies", "par 1000 ex": "per_1000_copies",
			"package": "package", "pakket": "package", "forfait": "package", "paket": "package",
		},
		"adProduct.priceType": {
			"gross": "gross", "brut": "gross", "bruto": "gross", "brutto": "gross",
			"net": "net", "netto": "net",
		},
		"contact.role": {
			"general": "general", "algemeen": "general", "allgemein": "general", "info": "general",
			"sales": "sales", "commercial": "sales", "verkoop": "sales", "vente": "sales", "regie": "sales", "vertrieb": "sales", "verkauf": "sales", "advertising": "sales", "publicite": "sales", "reclame": "sales",
			"editorial": "editorial", "redaction": "editorial", "redactie": "editorial", "redaktion": "editorial",
			"traffic": "traffic", "technical": "technical", "technique": "technical", "technisch": "technical", "technik": "technical", "productie": "technical", "production": "technical",
			"marketing": "marketing",
		},
		"contact.gdprBasis": {
			"legitimate_interest": "legitimate_interest", "legitimate interest": "legitimate_interest", "interet legitime": "legitimate_interest", "gerechtvaardigd belang": "legitimate_interest", "berechtigtes interesse": "legitimate_interest",
			"consent": "consent", "consentement": "consent", "toestemming": "consent", "einwilligung": "consent",
			"contract": "contract", "contrat": "contract", "vertrag": "contract", "overeenkomst": "contract",
		},
	}
	m["adProduct.channel"] = m["mediaType"]
	return m
}()
