package stacktest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
	"github.com/elastic/go-elasticsearch/v8"

	"github.com/mediaspecs/catalogue/shared/cosmos"
)

// cleanupContext bounds cleanup calls: t.Context is already cancelled when
// cleanups run.
func cleanupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

func cosmosTransport() (http.RoundTripper, error) {
	// The adapter's trust rules: the stack's certificate is the only root.
	return cosmos.TrustingTransport(CosmosCAFile())
}

// BlobService returns an azblob client for Azurite.
func BlobService(t testing.TB) *azblob.Client {
	t.Helper()
	Require(t, Azurite)
	c, err := azblob.NewClientFromConnectionString(AzuriteConnectionString, nil)
	if err != nil {
		t.Fatalf("azblob.NewClientFromConnectionString: %v", err)
	}
	return c
}

// BlobContainer creates a container unique to the test in Azurite, deleted
// when the test ends, and returns the client and the container name.
func BlobContainer(t testing.TB) (*azblob.Client, string) {
	t.Helper()
	c := BlobService(t)
	name := Name(t)
	if _, err := c.CreateContainer(t.Context(), name, nil); err != nil {
		t.Fatalf("creating blob container %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if _, err := c.DeleteContainer(ctx, name, nil); err != nil {
			t.Errorf("deleting blob container %s: %v", name, err)
		}
	})
	return c, name
}

// QueueService returns an azqueue service client for Azurite.
func QueueService(t testing.TB) *azqueue.ServiceClient {
	t.Helper()
	Require(t, Azurite)
	c, err := azqueue.NewServiceClientFromConnectionString(AzuriteConnectionString, nil)
	if err != nil {
		t.Fatalf("azqueue.NewServiceClientFromConnectionString: %v", err)
	}
	return c
}

// Queue creates a queue unique to the test in Azurite, deleted when the test ends.
func Queue(t testing.TB) *azqueue.QueueClient {
	t.Helper()
	svc := QueueService(t)
	name := Name(t)
	if _, err := svc.CreateQueue(t.Context(), name, nil); err != nil {
		t.Fatalf("creating queue %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if _, err := svc.DeleteQueue(ctx, name, nil); err != nil {
			t.Errorf("deleting queue %s: %v", name, err)
		}
	})
	return svc.NewQueueClient(name)
}

// CosmosClient returns an azcosmos client for the local cosmosdb-server,
// trusting exactly the stack's certificate.
func CosmosClient(t testing.TB) *azcosmos.Client {
	t.Helper()
	Require(t, Cosmos)
	c, err := cosmos.NewClient(cosmos.ClientConfig{Endpoint: CosmosEndpoint, Key: CosmosKey, CAFile: CosmosCAFile()}, nil)
	if err != nil {
		t.Fatalf("cosmos.NewClient: %v", err)
	}
	return c
}

// CosmosDatabase creates a database unique to the test, deleted when it ends.
func CosmosDatabase(t testing.TB) *azcosmos.DatabaseClient {
	t.Helper()
	c := CosmosClient(t)
	name := Name(t)
	if _, err := c.CreateDatabase(t.Context(), azcosmos.DatabaseProperties{ID: name}, nil); err != nil {
		t.Fatalf("creating Cosmos database %s: %v", name, err)
	}
	db, err := c.NewDatabase(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if _, err := db.Delete(ctx, nil); err != nil {
			t.Errorf("deleting Cosmos database %s: %v", name, err)
		}
	})
	return db
}

// ElasticsearchClient returns a go-elasticsearch client for the local node.
func ElasticsearchClient(t testing.TB) *elasticsearch.Client {
	t.Helper()
	Require(t, Elasticsearch)
	c, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{ElasticsearchURL}})
	if err != nil {
		t.Fatalf("elasticsearch.NewClient: %v", err)
	}
	return c
}

// IndexName returns an index name prefix unique to the test; every index
// whose name starts with it is deleted when the test ends.
func IndexName(t testing.TB, es *elasticsearch.Client) string {
	t.Helper()
	name := Name(t)
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		// Wildcard deletes are refused (action.destructive_requires_name), so
		// resolve the names first, then delete them explicitly.
		res, err := es.Indices.Get([]string{name + "*"}, es.Indices.Get.WithContext(ctx))
		if err != nil {
			t.Errorf("listing indices %s*: %v", name, err)
			return
		}
		var found map[string]json.RawMessage
		err = json.NewDecoder(res.Body).Decode(&found)
		res.Body.Close()
		if err != nil || res.IsError() {
			t.Errorf("listing indices %s*: %s %v", name, res.Status(), err)
			return
		}
		if len(found) == 0 {
			return
		}
		names := make([]string, 0, len(found))
		for n := range found {
			names = append(names, n)
		}
		res, err = es.Indices.Delete(names, es.Indices.Delete.WithContext(ctx))
		if err != nil {
			t.Errorf("deleting indices %v: %v", names, err)
			return
		}
		res.Body.Close()
		if res.IsError() {
			t.Errorf("deleting indices %v: %s", names, res.Status())
		}
	})
	return name
}

// Token is an OAuth2 token response from Keycloak.
type Token struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
}

// ClientCredentialsToken obtains a token for a confidential client with the
// client_credentials grant.
func ClientCredentialsToken(t testing.TB, clientID, secret string) Token {
	t.Helper()
	return tokenRequest(t, url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {clientID},
		"client_secret": {secret},
	})
}

// UserToken obtains a token for one of the realm's test users through the
// dev-only test client (password grant; see infra/local/keycloak/README.md).
func UserToken(t testing.TB, username string) Token {
	t.Helper()
	return tokenRequest(t, url.Values{
		"grant_type": {"password"},
		"client_id":  {"mediaspecs-test"},
		"username":   {username},
		"password":   {Secrets(t)["MEDIASPECS_TEST_USER_PASSWORD"]},
		"scope":      {"openid"},
	})
}

func tokenRequest(t testing.TB, form url.Values) Token {
	t.Helper()
	Require(t, Keycloak)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		KeycloakIssuer+"/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var tok Token
	if resp.StatusCode != http.StatusOK {
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		t.Fatalf("token request for %s: %s %v", form.Get("client_id"), resp.Status, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatalf("decoding token response: %v", err)
	}
	if tok.AccessToken == "" {
		t.Fatalf("token response for %s has no access_token", form.Get("client_id"))
	}
	return tok
}

// CosmosContainer creates a container with props in a database unique to the
// test (both removed when it ends) and returns its client.
func CosmosContainer(t testing.TB, props azcosmos.ContainerProperties) *azcosmos.ContainerClient {
	t.Helper()
	db := CosmosDatabase(t)
	if _, err := db.CreateContainer(t.Context(), props, nil); err != nil {
		t.Fatalf("creating Cosmos container %s: %v", props.ID, err)
	}
	c, err := db.NewContainer(props.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
