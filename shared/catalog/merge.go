package catalog

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
)

// EditorialSupplier is MediaSpecs' own data-entry staff. It may overwrite a
// block whoever owns it, and becomes its owner.
const EditorialSupplier = "mediaspecs"

// MergeResult is the outcome of Merge.
type MergeResult struct {
	// Title is the merged document, ready to write unless Unchanged.
	Title Title
	// Created is true when there was no existing document.
	Created bool
	// Unchanged is true when the content hash did not change: skip the write.
	Unchanged bool
	// Changed lists the blocks whose content changed.
	Changed []Block
	// Refused lists the blocks the supplier delivered but does not own; they
	// were left as they were.
	Refused []Block
}

// Merge applies a supplier's delivery (incoming) to the stored document
// (existing, nil when new). The block ownership rule:
//
//   - A block the supplier did not deliver (empty in incoming) is kept as it is:
//     a rate-card file never erases contacts.
//   - A delivered block replaces the stored block when the stored block is
//     empty or unowned, when prov.Supplier already owns it, or when
//     prov.Supplier is EditorialSupplier. The writer becomes (or stays) the
//     owner: Provenance[block] records supplier, file and time.
//   - Otherwise the block is refused (MergeResult.Refused) and kept: the first
//     supplier to deliver a block owns it until MediaSpecs staff reassign it.
//   - The audience block is shared: each measurement is owned by its Source.
//     A supplier's delivery replaces exactly its own measurements and leaves
//     the others'; the headline values are recomputed from the union.
//   - identifiers.supplierKeys is a union: every supplier records its key.
//
// When the merged content hash equals the stored one the result is Unchanged
// and the stored document is returned untouched (no write, no new version).
// Otherwise Version is incremented and UpdatedAt set to now.
func Merge(existing *Title, incoming Title, prov Provenance, now time.Time) MergeResult {
	supplier := prov.Supplier
	for i := range incoming.Measurements {
		incoming.Measurements[i].Source = supplier
	}
	if existing == nil {
		t := incoming
		t.SchemaVersion = SchemaVersion
		if t.Status == "" {
			t.Status = StatusActive
		}
		t.Provenance = map[Block]Provenance{}
		var changed []Block
		for _, b := range Blocks {
			if t.HasBlock(b) {
				t.Provenance[b] = prov
				changed = append(changed, b)
			}
		}
		t.Canonicalize()
		t.Version, t.UpdatedAt = 1, now
		t.ContentHash = t.Hash()
		return MergeResult{Title: t, Created: true, Changed: changed}
	}

	t := *existing
	t.Provenance = maps.Clone(existing.Provenance)
	if t.Provenance == nil {
		t.Provenance = map[Block]Provenance{}
	}
	t.Identifiers.SupplierKeys = maps.Clone(existing.Identifiers.SupplierKeys)
	var res MergeResult
	for _, b := range Blocks {
		if !incoming.HasBlock(b) {
			continue
		}
		if b == BlockAudience {
			ms := slices.DeleteFunc(slices.Clone(existing.Measurements), func(m Measurement) bool { return m.Source == supplier })
			t.Measurements = append(ms, incoming.Measurements...)
			t.Provenance[b] = prov
			continue
		}
		owner := t.Provenance[b].Supplier
		if owner == "" || owner == supplier || supplier == EditorialSupplier || !existing.HasBlock(b) {
			copyBlock(&t, &incoming, b)
			t.Provenance[b] = prov
			continue
		}
		res.Refused = append(res.Refused, b)
	}
	for s, k := range incoming.Identifiers.SupplierKeys {
		if t.Identifiers.SupplierKeys == nil {
			t.Identifiers.SupplierKeys = map[string]string{}
		}
		t.Identifiers.SupplierKeys[s] = k
	}
	if t.Status == "" {
		t.Status = StatusActive
	}
	t.SchemaVersion = SchemaVersion
	t.Canonicalize()
	oldHash := existing.ContentHash
	if oldHash == "" {
		oldHash = existing.Hash()
	}
	newHash := t.Hash()
	if newHash == oldHash {
		return MergeResult{Title: *existing, Unchanged: true, Refused: res.Refused}
	}
	for _, b := range Blocks {
		if existing.BlockHash(b) != t.BlockHash(b) {
			res.Changed = append(res.Changed, b)
		}
	}
	t.ContentHash = newHash
	t.Version = existing.Version + 1
	t.UpdatedAt = now
	res.Title = t
	return res
}

// Change is one entry of the changes feed: a title that changed, which
// blocks and top-level fields, and who caused it.
type Change struct {
	// ID is "<titleId>:<version>", unique per write.
	ID      string `json:"id"`
	TitleID string `json:"titleId"`
	Version int64  `json:"version"`
	// Kind is created or updated.
	Kind   string   `json:"kind"`
	Blocks []Block  `json:"blocks"`
	Fields []string `json:"fields"`
	// OldHash is empty for a created title.
	OldHash    string     `json:"oldHash,omitempty"`
	NewHash    string     `json:"newHash"`
	Provenance Provenance `json:"provenance"`
	At         time.Time  `json:"at"`
}

// NewChange builds the change record for a merge (old nil when created).
// Fields are the top-level JSON fields whose value differs, bookkeeping
// fields excluded.
func NewChange(old *Title, res MergeResult, prov Provenance, at time.Time) Change {
	c := Change{
		ID:      fmt.Sprintf("%s:%d", res.Title.ID, res.Title.Version),
		TitleID: res.Title.ID, Version: res.Title.Version,
		Kind: "updated", Blocks: res.Changed, NewHash: res.Title.ContentHash,
		Provenance: prov, At: at,
	}
	if old == nil {
		c.Kind = "created"
		old = &Title{}
	} else {
		c.OldHash = old.ContentHash
	}
	a, b := topLevel(old), topLevel(&res.Title)
	for k := range maps.Keys(b) {
		if string(a[k]) != string(b[k]) {
			c.Fields = append(c.Fields, k)
		}
	}
	for k := range maps.Keys(a) {
		if _, ok := b[k]; !ok {
			c.Fields = append(c.Fields, k)
		}
	}
	slices.Sort(c.Fields)
	return c
}

func topLevel(t *Title) map[string]json.RawMessage {
	c := *t
	c.Provenance, c.ContentHash, c.UpdatedAt, c.Version = nil, "", zeroTime, 0
	b, _ := json.Marshal(c)
	m := map[string]json.RawMessage{}
	_ = json.Unmarshal(b, &m)
	delete(m, "updatedAt")
	delete(m, "version")
	return m
}

// MaxDocumentBytes is Cosmos DB's item size limit.
const MaxDocumentBytes = 2 * 1024 * 1024

// SizeHeadroom is kept free under MaxDocumentBytes for the system properties
// Cosmos adds (_rid, _self, _etag, _attachments, _ts) and for growth between
// checks.
const SizeHeadroom = 16 * 1024

// CheckSize returns the JSON size of t, and an apperr.InvalidArgument error
// when it would not fit in a Cosmos document. When a cheap upper bound
// (SizeBound) already fits, it returns that bound without marshalling.
func CheckSize(t *Title) (int, error) {
	if n := t.SizeBound(); n <= MaxDocumentBytes-SizeHeadroom {
		return n, nil
	}
	b, err := json.Marshal(t)
	if err != nil {
		return 0, fmt.Errorf("catalog.CheckSize: %w", err)
	}
	if len(b) > MaxDocumentBytes-SizeHeadroom {
		return len(b), fmt.Errorf("%w: title %s is %d bytes of JSON, over the %d-byte document limit (reduce ad products, measurements or contacts)",
			apperr.InvalidArgument, t.ID, len(b), MaxDocumentBytes-SizeHeadroom)
	}
	return len(b), nil
}

// SizeBound is an upper bound of len(json.Marshal(t)), computed without
// allocating: every string counts 6 bytes per byte (the worst JSON escape,
// \u00XX) and every element a fixed allowance for keys and numbers.
func (t *Title) SizeBound() int {
	const item = 512
	n := 4096
	s := func(ss ...string) {
		for _, x := range ss {
			n += 6*len(x) + 8
		}
	}
	lt := func(l LocalText) {
		for _, p := range []*Text{l.NL, l.FR, l.DE, l.EN} {
			if p != nil {
				n += 6*len(p.Text) + 64
			}
		}
	}
	s(t.ID, t.MergedInto, t.Name, t.OriginalLanguage, string(t.SubType), t.Frequency.Code, t.ContentHash, t.Coverage.Level)
	s(t.AlternateNames...)
	s(t.ContentLanguages...)
	s(t.Topics...)
	s(t.Coverage.Countries...)
	s(t.Coverage.Regions...)
	s(t.Coverage.PostalCodes...)
	s(t.Identifiers.ISSN...)
	s(t.Identifiers.Domains...)
	s(t.Identifiers.CompanyNumber, t.Publisher.ID, t.Publisher.Name, t.Publisher.CompanyNumber, t.SalesHouse.ID, t.SalesHouse.Name)
	lt(t.Description)
	for k, v := range t.Identifiers.SupplierKeys {
		s(k, v)
	}
	for _, e := range t.Editions {
		n += item
		s(e.ID)
		s(e.Regions...)
		lt(e.Name)
	}
	n += len(t.Headline) * item
	for k := range t.Headline {
		s(k)
	}
	for _, m := range t.Measurements {
		n += item
		s(m.ID, m.Metric, m.Unit, m.Universe, m.Period, m.Study, m.Status, m.Source)
	}
	for _, a := range t.AdProducts {
		n += item
		s(a.ID, string(a.Channel), a.Kind, a.Delivery, a.Dimensions.Unit)
		lt(a.Name)
		n += len(a.Prices) * item
		for _, p := range a.Prices {
			s(p.Currency, p.Basis, p.Type)
		}
	}
	for _, c := range t.Contacts {
		n += item
		s(c.Role, c.Name, c.Email, c.Phone, c.GDPR.Basis)
		s(c.Languages...)
	}
	n += len(t.Provenance) * item
	for _, p := range t.Provenance {
		s(p.Supplier, p.File, p.Profile)
	}
	return n
}
