package catalog

import "testing"

func TestEverySubtypeAndMediaTypeHasFourLabels(t *testing.T) {
	for sub := range SubTypeMedia {
		for _, l := range Langs {
			if subTypeLabels[sub][l] == "" {
				t.Errorf("subtype %s has no %s label", sub, l)
			}
		}
	}
	for _, mt := range MediaTypes {
		for _, l := range Langs {
			if mediaTypeLabels[mt][l] == "" {
				t.Errorf("media type %s has no %s label", mt, l)
			}
		}
	}
}

func TestLabel(t *testing.T) {
	for _, tc := range []struct {
		kind, value string
		lang        Lang
		want        string
	}{
		{"subtype", "daily", NL, "Dagblad"},
		{"subtype", "free_sheet", FR, "Toutes-boîtes"},
		{"type", "outdoor", DE, "Außenwerbung"},
		{"status", "closed", EN, "Closed"},
		{"region", "BE1", FR, "Région de Bruxelles-Capitale"},
		{"subtype", "unknown_kind", FR, "unknown_kind"},
		{"country", "BE", NL, "BE"},
	} {
		if got := Label(tc.kind, tc.value, tc.lang); got != tc.want {
			t.Errorf("Label(%s, %s, %s) = %q, want %q", tc.kind, tc.value, tc.lang, got, tc.want)
		}
	}
}
