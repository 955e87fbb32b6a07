// Package blob is the Azure Storage adapter (Blob and Queue). It builds the
// clients from the handler's configuration: a connection string locally
// (Azurite), the managed identity with service URIs in Azure.
package blob

import (
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/mediaspecs/catalogue/shared/config"
)

// DevelopmentConnectionString is what "UseDevelopmentStorage=true" means to
// the Functions host: Azurite's documented, public development account on
// loopback. The Go SDKs do not understand the shorthand, so it is expanded here.
const DevelopmentConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
	"AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
	"BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"

// ConnectionString expands the development shorthand; other values pass through.
func ConnectionString(s string) string {
	if strings.EqualFold(strings.ReplaceAll(s, " ", ""), "UseDevelopmentStorage=true") {
		return DevelopmentConnectionString
	}
	return s
}

// Clients are the storage clients of one account.
type Clients struct {
	Blob  *azblob.Client
	Queue *azqueue.ServiceClient
}

// NewClients builds the clients from cfg. With a connection string it uses
// the account key in it (local); otherwise cred (the managed identity) with
// the service URIs.
func NewClients(cfg config.Storage, cred azcore.TokenCredential) (*Clients, error) {
	return NewClientsWithOptions(cfg, cred, policy.ClientOptions{})
}

// NewClientsWithOptions is NewClients with azcore client options for both
// clients: the handler passes telemetry's tracing provider (a span per SDK
// operation and per HTTP attempt) and per-retry policies (dependency
// metrics).
func NewClientsWithOptions(cfg config.Storage, cred azcore.TokenCredential, opts policy.ClientOptions) (*Clients, error) {
	blobOpts := &azblob.ClientOptions{ClientOptions: opts}
	queueOpts := &azqueue.ClientOptions{ClientOptions: opts}
	if cfg.ConnectionString != "" {
		cs := ConnectionString(cfg.ConnectionString)
		b, err := azblob.NewClientFromConnectionString(cs, blobOpts)
		if err != nil {
			return nil, fmt.Errorf("azblob.NewClientFromConnectionString: %w", err)
		}
		q, err := azqueue.NewServiceClientFromConnectionString(cs, queueOpts)
		if err != nil {
			return nil, fmt.Errorf("azqueue.NewServiceClientFromConnectionString: %w", err)
		}
		return &Clients{Blob: b, Queue: q}, nil
	}
	if cred == nil {
		return nil, fmt.Errorf("blob.NewClients: identity-based storage needs a token credential")
	}
	b, err := azblob.NewClient(cfg.BlobServiceURI, cred, blobOpts)
	if err != nil {
		return nil, fmt.Errorf("azblob.NewClient: %w", err)
	}
	q, err := azqueue.NewServiceClient(cfg.QueueServiceURI, cred, queueOpts)
	if err != nil {
		return nil, fmt.Errorf("azqueue.NewServiceClient: %w", err)
	}
	return &Clients{Blob: b, Queue: q}, nil
}
