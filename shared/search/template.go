package search

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// The index template lives in template.json so that it reads like what
// Elasticsearch stores; the synonym groups live in synonyms.txt so that people
// who curate them never touch JSON. Template() joins the two.
var (
	//go:embed template.json
	templateJSON []byte
	//go:embed synonyms.txt
	synonymsTxt []byte
)

// TemplateName is the name of the composable index template that every
// versioned media index (media-*) is created from.
const TemplateName = "mediaspecs-media"

// Synonyms returns the synonym rules of synonyms.txt (comments and blank lines dropped).
func Synonyms() []string {
	var rules []string
	sc := bufio.NewScanner(bytes.NewReader(synonymsTxt))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rules = append(rules, line)
	}
	return rules
}

// Template returns the index template body with the synonym rules inlined.
// Inline rules (rather than a synonyms_path file) work unchanged on a managed
// cluster, where nobody can place files in the node's config folder.
func Template() ([]byte, error) {
	var t map[string]any
	if err := json.Unmarshal(templateJSON, &t); err != nil {
		return nil, fmt.Errorf("search: template.json: %w", err)
	}
	filter, ok := dig(t, "template", "settings", "analysis", "filter", "ms_synonyms")
	if !ok {
		return nil, fmt.Errorf("search: template.json has no ms_synonyms filter")
	}
	filter["synonyms"] = Synonyms()
	return json.Marshal(t)
}

func dig(m map[string]any, path ...string) (map[string]any, bool) {
	for _, p := range path {
		next, ok := m[p].(map[string]any)
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}
