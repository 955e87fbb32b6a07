package search

import (
	"github.com/mediaspecs/catalogue/shared/catalog"
)

// FromTitle projects a catalogue title onto its search document. Contacts,
// identifiers, provenance and measurements other than the headline values
// stay out of the index: search needs none of them, and personal data must
// not be copied there. The title's content hash travels along so the drift
// check can compare Cosmos and the index without reading every field.
func FromTitle(t *catalog.Title) Doc {
	d := Doc{
		ID:               t.ID,
		Name:             t.Name,
		AlternateNames:   t.AlternateNames,
		Description:      localized(t.Description),
		MediaType:        string(t.MediaType),
		SubType:          string(t.SubType),
		Segment:          string(t.Segment),
		Status:           string(t.Status),
		Frequency:        t.Frequency.Code,
		ContentLanguages: t.ContentLanguages,
		Topics:           t.Topics,
		Coverage:         Coverage{Countries: t.Coverage.Countries, Regions: t.Coverage.Regions, PostalCodes: t.Coverage.PostalCodes},
		ContentHash:      t.ContentHash,
		UpdatedAt:        t.UpdatedAt,
	}
	if d.ContentHash == "" {
		d.ContentHash = t.Hash()
	}
	if labels := catalog.SubTypeLabels(t.SubType); labels != nil {
		d.KindLabels = Localized{}
		for l, s := range labels {
			d.KindLabels[string(l)] = s
		}
	}
	if t.Publisher.ID != "" || t.Publisher.Name != "" {
		d.Publisher = &Org{ID: t.Publisher.ID, Name: t.Publisher.Name}
	}
	if t.SalesHouse.ID != "" || t.SalesHouse.Name != "" {
		d.SalesHouse = &Org{ID: t.SalesHouse.ID, Name: t.SalesHouse.Name}
	}
	d.Metrics = metricsOf(t.Headline)
	for _, ap := range t.AdProducts {
		p := AdProduct{Channel: string(ap.Channel), Kind: ap.Kind, DeliveryStandard: ap.Delivery, Name: localized(ap.Name)}
		switch ap.Dimensions.Unit {
		case "mm":
			p.WidthMm, p.HeightMm = nonZero(ap.Dimensions.Width), nonZero(ap.Dimensions.Height)
		case "s":
			p.DurationSec = nonZero(float64(ap.Dimensions.Seconds))
		}
		for _, pr := range ap.Prices {
			p.Prices = append(p.Prices, Price{AmountCents: pr.AmountMinor, Currency: pr.Currency, Basis: pr.Basis, Gross: pr.Type == "gross"})
		}
		d.AdProducts = append(d.AdProducts, p)
	}
	return d
}

// metricsOf copies the headline values used for ranges and sorting. Reach is
// the widest audience figure the title has: readers for print, monthly
// unique visitors online, listeners for radio.
func metricsOf(h map[string]catalog.Headline) Metrics {
	val := func(names ...string) *int64 {
		for _, n := range names {
			if m, ok := h[n]; ok {
				v := int64(m.Value)
				return &v
			}
		}
		return nil
	}
	m := Metrics{
		Circulation:           val("circulation", "paid_circulation"),
		Readership:            val("readership", "readership_avg_issue"),
		MonthlyUniqueVisitors: val("monthly_unique_visitors"),
		Listeners:             val("listeners", "daily_reach"),
	}
	for _, v := range []*int64{m.Readership, m.MonthlyUniqueVisitors, m.Listeners} {
		if v != nil && (m.Reach == nil || *v > *m.Reach) {
			m.Reach = v
		}
	}
	return m
}

func localized(l catalog.LocalText) Localized {
	var out Localized
	for _, lang := range catalog.Langs {
		if t, ok := l.In(lang); ok && t.Text != "" {
			if out == nil {
				out = Localized{}
			}
			out[string(lang)] = t.Text
		}
	}
	return out
}

func nonZero(v float64) *float64 {
	if v == 0 {
		return nil
	}
	return &v
}
