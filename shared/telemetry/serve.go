package telemetry

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// MetricsListenAddrEnv names the setting that, when set (say
// 127.0.0.1:9464), makes the handler also serve GET /metrics on that fixed
// address. Locally the host stand-in starts the handler on a random port
// and, like the Azure host, forwards only function routes, so a local
// Prometheus needs a fixed port to scrape; in Azure it stays unset and
// metrics leave over OTLP.
const MetricsListenAddrEnv = "METRICS_LISTEN_ADDR"

// ServeMetrics serves GET /metrics on addr until ctx ends. It returns once
// the listener is open (an error if it cannot be), serving in the
// background; the server stops when ctx is done.
func (t *Telemetry) ServeMetrics(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("telemetry: metrics listener %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", t.MetricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	// Serve returns ErrServerClosed after Shutdown; any other failure leaves
	// the main server running and shows as the scrape target being down.
	go func() { _ = srv.Serve(ln) }()
	return nil
}
