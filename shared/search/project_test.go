package search

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mediaspecs/catalogue/shared/catalog"
)

func TestFromTitleKeepsPersonalDataOut(t *testing.T) {
	title := &catalog.Title{ID: "mt_x", Name: "De Standaard", Status: catalog.StatusActive,
		MediaType: catalog.MediaPrint, SubType: catalog.SubDaily,
		Contacts: []catalog.Contact{{Role: "sales", Name: "An Peeters", Email: "an.peeters@example.be", Phone: "+3225550101"}},
		Headline: map[string]catalog.Headline{"circulation": {Value: 90000}, "readership": {Value: 1200000}},
		AdProducts: []catalog.AdProduct{{Channel: catalog.MediaPrint, Kind: "display",
			Dimensions: catalog.Dimensions{Unit: "mm", Width: 262, Height: 352},
			Prices:     []catalog.Price{{AmountMinor: 1250000, Currency: "EUR", Basis: "per_insertion", Type: "gross"}}}},
	}
	title.Description.Set(catalog.NL, "Vlaamse krant", false)
	d := FromTitle(title)
	raw, _ := json.Marshal(d)
	for _, secret := range []string{"Peeters", "example.be", "3225550101"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("search document carries contact data %q: %s", secret, raw)
		}
	}
	if d.KindLabels["fr"] != "Quotidien" || d.Description["nl"] != "Vlaamse krant" {
		t.Errorf("labels/description = %v / %v", d.KindLabels, d.Description)
	}
	if d.Metrics.Circulation == nil || *d.Metrics.Circulation != 90000 || d.Metrics.Reach == nil || *d.Metrics.Reach != 1200000 {
		t.Errorf("metrics = %+v", d.Metrics)
	}
	p := d.AdProducts[0]
	if *p.WidthMm != 262 || p.Prices[0].AmountCents != 1250000 || !p.Prices[0].Gross {
		t.Errorf("ad product = %+v", p)
	}
	if d.ContentHash == "" || d.ContentHash != title.Hash() {
		t.Errorf("content hash = %q, want the title's hash", d.ContentHash)
	}
}
