package catalog

// Lang is an ISO 639-1 code of a UI/text language the catalogue localises into.
type Lang string

// The four localisation languages.
const (
	NL Lang = "nl"
	FR Lang = "fr"
	DE Lang = "de"
	EN Lang = "en"
)

// Langs lists the localisation languages in their fallback order.
var Langs = []Lang{NL, FR, DE, EN}

// Text is one localised string.
type Text struct {
	Text string `json:"text"`
	// MachineTranslated marks text produced by machine translation; it is
	// used only when no human text exists in any language.
	MachineTranslated bool `json:"machineTranslated,omitempty"`
}

// LocalText holds one text per localisation language.
type LocalText struct {
	NL *Text `json:"nl,omitempty"`
	FR *Text `json:"fr,omitempty"`
	DE *Text `json:"de,omitempty"`
	EN *Text `json:"en,omitempty"`
}

// IsZero reports whether no language has text.
func (l LocalText) IsZero() bool { return l.NL == nil && l.FR == nil && l.DE == nil && l.EN == nil }

func (l *LocalText) slot(lang Lang) **Text {
	switch lang {
	case NL:
		return &l.NL
	case FR:
		return &l.FR
	case DE:
		return &l.DE
	case EN:
		return &l.EN
	}
	return nil
}

// Set stores text for lang; empty text clears it. Unknown languages are ignored
// and reported false.
func (l *LocalText) Set(lang Lang, text string, machine bool) bool {
	p := l.slot(lang)
	if p == nil {
		return false
	}
	if text == "" {
		*p = nil
		return true
	}
	*p = &Text{Text: text, MachineTranslated: machine}
	return true
}

// In returns the text stored for lang exactly, without fallback.
func (l LocalText) In(lang Lang) (Text, bool) {
	p := l.slot(lang)
	if p == nil || *p == nil {
		return Text{}, false
	}
	return **p, true
}

// Best returns the text to show a user who prefers lang, and the language it
// is in. Fallback order: the preferred language if written by a human; then
// human text in nl, fr, de, en (Langs order: Belgium's languages first);
// then machine-translated text, preferred language first, then Langs order.
// ok is false when there is no text at all.
func (l LocalText) Best(lang Lang) (t Text, in Lang, ok bool) {
	order := append([]Lang{lang}, Langs...)
	for _, machine := range []bool{false, true} {
		for _, c := range order {
			if t, ok := l.In(c); ok && t.MachineTranslated == machine {
				return t, c, true
			}
		}
	}
	return Text{}, "", false
}
