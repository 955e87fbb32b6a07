package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// errRefreshLimited: the token names a key id the cached key set lacks, and
// the key set was refreshed too recently to ask Keycloak again.
var errRefreshLimited = errors.New("unknown signing key id (key refresh rate-limited)")

// keySet implements oidc.KeySet over the realm's JWKS. Unlike
// oidc.RemoteKeySet, which refetches the JWKS on every unknown key id, it
// refetches at most once per minRefresh, whatever the tokens say: a flood of
// forged tokens with random kids costs Keycloak one request per interval.
// A token whose kid is known but whose signature is wrong never triggers a
// refresh.
type keySet struct {
	url        string
	client     *http.Client
	minRefresh time.Duration
	now        func() time.Time
	algs       []jose.SignatureAlgorithm

	mu   sync.RWMutex
	keys []jose.JSONWebKey

	fetchMu sync.Mutex // one fetch at a time; guards lastTry
	lastTry time.Time
	fetches atomic.Int64
}

const (
	jwksFetchTimeout = 5 * time.Second
	maxJWKSBytes     = 1 << 20
)

func (k *keySet) cached() []jose.JSONWebKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys
}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSigned(raw, k.algs)
	if err != nil {
		return nil, fmt.Errorf("malformed jwt: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("want exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys := k.cached()
	if !hasKey(keys, kid) {
		if keys, err = k.refresh(ctx, kid); err != nil {
			return nil, err
		}
		if !hasKey(keys, kid) {
			return nil, errors.New("unknown signing key id")
		}
	}
	for _, key := range keys {
		if !matches(key, kid) {
			continue
		}
		if payload, err := jws.Verify(&key); err == nil {
			return payload, nil
		}
	}
	return nil, errors.New("signature does not verify")
}

func matches(key jose.JSONWebKey, kid string) bool {
	return (kid == "" || key.KeyID == kid) && (key.Use == "" || key.Use == "sig")
}

func hasKey(keys []jose.JSONWebKey, kid string) bool {
	for _, key := range keys {
		if matches(key, kid) {
			return true
		}
	}
	return false
}

// refresh fetches the JWKS unless another caller just did (then it returns
// what that caller got) or the last attempt is younger than minRefresh.
func (k *keySet) refresh(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	if keys := k.cached(); hasKey(keys, kid) {
		return keys, nil // fetched while this caller waited
	}
	now := k.now()
	if !k.lastTry.IsZero() && now.Sub(k.lastTry) < k.minRefresh {
		return nil, errRefreshLimited
	}
	k.lastTry = now
	k.fetches.Add(1)
	// The fetch outlives a cancelled request: its result serves everyone.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksFetchTimeout)
	defer cancel()
	keys, err := k.fetch(fctx)
	if err != nil {
		return nil, fmt.Errorf("fetching the signing keys: %w", err)
	}
	k.mu.Lock()
	k.keys = keys
	k.mu.Unlock()
	return keys, nil
}

func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", k.url, resp.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSBytes)).Decode(&set); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", k.url, err)
	}
	return set.Keys, nil
}
