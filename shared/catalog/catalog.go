// Package catalog is the MediaSpecs domain model: one document per media
// title (print title, station, website, outdoor network, …) with localised
// text, coverage, audience measurements, ad products, contacts, identifiers
// and per-block provenance. It imports no SDK: adapters translate it to and
// from Cosmos DB and Elasticsearch. JSON tags are the Cosmos document shape.
//
// The document is split into blocks (see Block). Every block has one owner,
// the supplier whose data it holds; Merge lets a supplier overwrite only the
// blocks it owns. Title.Hash fingerprints everything except bookkeeping
// (provenance, updatedAt, version, the hash itself) so an unchanged
// re-delivery is skipped without a write.
package catalog

import "time"

// SchemaVersion is the version of the document shape written by this package.
const SchemaVersion = 1

// Title is one media title: the Cosmos document.
type Title struct {
	// ID is StableID(supplier, supplier key) for supplier-created titles.
	ID            string `json:"id"`
	SchemaVersion int    `json:"schemaVersion"`
	Status        Status `json:"status"`
	// MergedInto is the id of the title this one was merged into (Status merged).
	MergedInto string `json:"mergedInto,omitempty"`

	// Identity block.
	Name             string    `json:"name"`
	AlternateNames   []string  `json:"alternateNames,omitempty"`
	Description      LocalText `json:"description,omitzero"`
	OriginalLanguage string    `json:"originalLanguage,omitempty"`
	ContentLanguages []string  `json:"contentLanguages,omitempty"`
	MediaType        MediaType `json:"mediaType"`
	SubType          SubType   `json:"subType,omitempty"`
	Segment          Segment   `json:"segment,omitempty"`
	Frequency        Frequency `json:"frequency,omitzero"`
	Topics           []string  `json:"topics,omitempty"`

	// Coverage block.
	Coverage Coverage `json:"coverage,omitzero"`

	// Organisation block.
	Publisher  OrgRef    `json:"publisher,omitzero"`
	SalesHouse OrgRef    `json:"salesHouse,omitzero"`
	Editions   []Edition `json:"editions,omitempty"`

	// Audience block: headline values are derived from Measurements by
	// RecomputeHeadline and are never supplied directly.
	Headline     map[string]Headline `json:"metricsHeadline,omitempty"`
	Measurements []Measurement       `json:"measurements,omitempty"`

	// Commercial block.
	AdProducts []AdProduct `json:"adProducts,omitempty"`

	// Contacts block.
	Contacts []Contact `json:"contacts,omitempty"`

	// Identifiers block (SupplierKeys is merged, never owned: see Merge).
	Identifiers Identifiers `json:"identifiers,omitzero"`

	// Provenance says which supplier, file and time own each block.
	Provenance map[Block]Provenance `json:"provenance,omitempty"`

	// ContentHash is Hash() at the last write.
	ContentHash string    `json:"contentHash,omitempty"`
	UpdatedAt   time.Time `json:"updatedAt"`
	// Version increases by one on every write that changes content.
	Version int64 `json:"version"`
}

// Status is the life-cycle state of a title.
type Status string

// Statuses.
const (
	StatusActive Status = "active"
	StatusClosed Status = "closed"
	StatusMerged Status = "merged"
)

// MediaType is the top-level medium.
type MediaType string

// Media types.
const (
	MediaPrint      MediaType = "print"
	MediaTV         MediaType = "tv"
	MediaRadio      MediaType = "radio"
	MediaOnline     MediaType = "online"
	MediaInfluencer MediaType = "influencer"
	MediaOutdoor    MediaType = "outdoor"
	MediaCinema     MediaType = "cinema"
	MediaInStore    MediaType = "in_store"
)

// MediaTypes lists every media type, in display order.
var MediaTypes = []MediaType{MediaPrint, MediaTV, MediaRadio, MediaOnline, MediaInfluencer, MediaOutdoor, MediaCinema, MediaInStore}

// SubType refines a media type; each subtype belongs to exactly one media type.
type SubType string

// Subtypes.
const (
	SubDaily       SubType = "daily"
	SubMagazine    SubType = "magazine"
	SubFreeSheet   SubType = "free_sheet"
	SubTrade       SubType = "trade"
	SubTVNational  SubType = "tv_national"
	SubTVRegional  SubType = "tv_regional"
	SubTVThematic  SubType = "tv_thematic"
	SubRadioNat    SubType = "radio_national"
	SubRadioReg    SubType = "radio_regional"
	SubWebsite     SubType = "website"
	SubNewsletter  SubType = "newsletter"
	SubPodcast     SubType = "podcast"
	SubBillboard   SubType = "billboard"
	SubTransit     SubType = "transit"
	SubStreetFurn  SubType = "street_furniture"
	SubScreen      SubType = "cinema_screen"
	SubInStoreTV   SubType = "in_store_tv"
	SubInStoreRad  SubType = "in_store_radio"
	SubInfluencerS SubType = "social_creator"
)

// SubTypeMedia maps each subtype to its media type.
var SubTypeMedia = map[SubType]MediaType{
	SubDaily: MediaPrint, SubMagazine: MediaPrint, SubFreeSheet: MediaPrint, SubTrade: MediaPrint,
	SubTVNational: MediaTV, SubTVRegional: MediaTV, SubTVThematic: MediaTV,
	SubRadioNat: MediaRadio, SubRadioReg: MediaRadio,
	SubWebsite: MediaOnline, SubNewsletter: MediaOnline, SubPodcast: MediaOnline,
	SubBillboard: MediaOutdoor, SubTransit: MediaOutdoor, SubStreetFurn: MediaOutdoor,
	SubScreen: MediaCinema, SubInStoreTV: MediaInStore, SubInStoreRad: MediaInStore,
	SubInfluencerS: MediaInfluencer,
}

// Segment is the audience segment.
type Segment string

// Segments: consumer (B2C) or professional (B2B).
const (
	SegmentB2C Segment = "B2C"
	SegmentB2B Segment = "B2B"
)

// Frequency is how often a title appears.
type Frequency struct {
	// Code is one of FrequencyCodes.
	Code          string `json:"code,omitempty"`
	IssuesPerYear int    `json:"issuesPerYear,omitempty"`
}

// FrequencyCodes are the accepted Frequency.Code values.
var FrequencyCodes = []string{"daily", "weekly", "biweekly", "monthly", "bimonthly", "quarterly", "yearly", "irregular", "continuous"}

// Coverage is where a title is distributed or received.
type Coverage struct {
	// Level is national, regional or local.
	Level string `json:"level,omitempty"`
	// Countries are ISO 3166-1 alpha-2 codes.
	Countries []string `json:"countries,omitempty"`
	// Regions are NUTS codes (BE/LU/FR subset, see NUTS).
	Regions []string `json:"regions,omitempty"`
	// PostalCodes are national postal codes without country prefix.
	PostalCodes []string `json:"postalCodes,omitempty"`
}

// OrgRef is a small copy of a publisher or sales house for search.
type OrgRef struct {
	ID            string `json:"id,omitempty"`
	Name          string `json:"name,omitempty"`
	CompanyNumber string `json:"companyNumber,omitempty"`
}

// Edition is a regional or thematic edition of a title.
type Edition struct {
	ID      string    `json:"id,omitempty"`
	Name    LocalText `json:"name,omitzero"`
	Regions []string  `json:"regions,omitempty"`
}

// Headline is the one value per metric copied onto the title for sorting.
type Headline struct {
	Value         float64 `json:"value"`
	Universe      string  `json:"universe,omitempty"`
	Period        string  `json:"period,omitempty"`
	Status        string  `json:"status,omitempty"`
	MeasurementID string  `json:"measurementId,omitempty"`
}

// Measurement is one dated audience or circulation fact with its source.
type Measurement struct {
	ID     string  `json:"id"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	// Unit is persons, copies, percent, visits, browsers, …
	Unit     string `json:"unit,omitempty"`
	Universe string `json:"universe,omitempty"`
	// Period is the wave or period: "2024", "2023-06/2024-05", "2024-Q1".
	Period string `json:"period,omitempty"`
	Study  string `json:"study,omitempty"`
	// Status is stated or authenticated.
	Status string `json:"status,omitempty"`
	// Source is the supplier that delivered it.
	Source string `json:"source,omitempty"`
}

// Measurement statuses: CIM publishes stated figures, then authenticated ones.
const (
	MeasurementStated        = "stated"
	MeasurementAuthenticated = "authenticated"
)

// AdProduct is one advertising opportunity: a format with its prices.
type AdProduct struct {
	ID string `json:"id"`
	// Channel is the medium of the product (print, online, radio, …).
	Channel MediaType `json:"channel,omitempty"`
	// Kind is display, spot, sponsoring, branded_content, insert, classified, …
	Kind       string     `json:"kind,omitempty"`
	Name       LocalText  `json:"name,omitzero"`
	Dimensions Dimensions `json:"dimensions,omitzero"`
	// Delivery is the material standard, e.g. "Medibel+".
	Delivery  string    `json:"delivery,omitempty"`
	Prices    []Price   `json:"prices,omitempty"`
	Deadlines Deadlines `json:"deadlines,omitzero"`
}

// Dimensions of a format: print in millimetres (tenths allowed), digital in
// pixels, spots in seconds.
type Dimensions struct {
	// Unit is mm, px or s.
	Unit   string  `json:"unit,omitempty"`
	Width  float64 `json:"w,omitempty"`
	Height float64 `json:"h,omitempty"`
	// BleedMM is the bleed for print formats.
	BleedMM float64 `json:"bleedMm,omitempty"`
	// Seconds is the spot length for radio, TV and cinema.
	Seconds int `json:"seconds,omitempty"`
}

// Price is one price of an ad product. Money is integer minor units (cents),
// never a float, so sums and comparisons are exact.
type Price struct {
	AmountMinor int64  `json:"amountMinor"`
	Currency    string `json:"currency"`
	// Basis is per_insertion, cpm, per_spot, per_day, per_week, per_month, per_post.
	Basis string `json:"basis,omitempty"`
	// Type is gross or net.
	Type      string `json:"type,omitempty"`
	ValidFrom Date   `json:"validFrom,omitempty"`
	ValidTo   Date   `json:"validTo,omitempty"`
}

// Deadlines for booking and material, as business days before publication
// or as fixed dates.
type Deadlines struct {
	BookingDays  int  `json:"bookingDays,omitempty"`
	MaterialDays int  `json:"materialDays,omitempty"`
	Booking      Date `json:"booking,omitempty"`
	Material     Date `json:"material,omitempty"`
}

// Contact is a role contact on a title (no free-standing person entity).
type Contact struct {
	// Role is general, sales, editorial, traffic or technical.
	Role      string   `json:"role"`
	Name      string   `json:"name,omitempty"`
	Email     string   `json:"email,omitempty"`
	Phone     string   `json:"phone,omitempty"`
	Languages []string `json:"languages,omitempty"`
	GDPR      GDPR     `json:"gdpr,omitzero"`
}

// GDPR records the lawful basis for holding a contact and the opt-out.
type GDPR struct {
	// Basis is legitimate_interest, consent or contract.
	Basis  string `json:"basis,omitempty"`
	OptOut bool   `json:"optOut,omitempty"`
}

// Identifiers are the external keys of a title.
type Identifiers struct {
	// SupplierKeys maps a supplier to its key for this title.
	SupplierKeys  map[string]string `json:"supplierKeys,omitempty"`
	ISSN          []string          `json:"issn,omitempty"`
	Domains       []string          `json:"domains,omitempty"`
	CompanyNumber string            `json:"companyNumber,omitempty"`
}

// Provenance says where a block's data came from.
type Provenance struct {
	Supplier   string    `json:"supplier"`
	File       string    `json:"file,omitempty"`
	Profile    string    `json:"profile,omitempty"`
	Row        int       `json:"row,omitempty"`
	ReceivedAt time.Time `json:"receivedAt,omitzero"`
	ImportedAt time.Time `json:"importedAt,omitzero"`
}

// Date is a calendar date, "YYYY-MM-DD".
type Date string

// Valid reports whether d is a real calendar date.
func (d Date) Valid() bool {
	_, err := time.Parse(time.DateOnly, string(d))
	return err == nil
}
