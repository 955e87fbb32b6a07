package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/auth"
	"github.com/mediaspecs/catalogue/shared/catalog"
)

// MediaReader reads one title by id with its ETag (a Cosmos point read).
// The title may be shared with other requests (cosmos.TitleCache hands out
// its cached copy): handlers read it and never modify it.
type MediaReader interface {
	Get(ctx context.Context, id string) (*catalog.Title, string, error)
}

// mediaID bounds what a title id can look like, so junk never reaches Cosmos.
var mediaID = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// mediaView is the localised shape of one title. Contacts and the ad
// products' prices are subscriber data: they are filled in only when
// fieldsFor (access.go) allows them, and omitted otherwise.
type mediaView struct {
	ID               string           `json:"id"`
	Name             string           `json:"name"`
	AlternateNames   []string         `json:"alternateNames,omitempty"`
	Lang             string           `json:"lang"`
	Description      *localizedText   `json:"description,omitempty"`
	MediaType        codeLabel        `json:"mediaType"`
	SubType          *codeLabel       `json:"subType,omitempty"`
	Status           codeLabel        `json:"status"`
	Segment          string           `json:"segment,omitempty"`
	Frequency        string           `json:"frequency,omitempty"`
	ContentLanguages []string         `json:"contentLanguages,omitempty"`
	Topics           []string         `json:"topics,omitempty"`
	Coverage         catalog.Coverage `json:"coverage"`
	Publisher        *catalog.OrgRef  `json:"publisher,omitempty"`
	SalesHouse       *catalog.OrgRef  `json:"salesHouse,omitempty"`
	Audience         []audienceFigure `json:"audience,omitempty"`
	AdProducts       []adProductView  `json:"adProducts,omitempty"`
	Contacts         []contactView    `json:"contacts,omitempty"`
	UpdatedAt        time.Time        `json:"updatedAt"`
	Version          int64            `json:"version"`
}

type localizedText struct {
	Text              string `json:"text"`
	Lang              string `json:"lang"`
	MachineTranslated bool   `json:"machineTranslated,omitempty"`
}

type codeLabel struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

type audienceFigure struct {
	Metric   string  `json:"metric"`
	Value    float64 `json:"value"`
	Universe string  `json:"universe,omitempty"`
	Period   string  `json:"period,omitempty"`
	Status   string  `json:"status,omitempty"`
}

type adProductView struct {
	ID         string             `json:"id"`
	Channel    string             `json:"channel,omitempty"`
	Kind       string             `json:"kind,omitempty"`
	Name       *localizedText     `json:"name,omitempty"`
	Dimensions catalog.Dimensions `json:"dimensions"`
	Delivery   string             `json:"delivery,omitempty"`
	Deadlines  catalog.Deadlines  `json:"deadlines"`
	Prices     []priceView        `json:"prices,omitempty"`
}

// priceView is one price (subscriber data). Money is integer minor units.
type priceView struct {
	AmountMinor int64        `json:"amountMinor"`
	Currency    string       `json:"currency"`
	Basis       string       `json:"basis,omitempty"`
	Type        string       `json:"type,omitempty"`
	ValidFrom   catalog.Date `json:"validFrom,omitempty"`
	ValidTo     catalog.Date `json:"validTo,omitempty"`
}

// contactView is one role contact (subscriber data). The GDPR record stays
// internal, and contacts who opted out are never shown.
type contactView struct {
	Role      string   `json:"role"`
	Name      string   `json:"name,omitempty"`
	Email     string   `json:"email,omitempty"`
	Phone     string   `json:"phone,omitempty"`
	Languages []string `json:"languages,omitempty"`
}

func pick(l catalog.LocalText, lang catalog.Lang) *localizedText {
	t, in, ok := l.Best(lang)
	if !ok {
		return nil
	}
	return &localizedText{Text: t.Text, Lang: string(in), MachineTranslated: t.MachineTranslated}
}

func viewOf(t *catalog.Title, lang catalog.Lang, f fields) mediaView {
	v := mediaView{
		ID: t.ID, Name: t.Name, AlternateNames: t.AlternateNames, Lang: string(lang),
		Description: pick(t.Description, lang),
		MediaType:   codeLabel{string(t.MediaType), catalog.Label("type", string(t.MediaType), lang)},
		Status:      codeLabel{string(t.Status), catalog.Label("status", string(t.Status), lang)},
		Segment:     string(t.Segment), Frequency: t.Frequency.Code,
		ContentLanguages: t.ContentLanguages, Topics: t.Topics, Coverage: t.Coverage,
		UpdatedAt: t.UpdatedAt, Version: t.Version,
	}
	if t.SubType != "" {
		v.SubType = &codeLabel{string(t.SubType), catalog.Label("subtype", string(t.SubType), lang)}
	}
	if t.Publisher != (catalog.OrgRef{}) {
		v.Publisher = &catalog.OrgRef{ID: t.Publisher.ID, Name: t.Publisher.Name}
	}
	if t.SalesHouse != (catalog.OrgRef{}) {
		v.SalesHouse = &catalog.OrgRef{ID: t.SalesHouse.ID, Name: t.SalesHouse.Name}
	}
	for metric, h := range t.Headline {
		v.Audience = append(v.Audience, audienceFigure{Metric: metric, Value: h.Value, Universe: h.Universe, Period: h.Period, Status: h.Status})
	}
	sortAudience(v.Audience)
	for _, ap := range t.AdProducts {
		apv := adProductView{ID: ap.ID, Channel: string(ap.Channel), Kind: ap.Kind,
			Name: pick(ap.Name, lang), Dimensions: ap.Dimensions, Delivery: ap.Delivery, Deadlines: ap.Deadlines}
		if f.Prices {
			for _, p := range ap.Prices {
				apv.Prices = append(apv.Prices, priceView{AmountMinor: p.AmountMinor, Currency: p.Currency,
					Basis: p.Basis, Type: p.Type, ValidFrom: p.ValidFrom, ValidTo: p.ValidTo})
			}
		}
		v.AdProducts = append(v.AdProducts, apv)
	}
	if f.Contacts {
		for _, c := range t.Contacts {
			if c.GDPR.OptOut {
				continue
			}
			v.Contacts = append(v.Contacts, contactView{Role: c.Role, Name: c.Name, Email: c.Email, Phone: c.Phone, Languages: c.Languages})
		}
	}
	return v
}

func sortAudience(a []audienceFigure) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].Metric < a[j-1].Metric; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// representationETag is a strong ETag for one language's representation of
// one stored version: the Cosmos ETag changes on every write, and the same
// version differs per language.
func representationETag(storeETag, lang string) string {
	sum := sha256.Sum256([]byte(storeETag + "\x00" + lang))
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// etagMatches implements If-None-Match: a list of ETags or *; weak
// comparison, as RFC 9110 §13.1.2 prescribes for this header.
func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == "*" || part == etag {
			return true
		}
	}
	return false
}

func (s *Server) getMedia(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Media == nil {
		return fmt.Errorf("%w: media detail is not configured", apperr.Unavailable)
	}
	id := r.PathValue("id")
	if !mediaID.MatchString(id) {
		return &apperr.ParamError{Param: "id", Reason: "not a media id"}
	}
	lang, err := requestLang(r)
	if err != nil {
		return err
	}
	t, storeETag, err := s.deps.Media.Get(r.Context(), id)
	if err != nil {
		return err
	}
	// The representation depends on the language and on the fields the
	// caller may see: both go into the ETag.
	f := fieldsFor(auth.FromContext(r.Context()))
	etag := representationETag(storeETag, lang+"\x00"+f.key())
	w.Header().Set("ETag", etag)
	w.Header().Set("Vary", "Accept-Language, Authorization")
	w.Header().Set("Content-Language", lang)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag) {
		w.Header().Set("Cache-Control", "private, max-age=60")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return writeJSONCache(w, http.StatusOK, viewOf(t, catalog.Lang(lang), f), "private, max-age=60")
}
