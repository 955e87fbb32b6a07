package pipeline

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/ingest"
)

// suppliersJSON maps drop folders (suppliers) to ingest profiles:
//
//	{"default": "generic", "suppliers": {"<supplier folder>": "<profile name>"}}
//
// A supplier not listed gets the default. The file is embedded, so a new
// mapping ships with a deployment and is reviewed like code.
//
//go:embed suppliers.json
var suppliersJSON []byte

// Profiles chooses the ingest profile of each supplier.
type Profiles struct {
	Default   string            `json:"default"`
	Suppliers map[string]string `json:"suppliers"`
}

// DefaultProfiles returns the embedded supplier → profile mapping, checked:
// every profile it names exists.
func DefaultProfiles() (*Profiles, error) { return ParseProfiles(suppliersJSON) }

// ParseProfiles decodes and checks a supplier → profile mapping.
func ParseProfiles(b []byte) (*Profiles, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Profiles
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("supplier profiles: %w", err)
	}
	if p.Default == "" {
		return nil, fmt.Errorf("supplier profiles: no default profile")
	}
	for _, name := range append([]string{p.Default}, mapValues(p.Suppliers)...) {
		if _, err := ingest.LoadProfile(name); err != nil {
			return nil, fmt.Errorf("supplier profiles: %w", err)
		}
	}
	return &p, nil
}

// For returns the profile name of supplier.
func (p *Profiles) For(supplier string) string {
	if name, ok := p.Suppliers[supplier]; ok {
		return name
	}
	return p.Default
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// DryRun is the supplier's check of a file before sending it (mediactl
// validate, POST /api/ingest/validate): Validate with the named profile, or
// the supplier's (DefaultProfiles) when profileName is "", and the default
// limits. An unknown profile is an *apperr.ParamError on "profile".
func DryRun(ctx context.Context, src ingest.Source, profileName string) (*ingest.Report, error) {
	if profileName == "" {
		profiles, err := DefaultProfiles()
		if err != nil {
			return nil, err
		}
		profileName = profiles.For(src.Supplier)
	}
	profile, err := ingest.LoadProfile(profileName)
	if err != nil {
		return nil, &apperr.ParamError{Param: "profile", Reason: err.Error()}
	}
	return Validate(ctx, src, profile, ingest.DefaultLimits)
}
