package stacktest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
)

// ElasticsearchNode is an extra, throwaway Elasticsearch node for fault
// drills: the shared node on :9200 serves every test running at the same
// time and must never be stopped, so a test that needs Elasticsearch really
// down starts one of these. It runs from the stack's cached distribution
// (with the analysis plugin), as the stack's Elasticsearch user, on ports of
// its own, with its own data folder (`infra/local/stack es-node`). Stop
// sends SIGTERM and waits for the process group to exit; Start on the same
// node reuses the data folder, so indices survive a restart.
//
// Starting takes about 20 s on the 2-core machine: start one per test
// package (TestMain or a sync.Once) and Remove it when the package ends.
type ElasticsearchNode struct {
	// URL is the node's HTTP address, http://127.0.0.1:<port>.
	URL string

	script                  string
	dir                     string
	httpPort, transportPort int
	mu                      sync.Mutex
	running                 bool
}

// StartElasticsearchNode starts a new node and waits until it is healthy
// (green or yellow). It needs the stack installed (`infra/local/stack up`),
// which `make test` does first. ctx bounds the wait.
func StartElasticsearchNode(ctx context.Context) (*ElasticsearchNode, error) {
	script, err := stackScript()
	if err != nil {
		return nil, err
	}
	reapOrphans(ctx, script)
	// Not t.TempDir: that folder is private to root (0700), and the node's
	// user must traverse every parent of its data folder.
	dir, err := os.MkdirTemp("", nodeDirPattern)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ports, err := freePorts(2)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	n := &ElasticsearchNode{
		URL:    "http://127.0.0.1:" + strconv.Itoa(ports[0]),
		script: script, dir: dir, httpPort: ports[0], transportPort: ports[1],
	}
	if err := n.Start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return n, nil
}

// Start starts the node again on its ports and data folder and waits until
// it is healthy. Starting a running node is an error.
func (n *ElasticsearchNode) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running {
		return errors.New("elasticsearch node: already running")
	}
	if err := n.stack(ctx, "start", n.dir, strconv.Itoa(n.httpPort), strconv.Itoa(n.transportPort)); err != nil {
		return err
	}
	n.running = true
	return nil
}

// Stop sends SIGTERM to the node's process group and returns once every
// process of it has exited and the HTTP port refuses connections (the
// script escalates to SIGKILL after 30 s).
func (n *ElasticsearchNode) Stop(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.stack(ctx, "stop", n.dir); err != nil {
		return err
	}
	n.running = false
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.httpPort), time.Second); err == nil {
		c.Close()
		return fmt.Errorf("elasticsearch node: stopped, but port %d still accepts connections", n.httpPort)
	}
	return nil
}

// Running reports whether the node was started and not stopped since.
func (n *ElasticsearchNode) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.running
}

// Remove stops the node and deletes its data folder.
func (n *ElasticsearchNode) Remove(ctx context.Context) error {
	err := n.Stop(ctx)
	return errors.Join(err, os.RemoveAll(n.dir))
}

// Client returns a go-elasticsearch client for the node. It does not retry:
// a drill wants to see the outage, not wait through it.
func (n *ElasticsearchNode) Client() (*elasticsearch.Client, error) {
	return elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{n.URL}, MaxRetries: 1})
}

// Log returns the tail of the node's console log, for failure messages.
func (n *ElasticsearchNode) Log() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "node.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (n *ElasticsearchNode) stack(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, n.script, append([]string{"es-node"}, args...)...)
	cmd.Env = append(os.Environ(), "MEDIASPECS_CACHE="+CacheDir())
	// The script waits for the node; a cancelled ctx must not leave it
	// half-started, so let it finish its own cleanup for a moment.
	cmd.WaitDelay = 40 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("infra/local/stack es-node %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// nodeDirPattern names node folders in the temporary folder; ownerFile in
// each holds the pid of the test binary that started the node.
const (
	nodeDirPattern = "mediaspecs-es-node-"
	ownerFile      = "owner.pid"
)

// reapOrphans stops and removes the nodes of test binaries that died without
// cleaning up (a go test -timeout panic skips TestMain's cleanup), so a
// killed run cannot leave a JVM behind for good.
func reapOrphans(ctx context.Context, script string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), nodeDirPattern+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || processAlive(pid) {
			continue
		}
		n := &ElasticsearchNode{script: script, dir: dir}
		if n.stack(ctx, "stop", dir) == nil {
			os.RemoveAll(dir)
		}
	}
}

// processAlive reports whether pid exists (signal 0 checks without sending).
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

// stackScript finds infra/local/stack from the working directory (a
// package folder under go test) upwards.
func stackScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "infra", "local", "stack")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("infra/local/stack not found above the working directory")
		}
		dir = parent
	}
}

// freePorts returns n distinct loopback ports that were free a moment ago,
// from 19200-19999: below the kernel's ephemeral range (32768 and up), so an
// outgoing connection cannot take one while the node is stopped.
func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	const first, count = 19200, 800
	offset := rand.IntN(count)
	for i := 0; i < count && len(ports) < n; i++ {
		p := first + (offset+i)%count
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		lns = append(lns, l)
		ports = append(ports, p)
	}
	if len(ports) < n {
		return nil, fmt.Errorf("no %d free ports in %d-%d", n, first, first+count-1)
	}
	return ports, nil
}
