package catalog

import (
	"slices"
	"sort"
	"time"
)

var zeroTime time.Time

// Block names one independently owned part of a title.
type Block string

// The blocks of a title and the fields each holds.
const (
	// BlockIdentity: status, mergedInto, name, alternateNames, description,
	// originalLanguage, contentLanguages, mediaType, subType, segment,
	// frequency, topics.
	BlockIdentity Block = "identity"
	// BlockCoverage: coverage.
	BlockCoverage Block = "coverage"
	// BlockOrganisation: publisher, salesHouse, editions.
	BlockOrganisation Block = "organisation"
	// BlockAudience: measurements (and the derived metricsHeadline).
	BlockAudience Block = "audience"
	// BlockCommercial: adProducts.
	BlockCommercial Block = "commercial"
	// BlockContacts: contacts.
	BlockContacts Block = "contacts"
	// BlockIdentifiers: identifiers (except supplierKeys, which every
	// supplier contributes to).
	BlockIdentifiers Block = "identifiers"
)

// Blocks lists every block in document order.
var Blocks = []Block{BlockIdentity, BlockCoverage, BlockOrganisation, BlockAudience, BlockCommercial, BlockContacts, BlockIdentifiers}

// blockValue returns the content of block b, for hashing and emptiness.
func (t *Title) blockValue(b Block) any {
	switch b {
	case BlockIdentity:
		return struct {
			S  Status
			M  string
			N  string
			A  []string
			D  LocalText
			O  string
			CL []string
			MT MediaType
			ST SubType
			SG Segment
			F  Frequency
			T  []string
		}{t.Status, t.MergedInto, t.Name, t.AlternateNames, t.Description, t.OriginalLanguage, t.ContentLanguages, t.MediaType, t.SubType, t.Segment, t.Frequency, t.Topics}
	case BlockCoverage:
		return t.Coverage
	case BlockOrganisation:
		return struct {
			P, S OrgRef
			E    []Edition
		}{t.Publisher, t.SalesHouse, t.Editions}
	case BlockAudience:
		return t.Measurements
	case BlockCommercial:
		return t.AdProducts
	case BlockContacts:
		return t.Contacts
	case BlockIdentifiers:
		return struct {
			I []string
			D []string
			C string
		}{t.Identifiers.ISSN, t.Identifiers.Domains, t.Identifiers.CompanyNumber}
	}
	return nil
}

// BlockHash fingerprints one block's content.
func (t *Title) BlockHash(b Block) string { return hashJSON(t.blockValue(b)) }

// HasBlock reports whether the title carries any data in block b.
func (t *Title) HasBlock(b Block) bool {
	switch b {
	case BlockIdentity:
		return t.Name != "" || t.MediaType != "" || !t.Description.IsZero() || len(t.Topics) > 0 || t.Frequency.Code != ""
	case BlockCoverage:
		c := t.Coverage
		return c.Level != "" || len(c.Countries)+len(c.Regions)+len(c.PostalCodes) > 0
	case BlockOrganisation:
		return t.Publisher != (OrgRef{}) || t.SalesHouse != (OrgRef{}) || len(t.Editions) > 0
	case BlockAudience:
		return len(t.Measurements) > 0
	case BlockCommercial:
		return len(t.AdProducts) > 0
	case BlockContacts:
		return len(t.Contacts) > 0
	case BlockIdentifiers:
		i := t.Identifiers
		return len(i.ISSN)+len(i.Domains) > 0 || i.CompanyNumber != ""
	}
	return false
}

// copyBlock copies block b from src into dst.
func copyBlock(dst, src *Title, b Block) {
	switch b {
	case BlockIdentity:
		dst.Status, dst.MergedInto, dst.Name, dst.AlternateNames = src.Status, src.MergedInto, src.Name, src.AlternateNames
		dst.Description, dst.OriginalLanguage, dst.ContentLanguages = src.Description, src.OriginalLanguage, src.ContentLanguages
		dst.MediaType, dst.SubType, dst.Segment, dst.Frequency, dst.Topics = src.MediaType, src.SubType, src.Segment, src.Frequency, src.Topics
	case BlockCoverage:
		dst.Coverage = src.Coverage
	case BlockOrganisation:
		dst.Publisher, dst.SalesHouse, dst.Editions = src.Publisher, src.SalesHouse, src.Editions
	case BlockAudience:
		dst.Measurements = src.Measurements
	case BlockCommercial:
		dst.AdProducts = src.AdProducts
	case BlockContacts:
		dst.Contacts = src.Contacts
	case BlockIdentifiers:
		keys := dst.Identifiers.SupplierKeys
		dst.Identifiers = src.Identifiers
		dst.Identifiers.SupplierKeys = keys
	}
}

// Canonicalize puts set-like fields in a canonical order (sorted, without
// duplicates) and recomputes the headline metrics, so that ContentHash does
// not depend on the order a supplier listed things in. Ordered lists (ad
// products, contacts, editions) keep the supplier's order.
func (t *Title) Canonicalize() {
	for _, p := range []*[]string{&t.AlternateNames, &t.ContentLanguages, &t.Topics, &t.Coverage.Countries, &t.Coverage.Regions, &t.Coverage.PostalCodes, &t.Identifiers.ISSN, &t.Identifiers.Domains} {
		if len(*p) > 1 {
			slices.Sort(*p)
			*p = slices.Compact(*p)
		}
	}
	sort.SliceStable(t.Measurements, func(i, j int) bool { return t.Measurements[i].ID < t.Measurements[j].ID })
	t.RecomputeHeadline()
}

// RecomputeHeadline sets one headline value per metric from the
// measurements: the latest period wins; within a period authenticated beats
// stated.
func (t *Title) RecomputeHeadline() {
	t.Headline = nil
	best := map[string]Measurement{}
	for _, m := range t.Measurements {
		cur, ok := best[m.Metric]
		if !ok || m.Period > cur.Period || (m.Period == cur.Period && m.Status == MeasurementAuthenticated && cur.Status != MeasurementAuthenticated) {
			best[m.Metric] = m
		}
	}
	if len(best) == 0 {
		return
	}
	t.Headline = make(map[string]Headline, len(best))
	for k, m := range best {
		t.Headline[k] = Headline{Value: m.Value, Universe: m.Universe, Period: m.Period, Status: m.Status, MeasurementID: m.ID}
	}
}
