// Package cosmos is the Cosmos DB adapter: it builds the azcosmos client the
// rest of the system uses and, as the catalogue grows, holds the typed reads and
// writes. Only this package looks at azcosmos types and errors.
package cosmos

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/tracing"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// ClientConfig says how to reach a Cosmos DB account.
type ClientConfig struct {
	// Endpoint is the account URL, e.g. https://acct.documents.azure.com:443/.
	Endpoint string
	// Key is an account key. Production uses Entra ID (a token credential)
	// and leaves Key empty; the local cosmosdb-server ignores keys but the
	// SDK's key credential still needs a well-formed base64 value.
	Key string
	// CAFile, when set, is a PEM file whose certificates are the only roots
	// trusted for the endpoint. The local profile uses it to trust the stack's
	// self-signed certificate; TLS verification is never switched off.
	CAFile string
	// MaxRetries bounds retries of throttled (429) and transient failures.
	// The azcore default of 3 is too low for bulk writes; 0 keeps the default.
	MaxRetries int32
	// PerRetryPolicies run on every attempt, retries included (telemetry
	// counts each request, its status and request charge there, so 429s that
	// the SDK retried are not hidden).
	PerRetryPolicies []policy.Policy
	// TracingProvider, when set, makes a client span per SDK operation (with
	// the request charge and status code azcosmos records) and per HTTP
	// attempt (telemetry.Telemetry.AzureTracing).
	TracingProvider tracing.Provider
}

// NewClient returns an azcosmos client for cfg. With cred nil, cfg.Key must
// be set.
func NewClient(cfg ClientConfig, cred azcore.TokenCredential) (*azcosmos.Client, error) {
	opts := &azcosmos.ClientOptions{}
	opts.PerRetryPolicies = cfg.PerRetryPolicies
	opts.TracingProvider = cfg.TracingProvider
	if cfg.MaxRetries > 0 {
		opts.Retry = policy.RetryOptions{MaxRetries: cfg.MaxRetries, MaxRetryDelay: 30 * time.Second}
	}
	if cfg.CAFile != "" {
		transport, err := TrustingTransport(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		opts.Transport = &http.Client{Transport: transport}
	}
	if cred != nil {
		return azcosmos.NewClient(cfg.Endpoint, cred, opts)
	}
	if cfg.Key == "" {
		return nil, errors.New("cosmos.NewClient: neither a token credential nor a key is configured")
	}
	key, err := azcosmos.NewKeyCredential(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("cosmos.NewKeyCredential: %w", err)
	}
	return azcosmos.NewClientWithKey(cfg.Endpoint, key, opts)
}

// TrustingTransport returns an HTTP transport that trusts exactly the
// certificates in caFile (PEM) as roots, with full verification.
func TrustingTransport(caFile string) (*http.Transport, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("cosmos: reading CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cosmos: no PEM certificate in %s", caFile)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	t.MaxIdleConnsPerHost = 64
	return t, nil
}

// MediaContainerProperties describes the container of media titles.
// The partition key is /id: detail reads are point reads by id (1 RU/KB,
// the dominant access), writes spread evenly, and the nightly full scan is a
// cross-partition query either way (reference perf-reliability.md §2.3).
func MediaContainerProperties(name string) azcosmos.ContainerProperties {
	return azcosmos.ContainerProperties{
		ID:                     name,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/id"}},
	}
}
