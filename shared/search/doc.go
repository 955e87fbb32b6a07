package search

import "time"

// Doc is one media title as the index stores it: a denormalised, search-only
// projection of the catalogue document (Cosmos DB stays the source of truth).
// Contacts and other personal data are deliberately absent (GDPR: they never
// enter the search index).
type Doc struct {
	ID               string      `json:"id"`
	Name             string      `json:"name"`
	AlternateNames   []string    `json:"alternateNames,omitempty"`
	Description      Localized   `json:"description,omitempty"`
	KindLabels       Localized   `json:"kindLabels,omitempty"` // the subtype's label per language, so "krant" finds dailies
	MediaType        string      `json:"mediaType,omitempty"`
	SubType          string      `json:"subType,omitempty"`
	Segment          string      `json:"segment,omitempty"`
	Status           string      `json:"status,omitempty"`
	Frequency        string      `json:"frequency,omitempty"`
	ContentLanguages []string    `json:"contentLanguages,omitempty"`
	Topics           []string    `json:"topics,omitempty"`
	Coverage         Coverage    `json:"coverage"`
	Publisher        *Org        `json:"publisher,omitempty"`
	SalesHouse       *Org        `json:"salesHouse,omitempty"`
	Metrics          Metrics     `json:"metrics"`
	AdProducts       []AdProduct `json:"adProducts,omitempty"`
	ContentHash      string      `json:"contentHash,omitempty"`
	UpdatedAt        time.Time   `json:"updatedAt"`
}

// Localized maps an ISO 639-1 code (fr, nl, de, en) to text.
type Localized map[string]string

// Languages the index analyses, in the fallback order used when a caller's
// language has no text.
var Languages = []string{"fr", "nl", "de", "en"}

// Coverage is where a title is distributed.
type Coverage struct {
	Countries   []string `json:"countries,omitempty"` // ISO 3166-1 alpha-2
	Regions     []string `json:"regions,omitempty"`   // NUTS codes
	PostalCodes []string `json:"postalCodes,omitempty"`
}

// Org is a publisher or sales house summary.
type Org struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Metrics are the headline figures used for ranges and sorting.
type Metrics struct {
	Circulation           *int64 `json:"circulation,omitempty"`
	Readership            *int64 `json:"readership,omitempty"`
	Reach                 *int64 `json:"reach,omitempty"`
	MonthlyUniqueVisitors *int64 `json:"monthlyUniqueVisitors,omitempty"`
	Listeners             *int64 `json:"listeners,omitempty"`
}

// AdProduct is an advertising format with its prices.
type AdProduct struct {
	Channel          string    `json:"channel,omitempty"`
	Kind             string    `json:"kind,omitempty"`
	DeliveryStandard string    `json:"deliveryStandard,omitempty"`
	WidthMm          *float64  `json:"widthMm,omitempty"`
	HeightMm         *float64  `json:"heightMm,omitempty"`
	DurationSec      *float64  `json:"durationSec,omitempty"`
	Name             Localized `json:"name,omitempty"`
	Prices           []Price   `json:"prices,omitempty"`
}

// Price is one price of an ad product. Amounts are in minor units (cents):
// money is never a float. Prices compare only within one basis.
type Price struct {
	AmountCents int64  `json:"amountCents"`
	Currency    string `json:"currency"`
	Basis       string `json:"basis"` // per_insertion, cpm, per_spot, ...
	Gross       bool   `json:"gross"`
}
