package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mediaspecs/catalogue/shared/devhost"
)

// hostHop runs the real handler binary under devhost (the local host
// stand-in) against the run's index and database, so a phase can measure the
// extra hop a request takes through the host, with real token verification.
type hostHop struct {
	url   string
	token string
	stop  func()
}

func startHostHop(ctx context.Context, run, readAlias, writeAlias, cache string) (*hostHop, error) {
	dir, err := os.MkdirTemp("", "bench-devhost-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "handler")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./shared/cmd/handler")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the handler: %v\n%s", err, out)
	}
	// devhost passes local settings to the handler, and the environment wins
	// over them, as with func start: point the handler at this run's data.
	for k, v := range map[string]string{
		"SEARCH_READ_ALIAS": readAlias, "SEARCH_WRITE_ALIAS": writeAlias,
		"COSMOS_DATABASE": run, "COSMOS_CONTAINER": "media", "LOG_LEVEL": "warn",
	} {
		os.Setenv(k, v)
	}
	hctx, cancel := context.WithCancel(ctx)
	h, err := devhost.New(devhost.Config{Root: ".", Handler: bin, Addr: "127.0.0.1:0", HTTPOnly: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- h.Run(hctx) }()
	select {
	case <-h.Ready():
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("devhost: %w", err)
	}
	hop := &hostHop{url: "http://" + h.Addr(), stop: func() { cancel(); <-done; os.RemoveAll(dir) }}
	if hop.token, err = subscriberToken(ctx, cache); err != nil {
		hop.stop()
		return nil, err
	}
	return hop, nil
}

// subscriberToken gets a real access token for the realm's subscriber test
// user (the local stack's generated password).
func subscriberToken(ctx context.Context, cache string) (string, error) {
	f, err := os.Open(filepath.Join(cache, "run", "secrets.env"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	var password string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MEDIASPECS_TEST_USER_PASSWORD="); ok {
			password = v
		}
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {"mediaspecs-test"}, "username": {"subscriber"}, "password": {password}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:8080/realms/mediaspecs/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("token for subscriber: %s %v", res.Status, err)
	}
	return tok.AccessToken, nil
}
