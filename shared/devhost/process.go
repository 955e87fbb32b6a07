package devhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Readiness and restart timing, as the host does it (functions-protocol.md §1.4).
const (
	// readyPollInterval is how often the host sends GET / while waiting.
	readyPollInterval = 25 * time.Millisecond
	// defaultReadyTimeout is HttpWorkerOptions.InitializationTimeout.
	defaultReadyTimeout = 30 * time.Second
	// restartBackoffMin and restartBackoffMax bound the delay before a
	// crashed handler is started again; the delay doubles per crash and
	// resets once a handler has stayed up for restartStable.
	restartBackoffMin = 100 * time.Millisecond
	restartBackoffMax = 10 * time.Second
	restartStable     = 30 * time.Second
	// defaultStopTimeout is how long a stopping handler gets between
	// SIGTERM and SIGKILL.
	defaultStopTimeout = 25 * time.Second
)

// handlerProcess supervises the custom handler: it starts it on a free
// port with the host's environment, waits until it answers GET /, and
// starts it again (with backoff) whenever it exits, until its context ends.
type handlerProcess struct {
	path         string
	args         []string
	dir          string
	env          func(port int) []string // full child environment for a port
	stdout       io.Writer
	stderr       io.Writer
	log          *slog.Logger
	readyTimeout time.Duration
	stopTimeout  time.Duration
	onReady      func(pid int)
	client       *http.Client

	mu      sync.Mutex
	cur     *childEndpoint // nil while no handler is ready
	changed chan struct{}  // closed and replaced on every change of cur; nil once run has returned
}

// childEndpoint is a ready handler.
type childEndpoint struct {
	base string // http://127.0.0.1:<port>
	pid  int
}

// errHandlerStopped is returned by endpoint when the supervisor has ended.
var errHandlerStopped = errors.New("handler process stopped")

// endpoint returns the base URL of the ready handler, waiting while it is
// starting or restarting. It fails when ctx ends or the supervisor stopped.
func (p *handlerProcess) endpoint(ctx context.Context) (string, error) {
	for {
		p.mu.Lock()
		cur, ch := p.cur, p.changed
		p.mu.Unlock()
		if cur != nil {
			return cur.base, nil
		}
		if ch == nil {
			return "", errHandlerStopped
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for the handler: %w", ctx.Err())
		}
	}
}

func (p *handlerProcess) set(cur *childEndpoint, final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur = cur
	if p.changed != nil {
		close(p.changed)
	}
	if final {
		p.changed = nil
		return
	}
	p.changed = make(chan struct{})
}

// run supervises the handler until ctx ends, then stops it (SIGTERM, then
// SIGKILL after stopTimeout) and returns nil. It returns an error at once
// when the executable cannot be started at all: that is a configuration
// error, not a crash worth retrying.
func (p *handlerProcess) run(ctx context.Context) error {
	defer p.set(nil, true)

	crashes := 0
	for {
		port, err := freePort()
		if err != nil {
			return err
		}
		cmd := exec.Command(p.path, p.args...)
		cmd.Dir = p.dir
		cmd.Env = p.env(port)
		cmd.Stdout = p.stdout
		cmd.Stderr = p.stderr
		detach(cmd)
		started := time.Now()
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting handler %s: %w", p.path, err)
		}
		exited := make(chan struct{})
		var waitErr error
		go func() {
			waitErr = cmd.Wait()
			close(exited)
		}()
		pid := cmd.Process.Pid
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		log := p.log.With(slog.Int("pid", pid), slog.Int("port", port))
		log.Info("handler started", slog.String("path", p.path))

		rctx, cancel := context.WithTimeout(ctx, p.readyTimeout)
		err = waitReady(rctx, p.client, base+"/", readyPollInterval, exited)
		cancel()
		switch {
		case err == nil:
			log.Info("handler ready", slog.Duration("startup", time.Since(started)))
			p.set(&childEndpoint{base: base, pid: pid}, false)
			if p.onReady != nil {
				p.onReady(pid)
			}
			select {
			case <-exited:
				p.set(nil, false)
				log.Error("handler exited; restarting", slog.Any("error", exitError(waitErr)))
			case <-ctx.Done():
				p.set(nil, false)
				p.stop(cmd, exited, log)
				return nil
			}
		case ctx.Err() != nil:
			p.stop(cmd, exited, log)
			return nil
		case isClosed(exited):
			log.Error("handler exited before it was ready; restarting", slog.Any("error", exitError(waitErr)))
		default:
			log.Error("initializing the handler timed out; restarting", slog.Duration("timeout", p.readyTimeout))
			p.stop(cmd, exited, log)
		}

		if time.Since(started) > restartStable {
			crashes = 0
		}
		delay := min(restartBackoffMin<<min(crashes, 10), restartBackoffMax)
		crashes++
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil
		}
	}
}

// stop asks the handler to shut down and kills it if it has not exited
// within stopTimeout.
func (p *handlerProcess) stop(cmd *exec.Cmd, exited <-chan struct{}, log *slog.Logger) {
	if isClosed(exited) {
		return
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = cmd.Process.Kill()
	}
	select {
	case <-exited:
		log.Info("handler stopped")
	case <-time.After(p.stopTimeout):
		log.Warn("handler did not stop in time; killing it", slog.Duration("timeout", p.stopTimeout))
		_ = cmd.Process.Kill()
		<-exited
	}
}

func exitError(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// waitReady polls url with GET every interval, as the host does before it
// sends the first invocation (HttpWorkerChannel / DefaultHttpWorkerService
// IsWorkerReady): any HTTP response, whatever its status, means ready; only
// transport errors (connection refused, reset, closed without a response)
// mean keep waiting. It stops early when abort is closed (the process
// exited) and fails when ctx ends.
func waitReady(ctx context.Context, client *http.Client, url string, interval time.Duration, abort <-chan struct{}) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("handler not ready at %s: %w", url, ctx.Err())
		case <-abort:
			return errors.New("handler exited before it was ready")
		case <-t.C:
		}
	}
}

// freePort asks the kernel for an unused loopback TCP port, as the host's
// WorkerUtilities.GetUnusedTcpPort does. The port is free when returned; a
// race with another process is possible and shows up as a failed start.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
