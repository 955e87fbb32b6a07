package devhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mediaspecs/catalogue/shared/funcdef"
)

// DefaultHostVersion is the host version devhost reports in
// X-Azure-Functions-HostVersion and User-Agent: a Functions v4 runtime.
const DefaultHostVersion = "4.1037.0.0"

// Config configures a Host. Only Root is required.
type Config struct {
	// Root is the app root: the folder holding host.json.
	Root string
	// FunctionsDir holds one <Name>/function.json per function. Empty means
	// Root/functions when that folder exists (the repository layout), else
	// Root itself (a packaged dist/ folder, as the host scans it).
	FunctionsDir string
	// SettingsFile is local.settings.json. Empty means
	// Root/local.settings.json, falling back to Root/local.settings.sample.json
	// when it does not exist.
	SettingsFile string
	// Handler overrides host.json customHandler.description.defaultExecutablePath.
	Handler string
	// Addr is the public listen address; default 127.0.0.1:7071. Use
	// 127.0.0.1:0 for an ephemeral port and read it back with [Host.Addr].
	Addr string
	// Env is devhost's own environment, the base of the handler's
	// environment and the first source of app settings; nil means os.Environ().
	Env []string
	// HostVersion is reported to the handler; default DefaultHostVersion.
	HostVersion string
	// HTTPOnly serves HTTP functions and the admin API but starts no queue
	// poller, timer or Event Grid watcher.
	HTTPOnly bool
	// EventGrid configures the Event Grid stand-in.
	EventGrid EventGridConfig
	// Logger receives devhost's own logs; nil means slog.Default().
	Logger *slog.Logger
	// Stdout and Stderr receive the handler's output; nil means os.Stdout
	// and os.Stderr.
	Stdout, Stderr io.Writer
	// ReadyTimeout bounds the handler's start-up (GET / answering); default
	// 30 s, the host's InitializationTimeout.
	ReadyTimeout time.Duration
	// StopTimeout is the grace between SIGTERM and SIGKILL when devhost
	// stops the handler; default 25 s.
	StopTimeout time.Duration
	// OnHandlerReady, when set, is called each time a handler process
	// becomes ready, with its pid (tests observe restarts with it).
	OnHandlerReady func(pid int)
}

// Host is a running (or runnable) devhost. Create it with [New] and start
// it with [Host.Run].
type Host struct {
	cfg       Config
	app       *funcdef.App
	settings  *settings
	funcs     []*function
	routes    []*function // HTTP functions, most specific route first
	proc      *handlerProcess
	client    *http.Client // to the handler
	log       *slog.Logger
	timeout   time.Duration // functionTimeout; 0 = none
	queueOpts queueOptions
	eventGrid *eventGridWatcher

	inflight sync.WaitGroup // non-HTTP invocations in progress
	ready    chan struct{}
	addrMu   sync.Mutex
	addr     string
	started  time.Time
}

// function is one function of the app with its bindings resolved.
type function struct {
	name      string
	def       funcdef.Function
	trigger   funcdef.Binding // %Name% expressions resolved
	forwarded bool            // HTTP in/out only and forwarding on (§3)
	route     *routeTemplate
	methods   []string
	outputs   []outputBinding
	extra     bindingExtras

	queue *queueTrigger // set for queue triggers
	timer *timerTrigger // set for timer triggers
}

// outputBinding is an output binding devhost writes.
type outputBinding struct {
	name      string
	typ       string
	dataType  string
	queueName string // resolved, for type "queue"
	connStr   string // resolved, for type "queue"
}

// bindingExtras are trigger properties funcdef does not model.
type bindingExtras struct {
	RunOnStartup *bool `json:"runOnStartup"`
	UseMonitor   *bool `json:"useMonitor"`
}

// New loads the app definition and settings and resolves every binding. It
// reports every unresolvable binding at once; it starts nothing.
func New(cfg Config) (*Host, error) {
	if cfg.Root == "" {
		cfg.Root = "."
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, err
	}
	cfg.Root = root
	if cfg.FunctionsDir == "" {
		cfg.FunctionsDir = root
		if st, err := os.Stat(filepath.Join(root, "functions")); err == nil && st.IsDir() {
			cfg.FunctionsDir = filepath.Join(root, "functions")
		}
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:7071"
	}
	if cfg.Env == nil {
		cfg.Env = os.Environ()
	}
	if cfg.HostVersion == "" {
		cfg.HostVersion = DefaultHostVersion
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = defaultReadyTimeout
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = defaultStopTimeout
	}

	app, err := funcdef.Load(cfg.Root, cfg.FunctionsDir)
	if err != nil {
		return nil, err
	}
	settingsFile, fallback := cfg.SettingsFile, ""
	if settingsFile == "" {
		settingsFile, fallback = defaultSettingsPaths(cfg.Root)
	}
	st, used, err := loadSettings(settingsFile, fallback, cfg.Env)
	if err != nil {
		return nil, err
	}
	h := &Host{
		cfg:      cfg,
		app:      app,
		settings: st,
		log:      cfg.Logger,
		ready:    make(chan struct{}),
		client:   handlerClient(),
	}
	h.log.Info("app loaded", slog.String("root", cfg.Root), slog.String("functions", cfg.FunctionsDir),
		slog.String("settings", used), slog.Int("count", len(app.Functions)))
	if app.Host.FunctionTimeout != "" {
		if h.timeout, err = funcdef.ParseDuration(app.Host.FunctionTimeout); err != nil {
			return nil, fmt.Errorf("host.json functionTimeout: %w", err)
		}
	}
	if h.queueOpts, err = newQueueOptions(app.Host.Extensions.Queues); err != nil {
		return nil, err
	}

	var errs []error
	for _, def := range app.Functions {
		fn, err := h.resolve(def)
		if err != nil {
			errs = append(errs, fmt.Errorf("function %s: %w", def.Name, err))
			continue
		}
		h.funcs = append(h.funcs, fn)
		if fn.route != nil {
			h.routes = append(h.routes, fn)
		}
	}
	if !cfg.HTTPOnly && !cfg.EventGrid.Disabled {
		if h.eventGrid, err = newEventGridWatcher(cfg.EventGrid, st, h.log); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("devhost.New: %w", err)
	}
	slices.SortStableFunc(h.routes, func(a, b *function) int { return slices.Compare(a.route.rank(), b.route.rank()) })

	exe, args, dir, err := h.handlerCommand()
	if err != nil {
		return nil, err
	}
	workerID := newGUID()
	h.proc = &handlerProcess{
		path: exe, args: args, dir: dir,
		env: func(port int) []string {
			p := strconv.Itoa(port)
			return st.childEnv(map[string]string{
				"FUNCTIONS_CUSTOMHANDLER_PORT":      p,
				"FUNCTIONS_HTTPWORKER_PORT":         p,
				"FUNCTIONS_CUSTOMHANDLER_WORKER_ID": workerID,
				"FUNCTIONS_HTTPWORKER_ID":           workerID,
				"FUNCTIONS_APP_ROOT_PATH":           cfg.Root,
			})
		},
		stdout: cfg.Stdout, stderr: cfg.Stderr,
		log:          h.log.With(slog.String("component", "handler")),
		readyTimeout: cfg.ReadyTimeout,
		stopTimeout:  cfg.StopTimeout,
		onReady:      cfg.OnHandlerReady,
		client:       &http.Client{Transport: h.client.Transport},
		changed:      make(chan struct{}),
	}
	return h, nil
}

// handlerCommand resolves the handler executable as the host does
// (HttpWorkerDescription): a relative defaultExecutablePath is combined
// with the app root; if no file exists there, the name is looked up on
// PATH. Arguments get %NAME% expansion; the working directory defaults to
// the app root.
func (h *Host) handlerCommand() (exe string, args []string, dir string, err error) {
	desc := h.app.Host.CustomHandler.Description
	exe = h.cfg.Handler
	if exe == "" {
		exe = desc.DefaultExecutablePath
	}
	if exe == "" {
		return "", nil, "", errors.New("host.json: customHandler.description.defaultExecutablePath is empty")
	}
	if !filepath.IsAbs(exe) {
		if h.cfg.Handler != "" {
			exe, _ = filepath.Abs(exe)
		} else if cand := filepath.Join(h.cfg.Root, exe); fileExists(cand) {
			exe = cand
		} else if p, lerr := exec.LookPath(exe); lerr == nil {
			exe = p
		} else {
			return "", nil, "", fmt.Errorf("handler %q: not found under %s nor on PATH (build it, or pass -handler)", exe, h.cfg.Root)
		}
	}
	for _, a := range desc.Arguments {
		v, err := h.settings.expand(a)
		if err != nil {
			return "", nil, "", fmt.Errorf("host.json customHandler arguments: %w", err)
		}
		args = append(args, v)
	}
	dir = h.cfg.Root
	if wd := desc.WorkingDirectory; wd != "" {
		if filepath.IsAbs(wd) {
			dir = wd
		} else {
			dir = filepath.Join(h.cfg.Root, wd)
		}
	}
	return exe, args, dir, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// resolve builds a function from its definition: %Name% expressions in
// binding properties are resolved, the route parsed, connections looked up.
func (h *Host) resolve(def funcdef.Function) (*function, error) {
	fn := &function{name: def.Name, def: def}
	trig := def.Trigger()
	if trig == nil {
		return nil, errors.New("no trigger binding")
	}
	t, err := h.expandBinding(*trig)
	if err != nil {
		return nil, err
	}
	fn.trigger = t
	fn.extra = readExtras(filepath.Join(h.cfg.FunctionsDir, def.Name, "function.json"), t.Name)

	for _, b := range def.Bindings {
		switch {
		case b.Direction == "in" && b.Name != t.Name:
			h.log.Warn("input binding not supported by devhost; Data will lack it",
				slog.String("function", def.Name), slog.String("binding", b.Name), slog.String("type", b.Type))
		case b.Direction == "out":
			ob, err := h.expandBinding(b)
			if err != nil {
				return nil, err
			}
			out := outputBinding{name: ob.Name, typ: ob.Type, dataType: ob.DataType, queueName: ob.QueueName}
			switch ob.Type {
			case "queue":
				if out.connStr, err = h.settings.connectionString(ob.Connection); err != nil {
					return nil, fmt.Errorf("output %s: %w", ob.Name, err)
				}
			case "http":
			default:
				h.log.Warn("output binding not supported by devhost; its value is ignored",
					slog.String("function", def.Name), slog.String("binding", b.Name), slog.String("type", b.Type))
			}
			fn.outputs = append(fn.outputs, out)
		}
	}

	switch t.Type {
	case "httpTrigger":
		route := def.Route()
		if t.Route != "" {
			route = strings.Trim(t.Route, "/")
		}
		if fn.route, err = parseRoute(route); err != nil {
			return nil, err
		}
		fn.methods = def.Methods()
		fn.forwarded = def.HTTPOnly() && h.app.Host.Forwarding()
	case "queueTrigger":
		conn, err := h.settings.connectionString(t.Connection)
		if err != nil {
			return nil, err
		}
		if fn.queue, err = newQueueTrigger(h, fn, conn); err != nil {
			return nil, err
		}
	case "timerTrigger":
		if fn.timer, err = newTimerTrigger(fn); err != nil {
			return nil, err
		}
	default:
		h.log.Warn("trigger not supported by devhost; only the admin route can run it",
			slog.String("function", def.Name), slog.String("type", t.Type))
	}
	return fn, nil
}

// expandBinding resolves %Name% in the binding properties the host
// resolves (queueName, schedule, path, route, connection).
func (h *Host) expandBinding(b funcdef.Binding) (funcdef.Binding, error) {
	for _, p := range []*string{&b.QueueName, &b.Schedule, &b.Path, &b.Route, &b.Connection} {
		v, err := h.settings.expand(*p)
		if err != nil {
			return b, fmt.Errorf("binding %s: %w", b.Name, err)
		}
		*p = v
	}
	return b, nil
}

// readExtras reads the trigger properties funcdef does not model. A file
// that funcdef read but this cannot is reported by funcdef already.
func readExtras(path, trigger string) bindingExtras {
	raw, err := os.ReadFile(path)
	if err != nil {
		return bindingExtras{}
	}
	var doc struct {
		Bindings []json.RawMessage `json:"bindings"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return bindingExtras{}
	}
	for _, b := range doc.Bindings {
		var named struct {
			Name string `json:"name"`
			bindingExtras
		}
		if json.Unmarshal(b, &named) == nil && named.Name == trigger {
			return named.bindingExtras
		}
	}
	return bindingExtras{}
}

// function returns the named function; names match case-insensitively, as
// on the host.
func (h *Host) function(name string) *function {
	for _, fn := range h.funcs {
		if strings.EqualFold(fn.name, name) {
			return fn
		}
	}
	return nil
}

// Addr returns the address devhost listens on once [Host.Ready] is closed.
func (h *Host) Addr() string {
	h.addrMu.Lock()
	defer h.addrMu.Unlock()
	return h.addr
}

// Ready is closed when devhost listens, the handler has answered its first
// GET /, every trigger has started, and the Event Grid stand-in has caught
// up with blobs written while devhost was down.
func (h *Host) Ready() <-chan struct{} { return h.ready }

// Run serves until ctx ends, then shuts down gracefully: it stops
// accepting HTTP requests and waits for those in progress, stops polling
// queues, firing timers and watching blobs, waits for every in-flight
// invocation, and finally stops the handler. It returns an error when
// devhost cannot start (address in use, handler not executable).
func (h *Host) Run(ctx context.Context) error {
	h.started = time.Now()
	ln, err := net.Listen("tcp", h.cfg.Addr)
	if err != nil {
		return fmt.Errorf("devhost: listen: %w", err)
	}
	h.addrMu.Lock()
	h.addr = ln.Addr().String()
	h.addrMu.Unlock()

	// The handler outlives ctx: it must keep serving in-flight invocations
	// during shutdown, and is stopped last.
	procCtx, stopProc := context.WithCancel(context.WithoutCancel(ctx))
	defer stopProc()
	procErr := make(chan error, 1)
	go func() { procErr <- h.proc.run(procCtx) }()

	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelWarn),
	}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	h.log.Info("devhost listening", slog.String("addr", h.addr), slog.String("hostVersion", h.cfg.HostVersion))

	shutdown := func(cause error) error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.StopTimeout+h.timeout+time.Minute)
		defer cancel()
		_ = srv.Shutdown(sctx)
		h.inflight.Wait()
		stopProc()
		perr := <-procErr
		return errors.Join(cause, perr)
	}

	// Wait for the first ready handler.
	if _, err := h.proc.endpoint(ctx); err != nil {
		// ctx ended, or the supervisor gave up; its error says why.
		return shutdown(nil)
	}

	var triggers sync.WaitGroup
	var cronStop func() context.Context
	if !h.cfg.HTTPOnly {
		if h.eventGrid != nil {
			// Catch up with blobs written while devhost was down before
			// reporting ready; storage being unreachable is not fatal.
			if err := h.eventGrid.scan(ctx); err != nil && ctx.Err() == nil {
				h.log.Warn("event grid stand-in: first scan failed; retrying every interval", slog.String("error", err.Error()))
			}
			triggers.Go(func() { h.eventGrid.run(ctx) })
		}
		for _, fn := range h.funcs {
			if fn.queue != nil {
				triggers.Go(func() { fn.queue.run(ctx) })
			}
		}
		cronStop = h.startTimers(ctx)
	}
	close(h.ready)
	h.log.Info("devhost ready", slog.String("addr", h.addr), slog.Duration("startup", time.Since(h.started)))

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		runErr = fmt.Errorf("devhost: serve: %w", err)
	case err := <-procErr:
		procErr <- err
		runErr = err
	}
	h.log.Info("devhost shutting down")
	if cronStop != nil {
		<-cronStop().Done()
	}
	triggers.Wait()
	return shutdown(runErr)
}

// handlerClient is the HTTP client to the handler: no proxy (the handler
// is on loopback whatever HTTP_PROXY says), no redirects, no cookies, no
// transparent decompression (bodies pass through as sent), like the
// host's HttpClient for workers.
func handlerClient() *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
