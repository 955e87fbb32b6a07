// Package stacktest gives tests ready clients for the real local services that
// infra/local/stack runs (Azurite, cosmosdb-server, Elasticsearch, Keycloak),
// each with a resource name unique to the test and removed when it ends, so
// tests never collide and can run in parallel.
//
// When a service is not reachable, a test fails naming the service if CI=true
// (or MEDIASPECS_REQUIRE_STACK=1); elsewhere it skips with the same message,
// so `go test` on a laptop without the stack still runs the unit tests.
// `make test` starts the stack first, so nothing is skipped there.
package stacktest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/blob"
)

// Service names one service of the local stack.
type Service string

// The services of the local stack, named as infra/local/stack names them.
const (
	Azurite       Service = "azurite"
	Cosmos        Service = "cosmos"
	Elasticsearch Service = "elasticsearch"
	Keycloak      Service = "keycloak"
)

// Local endpoints. They match infra/local/stack; every service binds to loopback.
const (
	BlobURL          = "http://127.0.0.1:10000/devstoreaccount1"
	QueueURL         = "http://127.0.0.1:10001/devstoreaccount1"
	CosmosEndpoint   = "https://127.0.0.1:8081/"
	ElasticsearchURL = "http://127.0.0.1:9200"
	KeycloakIssuer   = "http://127.0.0.1:8080/realms/mediaspecs"

	// AzuriteConnectionString is Azurite's public development account.
	AzuriteConnectionString = blob.DevelopmentConnectionString

	// CosmosKey is any well-formed base64 key: cosmosdb-server ignores keys.
	CosmosKey = "bG9jYWwtY29zbW9zZGItc2VydmVyLWlnbm9yZXMta2V5cw=="
)

// CacheDir is the stack's cache folder ($MEDIASPECS_CACHE or its default).
func CacheDir() string {
	if d := os.Getenv("MEDIASPECS_CACHE"); d != "" {
		return d
	}
	return "/opt/mediaspecs-cache"
}

// CosmosCAFile is the certificate the local Cosmos DB server presents.
func CosmosCAFile() string { return filepath.Join(CacheDir(), "tls", "cosmos-cert.pem") }

var (
	healthMu    sync.Mutex
	healthCache = map[Service]error{}
)

// Require makes the test fail (CI) or skip (elsewhere) unless svc answers.
// The probe runs once per service per test binary.
func Require(t testing.TB, svc Service) {
	t.Helper()
	healthMu.Lock()
	err, done := healthCache[svc]
	if !done {
		err = probe(svc)
		healthCache[svc] = err
	}
	healthMu.Unlock()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("local stack service %s is not available (%v); start it with `infra/local/stack up %s` or `make test`", svc, err, svc)
	if mustHaveStack() {
		t.Fatal(msg)
	}
	t.Skipf("%s (skipped because CI is not true)", msg)
}

func mustHaveStack() bool {
	return os.Getenv("CI") == "true" || os.Getenv("MEDIASPECS_REQUIRE_STACK") == "1"
}

func probe(svc Service) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	client := http.DefaultClient
	var url string
	switch svc {
	case Azurite:
		url = BlobURL + "?comp=list"
	case Cosmos:
		transport, err := cosmosTransport()
		if err != nil {
			return err
		}
		client = &http.Client{Transport: transport}
		url = CosmosEndpoint
	case Elasticsearch:
		url = ElasticsearchURL + "/_cluster/health"
	case Keycloak:
		url = KeycloakIssuer + "/.well-known/openid-configuration"
	default:
		return fmt.Errorf("unknown service %q", svc)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	// Azurite refuses an unsigned list with 403, which still proves it serves.
	if resp.StatusCode >= 500 || (svc != Azurite && resp.StatusCode >= 400) {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// Name returns a lowercase name unique to this test run, valid as an Azure
// container or queue name, an Elasticsearch index name and a Cosmos id:
// "t-<test name fragment>-<random>", at most 40 characters.
func Name(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	frag := strings.Trim(b.String(), "-")
	if len(frag) > 24 {
		frag = strings.TrimRight(frag[:24], "-")
	}
	var rnd [5]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	return "t-" + frag + "-" + hex.EncodeToString(rnd[:])
}

// Secrets returns the local credentials the stack generated
// ($MEDIASPECS_CACHE/run/secrets.env): Keycloak client secret, test user password.
func Secrets(t testing.TB) map[string]string {
	t.Helper()
	path := filepath.Join(CacheDir(), "run", "secrets.env")
	f, err := os.Open(path)
	if err != nil {
		msg := fmt.Sprintf("local stack secrets unavailable: %v (the stack writes them at `infra/local/stack up`)", err)
		if mustHaveStack() {
			t.Fatal(msg)
		}
		t.Skipf("%s (skipped because CI is not true)", msg)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			out[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
