// Package config holds the handler's one configuration struct. It is loaded
// once at start-up from the environment (app settings in Azure,
// local.settings.json or the devhost locally) and validated in full: every
// bad or missing variable is named in a single error. Nothing else in the
// program reads the environment.
//
// The env names here are the contract with infra/ (Terraform app_settings) and
// local.settings.sample.json; a test keeps the three in step.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/mediaspecs/catalogue/shared/quota"
)

// Config is the handler's configuration. Each field's `env` tag names its
// variable; `default` gives its value when unset; `required` marks variables
// without a sensible default.
type Config struct {
	// Port is where the Functions host expects the handler to listen.
	Port int `env:"FUNCTIONS_CUSTOMHANDLER_PORT" required:"true"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL" default:"info"`
	// ShutdownTimeout bounds the graceful drain on SIGTERM.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" default:"20s"`

	Cosmos        Cosmos
	Elasticsearch Elasticsearch
	Storage       Storage
	Maintenance   Maintenance
	OIDC          OIDC
	B2B           B2B
	Telemetry     Telemetry

	// HealthTimeout bounds each dependency check of the health route.
	HealthTimeout time.Duration `env:"HEALTH_TIMEOUT" default:"2s"`
}

// Cosmos says how to reach the Cosmos DB account and which container holds titles.
type Cosmos struct {
	Endpoint string `env:"COSMOS_ENDPOINT" required:"true"`
	// Key is for the local emulator only; Azure uses the managed identity.
	Key string `env:"COSMOS_KEY"`
	// CAFile is the local emulator's certificate (trusted explicitly, never skipped).
	CAFile    string `env:"COSMOS_CA_FILE"`
	Database  string `env:"COSMOS_DATABASE" default:"mediaspecs"`
	Container string `env:"COSMOS_CONTAINER" default:"media"`
	// ChangesContainer holds one change record per written title version
	// (partition key /titleId).
	ChangesContainer string `env:"CHANGES_CONTAINER" default:"changes"`
	// MaxRetries bounds the client's retries of throttled (429, after the
	// server's retry-after) and transient failures; the azcore default of 3
	// is too low for bulk ingestion.
	MaxRetries int `env:"COSMOS_MAX_RETRIES" default:"9"`
	// DetailCacheTitles bounds the detail route's in-process cache of
	// decoded titles (cosmos.TitleCache), revalidated by ETag.
	DetailCacheTitles int `env:"DETAIL_CACHE_TITLES" default:"4096"`
	// DetailFreshFor serves a title confirmed less than this long ago without
	// asking Cosmos again (0: every read revalidates). It stays far below the
	// max-age=60 the detail route already gives clients.
	DetailFreshFor time.Duration `env:"DETAIL_FRESH_FOR" default:"5s"`
	// IngestWriters is how many titles one ingestion writes concurrently.
	IngestWriters int `env:"INGEST_WRITERS" default:"16"`
	// IngestInFlightMiB bounds the parsed titles one ingestion holds
	// between parsing and writing (pipeline.Config.InFlightBytes), so an
	// instance's memory does not follow the file size.
	IngestInFlightMiB int `env:"INGEST_IN_FLIGHT_MIB" default:"8"`
}

// Maintenance configures the NightlyMaintenance job. Retention days match the
// storage lifecycle rules in infra/storage.tf (which also enforce them in Azure).
type Maintenance struct {
	// LeaseContainer is the Cosmos container holding job leases (partition key /id).
	LeaseContainer string `env:"MAINTENANCE_LEASE_CONTAINER" default:"maintenance"`
	// ReportsContainer is the blob container of maintenance reports.
	ReportsContainer string `env:"MAINTENANCE_REPORTS_CONTAINER" default:"maintenance-reports"`
	// KeepIndices is how many versioned search indices survive a rebuild.
	KeepIndices int `env:"SEARCH_KEEP_INDICES" default:"3"`
	// Retention of processed and rejected supplier files and of reports, in days.
	ProcessedRetentionDays int `env:"PROCESSED_RETENTION_DAYS" default:"365"`
	RejectedRetentionDays  int `env:"REJECTED_RETENTION_DAYS" default:"90"`
	ReportRetentionDays    int `env:"REPORT_RETENTION_DAYS" default:"90"`
	// Per-step timeouts; the lease lasts their sum plus a margin.
	RebuildTimeout   time.Duration `env:"REBUILD_TIMEOUT" default:"20m"`
	DriftTimeout     time.Duration `env:"DRIFT_TIMEOUT" default:"5m"`
	RetentionTimeout time.Duration `env:"RETENTION_TIMEOUT" default:"3m"`
}

// OIDC says which Keycloak realm issues the access tokens the handler accepts.
type OIDC struct {
	// Issuer is the realm URL exactly as it appears in tokens' iss,
	// e.g. https://id.example.com/realms/mediaspecs (discovery runs at it).
	Issuer string `env:"OIDC_ISSUER" required:"true"`
	// Audience must be in every access token's aud (Keycloak audience mapper).
	Audience string `env:"OIDC_AUDIENCE" default:"mediaspecs-api"`
}

// B2B configures the B2B API's per-client limits (shared/quota).
type B2B struct {
	// Limits are the rate limits and daily quotas, in quota.ParseLimits'
	// format: "default=<rate> burst=<n> daily=<n>; <client id>=<settings>…".
	// The default matches perf-reliability.md's abuse limit (10 requests/s,
	// burst 50); 50,000 requests a day is a full catalogue export a few
	// times over. Daily counts live in the maintenance container.
	Limits string `env:"B2B_LIMITS" default:"default=10/s burst=50 daily=50000"`
}

// Telemetry is the handler's own tracing setting. The standard
// OpenTelemetry variables (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_HEADERS, …) are not here: the OpenTelemetry exporters
// read that family themselves, as the specification defines
// (telemetry.ConfigFromEnv), and infra/telemetry.tf sets them.
type Telemetry struct {
	// TraceSampleRatio is the share of new root traces sampled, 0 to 1; a
	// sampled parent (the host's traceparent, a queue message's) is always
	// followed (shared/telemetry).
	TraceSampleRatio float64 `env:"TRACE_SAMPLE_RATIO" default:"0.1"`
}

// Elasticsearch says how to reach the search cluster.
type Elasticsearch struct {
	URL string `env:"ELASTICSEARCH_URL" required:"true"`
	// APIKey is read from Key Vault through an app-setting reference in Azure.
	APIKey string `env:"ELASTICSEARCH_API_KEY"`
	// IndexPrefix names the versioned indices: <prefix>-<UTC timestamp>.
	IndexPrefix string `env:"SEARCH_INDEX_PREFIX" default:"media"`
	// ReadAlias is the alias searches read from.
	ReadAlias string `env:"SEARCH_READ_ALIAS" default:"media-read"`
	// WriteAlias is the alias indexing writes to.
	WriteAlias string `env:"SEARCH_WRITE_ALIAS" default:"media-write"`
}

// Storage is the storage account of the functions' bindings ("connection":
// "Storage" in function.json). Locally it is a connection string; in Azure the
// identity-based form Storage__blobServiceUri / Storage__queueServiceUri with
// the managed identity's client id, exactly as the host reads it.
type Storage struct {
	ConnectionString string `env:"Storage"`
	BlobServiceURI   string `env:"Storage__blobServiceUri"`
	QueueServiceURI  string `env:"Storage__queueServiceUri"`
	ClientID         string `env:"Storage__clientId"`

	SupplierContainer string `env:"SUPPLIER_CONTAINER" default:"supplier-drop"`
	ReportsContainer  string `env:"REPORTS_CONTAINER" default:"ingest-reports"`
	IngestQueue       string `env:"INGEST_QUEUE" default:"ingest-events"`
	ReindexQueue      string `env:"REINDEX_QUEUE" default:"reindex"`
	// MaintenanceQueue carries admins' manual maintenance runs to the
	// RunMaintenance function.
	MaintenanceQueue string `env:"MAINTENANCE_QUEUE" default:"maintenance-requests"`
}

// Load reads the configuration with lookup (os.LookupEnv in production) and
// validates it. The error names every bad variable.
func Load(lookup func(string) (string, bool)) (*Config, error) {
	cfg := &Config{}
	var errs []error
	fill(reflect.ValueOf(cfg).Elem(), lookup, &errs)
	errs = append(errs, cfg.validate()...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// Names lists every environment variable Config reads, in declaration order.
func Names() []string {
	var names []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if name := f.Tag.Get("env"); name != "" {
				names = append(names, name)
			} else if f.Type.Kind() == reflect.Struct {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	return names
}

func fill(v reflect.Value, lookup func(string) (string, bool), errs *[]error) {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		name := f.Tag.Get("env")
		if name == "" {
			if f.Type.Kind() == reflect.Struct {
				fill(fv, lookup, errs)
			}
			continue
		}
		raw, ok := lookup(name)
		raw = strings.TrimSpace(raw)
		if !ok || raw == "" {
			if f.Tag.Get("required") == "true" {
				*errs = append(*errs, fmt.Errorf("%s is required", name))
				continue
			}
			raw = f.Tag.Get("default")
			if raw == "" {
				continue
			}
		}
		if err := set(fv, raw); err != nil {
			*errs = append(*errs, fmt.Errorf("%s=%q: %w", name, raw, err))
		}
	}
}

func set(v reflect.Value, raw string) error {
	switch v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return errors.New("not a duration (e.g. 2s, 500ms)")
		}
		if d <= 0 {
			return errors.New("must be positive")
		}
		v.SetInt(int64(d))
	case int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return errors.New("not an integer")
		}
		v.SetInt(int64(n))
	case float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return errors.New("not a number")
		}
		v.SetFloat(f)
	case bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return errors.New("not a boolean")
		}
		v.SetBool(b)
	case string:
		v.SetString(raw)
	default:
		return fmt.Errorf("unsupported field type %s", v.Type())
	}
	return nil
}

func (c *Config) validate() []error {
	var errs []error
	if c.Port != 0 && (c.Port < 1 || c.Port > 65535) {
		errs = append(errs, fmt.Errorf("FUNCTIONS_CUSTOMHANDLER_PORT=%d: not a TCP port", c.Port))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	for name, u := range map[string]string{
		"COSMOS_ENDPOINT":          c.Cosmos.Endpoint,
		"ELASTICSEARCH_URL":        c.Elasticsearch.URL,
		"OIDC_ISSUER":              c.OIDC.Issuer,
		"Storage__blobServiceUri":  c.Storage.BlobServiceURI,
		"Storage__queueServiceUri": c.Storage.QueueServiceURI,
	} {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%q: not an http(s) URL", name, u))
		}
	}
	if _, err := quota.ParseLimits(c.B2B.Limits); err != nil {
		errs = append(errs, fmt.Errorf("B2B_LIMITS=%q: %w", c.B2B.Limits, err))
	}
	if r := c.Telemetry.TraceSampleRatio; !(r >= 0 && r <= 1) {
		errs = append(errs, fmt.Errorf("TRACE_SAMPLE_RATIO=%v: want a ratio from 0 to 1", r))
	}
	if c.Cosmos.MaxRetries < 0 || c.Cosmos.MaxRetries > 100 {
		errs = append(errs, fmt.Errorf("COSMOS_MAX_RETRIES=%d: want 0 to 100", c.Cosmos.MaxRetries))
	}
	if c.Cosmos.DetailCacheTitles < 1 || c.Cosmos.DetailCacheTitles > 1_000_000 {
		errs = append(errs, fmt.Errorf("DETAIL_CACHE_TITLES=%d: want 1 to 1000000", c.Cosmos.DetailCacheTitles))
	}
	if d := c.Cosmos.DetailFreshFor; d < 0 || d > time.Minute {
		errs = append(errs, fmt.Errorf("DETAIL_FRESH_FOR=%s: want 0 to 1m (the detail route's max-age is 60 s)", d))
	}
	if c.Cosmos.IngestInFlightMiB < 1 || c.Cosmos.IngestInFlightMiB > 1024 {
		errs = append(errs, fmt.Errorf("INGEST_IN_FLIGHT_MIB=%d: want 1 to 1024", c.Cosmos.IngestInFlightMiB))
	}
	if c.Cosmos.IngestWriters < 1 || c.Cosmos.IngestWriters > 256 {
		errs = append(errs, fmt.Errorf("INGEST_WRITERS=%d: want 1 to 256", c.Cosmos.IngestWriters))
	}
	s := c.Storage
	hasURIs := s.BlobServiceURI != "" || s.QueueServiceURI != ""
	switch {
	case s.ConnectionString == "" && !hasURIs:
		errs = append(errs, errors.New("Storage: set the connection string (local) or Storage__blobServiceUri and Storage__queueServiceUri (managed identity)"))
	case s.ConnectionString != "" && hasURIs:
		errs = append(errs, errors.New("Storage: set either the connection string or the Storage__*ServiceUri pair, not both"))
	case hasURIs && (s.BlobServiceURI == "" || s.QueueServiceURI == ""):
		errs = append(errs, errors.New("Storage__blobServiceUri and Storage__queueServiceUri must be set together"))
	}
	return errs
}
