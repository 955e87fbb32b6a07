package devhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mediaspecs/catalogue/shared/blob"
)

// settings are the app settings as the host sees them: the process
// environment first, then local.settings.json "Values". Core Tools (`func
// start`) applies local.settings.json the same way: a value already in the
// environment wins, and the file's value is skipped.
type settings struct {
	env    map[string]string // the base environment of devhost
	values map[string]string // local.settings.json Values
	order  []string          // Values keys in file order, for a stable child env
}

// localSettings is the shape of local.settings.json.
type localSettings struct {
	IsEncrypted bool              `json:"IsEncrypted"`
	Values      map[string]string `json:"Values"`
}

// loadSettings reads the Values of path. When path does not exist and
// fallback is non-empty, the fallback file is read instead (the repository
// ships local.settings.sample.json; local.settings.json is developer-owned
// and git-ignored). It returns the file actually read.
func loadSettings(path, fallback string, env []string) (*settings, string, error) {
	s := &settings{env: envMap(env), values: map[string]string{}}
	used := path
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && fallback != "" {
		used = fallback
		raw, err = os.ReadFile(fallback)
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading app settings: %w", err)
	}
	var ls localSettings
	if err := json.Unmarshal(raw, &ls); err != nil {
		return nil, "", fmt.Errorf("%s: %w", used, err)
	}
	if ls.IsEncrypted {
		return nil, "", fmt.Errorf("%s: IsEncrypted is true; devhost reads plain-text settings only", used)
	}
	s.values = ls.Values
	if s.values == nil {
		s.values = map[string]string{}
	}
	s.order = orderedKeys(raw)
	return s, used, nil
}

// orderedKeys returns the keys of the "Values" object in file order, so the
// child's environment is stable from run to run. Unknown shapes yield nil
// (the caller then sorts).
func orderedKeys(raw []byte) []string {
	var doc struct {
		Values json.RawMessage `json:"Values"`
	}
	if json.Unmarshal(raw, &doc) != nil || len(doc.Values) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(doc.Values)))
	if _, err := dec.Token(); err != nil { // {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		k, _ := tok.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return keys
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// lookup returns the app setting name: the environment wins over Values.
func (s *settings) lookup(name string) (string, bool) {
	if v, ok := s.env[name]; ok {
		return v, true
	}
	v, ok := s.values[name]
	return v, ok
}

// expand replaces every %Name% in v with the app setting Name, as the host
// does for binding properties such as queueName, schedule and path (the
// WebJobs "app setting resolver"). "%%" is not special. A name that does
// not resolve is an error, which the host reports at startup too.
func (s *settings) expand(v string) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	var b strings.Builder
	rest := v
	for {
		i := strings.IndexByte(rest, '%')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		j := strings.IndexByte(rest[i+1:], '%')
		if j < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		name := rest[i+1 : i+1+j]
		val, ok := s.lookup(name)
		if !ok {
			return "", fmt.Errorf("'%%%s%%' does not resolve to an app setting value", name)
		}
		b.WriteString(rest[:i])
		b.WriteString(val)
		rest = rest[i+j+2:]
	}
}

// connectionString resolves a binding's "connection" the way the storage
// extension does: empty means AzureWebJobsStorage; the setting name may
// omit an "AzureWebJobs" prefix. The development shorthand
// UseDevelopmentStorage=true is expanded for the Go SDKs. Identity-based
// connections (<name>__queueServiceUri) are not supported locally.
func (s *settings) connectionString(connection string) (string, error) {
	if connection == "" {
		connection = "AzureWebJobsStorage"
	}
	for _, name := range []string{connection, "AzureWebJobs" + connection} {
		if v, ok := s.lookup(name); ok && v != "" {
			return blob.ConnectionString(v), nil
		}
	}
	for _, suffix := range []string{"__queueServiceUri", "__blobServiceUri", "__serviceUri", "__accountName"} {
		if v, ok := s.lookup(connection + suffix); ok && v != "" {
			return "", fmt.Errorf("connection %q is identity-based (%s%s); devhost needs a connection string", connection, connection, suffix)
		}
	}
	return "", fmt.Errorf("connection %q: no app setting %q holds a connection string", connection, connection)
}

// childEnv is the handler's environment: devhost's own environment, then
// every local.settings.json value not already set there (the `func start`
// rule), then the host's FUNCTIONS_* variables, which always win.
func (s *settings) childEnv(extra map[string]string) []string {
	out := make([]string, 0, len(s.env)+len(s.values)+len(extra))
	keys := make([]string, 0, len(s.env))
	for k := range s.env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, ok := extra[k]; !ok {
			out = append(out, k+"="+s.env[k])
		}
	}
	order := s.order
	if len(order) != len(s.values) {
		order = make([]string, 0, len(s.values))
		for k := range s.values {
			order = append(order, k)
		}
		slices.Sort(order)
	}
	for _, k := range order {
		if _, inEnv := s.env[k]; inEnv {
			continue
		}
		if _, ok := extra[k]; ok {
			continue
		}
		out = append(out, k+"="+s.values[k])
	}
	ek := make([]string, 0, len(extra))
	for k := range extra {
		ek = append(ek, k)
	}
	slices.Sort(ek)
	for _, k := range ek {
		out = append(out, k+"="+extra[k])
	}
	return out
}

// defaultSettingsPaths returns local.settings.json and its fallback
// local.settings.sample.json under root.
func defaultSettingsPaths(root string) (string, string) {
	return filepath.Join(root, "local.settings.json"), filepath.Join(root, "local.settings.sample.json")
}
