package catalog

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

func sample() Title {
	t := Title{
		ID: StableID("dpg", "DVK-001"), Status: StatusActive, Name: "De Voorbeeldkrant",
		MediaType: MediaPrint, SubType: SubDaily, Segment: SegmentB2C,
		Frequency:        Frequency{Code: "daily", IssuesPerYear: 306},
		ContentLanguages: []string{"nl"}, OriginalLanguage: "nl",
		Coverage:  Coverage{Level: "regional", Countries: []string{"BE"}, Regions: []string{"BE21"}, PostalCodes: []string{"2000"}},
		Publisher: OrgRef{ID: "org_1", Name: "Example Media NV"},
		Measurements: []Measurement{
			{ID: "ms_1", Metric: "readership", Value: 412000, Unit: "persons", Period: "2023", Status: MeasurementStated, Source: "cim"},
		},
		AdProducts: []AdProduct{{ID: "ap_1", Channel: MediaPrint, Kind: "display", Dimensions: Dimensions{Unit: "mm", Width: 262, Height: 352, BleedMM: 5},
			Delivery: "Medibel+", Prices: []Price{{AmountMinor: 1250000, Currency: "EUR", Basis: "per_insertion", Type: "gross", ValidFrom: "2025-01-01", ValidTo: "2025-12-31"}}}},
		Contacts:    []Contact{{Role: "sales", Name: "Jan Peeters", Email: "jan@example.be", Phone: "+3231234567", Languages: []string{"nl", "fr"}, GDPR: GDPR{Basis: "legitimate_interest"}}},
		Identifiers: Identifiers{SupplierKeys: map[string]string{"dpg": "DVK-001"}, ISSN: []string{"0378-5955"}, Domains: []string{"example.be"}},
	}
	t.Description.Set(NL, "Regionaal dagblad", false)
	return t
}

func TestStableID(t *testing.T) {
	t.Parallel()
	a := StableID("dpg", "DVK-001")
	for _, tc := range []struct {
		name, supplier, key string
		same                bool
	}{
		{"identical", "dpg", "DVK-001", true},
		{"case and spaces", " DPG ", "dvk-001 ", true},
		{"NFD accents equal NFC", "rossel", "Le Soir e\u0301dition", false},
		{"other key", "dpg", "DVK-002", false},
		{"other supplier", "rossel", "DVK-001", false},
		{"no concatenation ambiguity", "dpgD", "VK-001", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := StableID(tc.supplier, tc.key)
			if (got == a) != tc.same {
				t.Errorf("StableID(%q, %q) = %s; same as %s: got %v, want %v", tc.supplier, tc.key, got, a, got == a, tc.same)
			}
			if len(got) != 23 || strings.Trim(got[3:], "abcdefghijklmnopqrstuvwxyz234567") != "" {
				t.Errorf("got id %q, want mt_ + 20 base32 characters", got)
			}
		})
	}
	if got, want := StableID("x", "Le Soir e\u0301dition"), StableID("x", "le soir édition"); got != want {
		t.Errorf("NFD vs NFC: got %s, want %s", got, want)
	}
}

func TestHashIgnoresBookkeeping(t *testing.T) {
	t.Parallel()
	a, b := sample(), sample()
	b.UpdatedAt = time.Now()
	b.Version = 9
	b.ContentHash = "x"
	b.Provenance = map[Block]Provenance{BlockIdentity: {Supplier: "dpg", ImportedAt: time.Now()}}
	if got, want := b.Hash(), a.Hash(); got != want {
		t.Errorf("got hash %s, want %s", got, want)
	}
	b.Name = "Other"
	if b.Hash() == a.Hash() {
		t.Error("got equal hashes after a name change, want different")
	}
	c := sample()
	c.Coverage.Countries = []string{"LU", "BE", "BE"}
	d := sample()
	d.Coverage.Countries = []string{"BE", "LU"}
	c.Canonicalize()
	d.Canonicalize()
	if c.Hash() != d.Hash() {
		t.Error("got different hashes for the same set in another order, want equal")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := func() error { s := sample(); return s.Validate() }(); err != nil {
		t.Fatalf("sample: got %v, want valid", err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Title)
		want   string
	}{
		{"no name", func(t *Title) { t.Name = "" }, "name: is required"},
		{"bad media type", func(t *Title) { t.MediaType = "hologram" }, `mediaType: must be one of print, tv`},
		{"subtype of another type", func(t *Title) { t.SubType = SubWebsite }, "subType: belongs to media type online, not print"},
		{"fractional circulation", func(t *Title) {
			t.Measurements = []Measurement{{Metric: "circulation", Unit: "copies", Value: 12.5}}
		}, `circulation: must be a whole number ≥ 0, got "12.5"`},
		{"percent over 100", func(t *Title) { t.Measurements = []Measurement{{Metric: "reach", Unit: "percent", Value: 120}} }, "reach: must be a percentage"},
		{"country", func(t *Title) { t.Coverage.Countries = []string{"XX"} }, "coverage.countries[0]: must be an ISO 3166-1"},
		{"region", func(t *Title) { t.Coverage.Regions = []string{"NL32"} }, "coverage.regions[0]: must be a NUTS code"},
		{"postal", func(t *Title) { t.Coverage.PostalCodes = []string{"750"} }, "coverage.postalCodes[0]"},
		{"language", func(t *Title) { t.ContentLanguages = []string{"xx"} }, "contentLanguages[0]: must be an ISO 639-1"},
		{"currency", func(t *Title) { t.AdProducts[0].Prices[0].Currency = "€" }, "adProducts[0].prices[0].currency: must be an ISO 4217 code"},
		{"validity window", func(t *Title) { t.AdProducts[0].Prices[0].ValidTo = "2024-01-01" }, "must not be before validFrom"},
		{"px fraction", func(t *Title) { t.AdProducts[0].Dimensions = Dimensions{Unit: "px", Width: 300.5, Height: 250} }, "whole number of pixels"},
		{"phone not E.164", func(t *Title) { t.Contacts[0].Phone = "03 123 45 67" }, "contacts[0].phone: must be an E.164"},
		{"gdpr basis", func(t *Title) { t.Contacts[0].GDPR.Basis = "because" }, "contacts[0].gdpr.basis"},
		{"issn check digit", func(t *Title) { t.Identifiers.ISSN = []string{"0378-5954"} }, "identifiers.issn[0]"},
		{"merged without target", func(t *Title) { t.Status = StatusMerged }, "mergedInto: is required"},
		{"control chars", func(t *Title) { t.Name = "De\x07Krant" }, "name: must not contain control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ti := sample()
			tc.mutate(&ti)
			err := ti.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if !errors.Is(err, apperr.InvalidArgument) {
				t.Errorf("got %v, want it to wrap apperr.InvalidArgument", err)
			}
		})
	}
}

func TestBestFallback(t *testing.T) {
	t.Parallel()
	var l LocalText
	l.Set(FR, "Quotidien", false)
	l.Set(EN, "Daily (MT)", true)
	for _, tc := range []struct {
		pref   Lang
		want   string
		wantIn Lang
	}{
		{FR, "Quotidien", FR},
		{NL, "Quotidien", FR}, // human text beats machine translation
		{EN, "Quotidien", FR},
	} {
		got, in, ok := l.Best(tc.pref)
		if !ok || got.Text != tc.want || in != tc.wantIn {
			t.Errorf("Best(%s): got %q in %s, want %q in %s", tc.pref, got.Text, in, tc.want, tc.wantIn)
		}
	}
	var m LocalText
	m.Set(DE, "Tageszeitung (MT)", true)
	if got, in, _ := m.Best(NL); got.Text != "Tageszeitung (MT)" || in != DE || !got.MachineTranslated {
		t.Errorf("machine-only: got %+v in %s, want the German machine translation", got, in)
	}
	if _, _, ok := (LocalText{}).Best(NL); ok {
		t.Error("empty: got ok, want false")
	}
}

func TestMergeOwnership(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	dpg := Provenance{Supplier: "dpg", File: "rc.csv"}
	cim := Provenance{Supplier: "cim", File: "audience.xlsx"}

	first := Merge(nil, sample(), dpg, t0)
	if !first.Created || first.Title.Version != 1 || first.Title.Provenance[BlockIdentity].Supplier != "dpg" {
		t.Fatalf("create: got %+v", first)
	}
	stored := first.Title

	// Same delivery again: unchanged, no write.
	again := Merge(&stored, sample(), dpg, t0.Add(time.Hour))
	if !again.Unchanged || again.Title.Version != 1 {
		t.Fatalf("re-delivery: got unchanged=%v version=%d, want true 1", again.Unchanged, again.Title.Version)
	}

	// Another supplier may not overwrite identity, but adds its measurements.
	in := Title{ID: stored.ID, Name: "Hijacked", MediaType: MediaPrint,
		Measurements: []Measurement{{ID: "ms_2", Metric: "readership", Value: 500000, Unit: "persons", Period: "2024", Status: MeasurementAuthenticated}},
		Identifiers:  Identifiers{SupplierKeys: map[string]string{"cim": "B123"}}}
	res := Merge(&stored, in, cim, t0.Add(2*time.Hour))
	if res.Title.Name != "De Voorbeeldkrant" {
		t.Errorf("got name %q, want the owner's name kept", res.Title.Name)
	}
	if len(res.Refused) != 1 || res.Refused[0] != BlockIdentity {
		t.Errorf("got refused %v, want [identity]", res.Refused)
	}
	if got := len(res.Title.Measurements); got != 2 {
		t.Errorf("got %d measurements, want 2 (dpg's and cim's)", got)
	}
	if h := res.Title.Headline["readership"]; h.Value != 500000 || h.Period != "2024" {
		t.Errorf("got headline %+v, want the 2024 value", h)
	}
	if res.Title.Identifiers.SupplierKeys["cim"] != "B123" || res.Title.Identifiers.SupplierKeys["dpg"] != "DVK-001" {
		t.Errorf("got supplier keys %v, want both", res.Title.Identifiers.SupplierKeys)
	}
	if res.Title.Version != 2 || !res.Title.UpdatedAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("got version %d at %v, want 2 at +2h", res.Title.Version, res.Title.UpdatedAt)
	}
	if stored.Identifiers.SupplierKeys["cim"] != "" || len(stored.Measurements) != 1 {
		t.Error("Merge modified the stored title")
	}

	// Editorial staff overwrite any block.
	ed := Merge(&res.Title, Title{Name: "De Nieuwe Krant", MediaType: MediaPrint}, Provenance{Supplier: EditorialSupplier}, t0.Add(3*time.Hour))
	if ed.Title.Name != "De Nieuwe Krant" || ed.Title.Provenance[BlockIdentity].Supplier != EditorialSupplier {
		t.Errorf("editorial: got %q owned by %s", ed.Title.Name, ed.Title.Provenance[BlockIdentity].Supplier)
	}

	// The change record names blocks and fields.
	c := NewChange(&res.Title, ed, Provenance{Supplier: EditorialSupplier}, t0)
	if c.Kind != "updated" || c.OldHash != res.Title.ContentHash || c.NewHash != ed.Title.ContentHash || c.ID != ed.Title.ID+":3" {
		t.Errorf("got change %+v", c)
	}
	if strings.Join(c.Fields, ",") != "contentLanguages,description,frequency,name,originalLanguage,segment,subType" {
		t.Errorf("got fields %v", c.Fields)
	}
	if len(c.Blocks) != 1 || c.Blocks[0] != BlockIdentity {
		t.Errorf("got blocks %v, want [identity]", c.Blocks)
	}
	b, err := json.Marshal(c)
	if err != nil || !strings.Contains(string(b), `"titleId"`) {
		t.Errorf("got %s, %v", b, err)
	}
}

func TestCheckSize(t *testing.T) {
	t.Parallel()
	ti := sample()
	if n, err := CheckSize(&ti); err != nil || n == 0 {
		t.Fatalf("small: got %d, %v", n, err)
	}
	if b, _ := json.Marshal(&ti); ti.SizeBound() < len(b) {
		t.Errorf("got SizeBound %d below the real size %d", ti.SizeBound(), len(b))
	}
	big := strings.Repeat("x", 4000)
	for i := 0; i < 600; i++ {
		var d LocalText
		d.Set(NL, big, false)
		ti.AdProducts = append(ti.AdProducts, AdProduct{ID: "ap", Name: d})
	}
	b, _ := json.Marshal(&ti)
	if bound := ti.SizeBound(); bound < len(b) {
		t.Errorf("got SizeBound %d below the real size %d", bound, len(b))
	}
	_, err := CheckSize(&ti)
	if !errors.Is(err, apperr.InvalidArgument) || !strings.Contains(err.Error(), "document limit") {
		t.Fatalf("big: got %v, want an InvalidArgument about the document limit", err)
	}
}

func TestValidISSN(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"0378-5955": true, "1050-124X": true, "0378-5954": false, "03785955": false, "": false} {
		if got := ValidISSN(in); got != want {
			t.Errorf("ValidISSN(%q) = %v, want %v", in, got, want)
		}
	}
}
