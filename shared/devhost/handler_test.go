package devhost_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

// The tests run devhost with this test binary as the custom handler: when
// DEVHOST_TEST_HANDLER=1, TestMain runs fakeHandler instead of the tests.
// The fake records every request except GET / as one JSON line in
// $DEVHOST_TEST_RECORD and answers:
//
//   - GET /: 200, after $DEVHOST_TEST_LISTEN_DELAY (it does not even
//     listen before that), so readiness can be tested;
//   - any request with header X-Test-Exit: the process exits (status 3)
//     without answering, so restarts can be tested;
//   - forwarded requests (/api/...): a JSON echo with status from the
//     X-Test-Status header (default 200) and header X-Fake-Pid;
//   - envelopes (POST /<Name>): a response scripted by the invocation
//     itself: if the trigger value (queue message text, HTTP body) is a
//     JSON object {"devhostTest": {"delayMs": N, "status": N, "contentType":
//     "...", "body": <JSON value, or a string written as raw text>}}, that
//     is the answer (after delayMs); otherwise 200 with an empty response
//     envelope.

// record is one request the fake handler received.
type record struct {
	PID      int         `json:"pid"`
	Method   string      `json:"method"`
	Path     string      `json:"path"`
	RawQuery string      `json:"rawQuery"`
	Header   http.Header `json:"header"`
	Body     string      `json:"body"`
}

// script is the devhostTest object of a scripted invocation.
type script struct {
	DelayMS     int             `json:"delayMs"` // sleep before answering
	Status      int             `json:"status"`
	ContentType *string         `json:"contentType"`
	Body        json.RawMessage `json:"body"`
}

var recordMu sync.Mutex

func fakeHandler() int {
	if d := os.Getenv("DEVHOST_TEST_LISTEN_DELAY"); d != "" {
		dur, err := time.ParseDuration(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake handler:", err)
			return 2
		}
		time.Sleep(dur)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake handler:", err)
		return 2
	}
	// A marker record proves, causally, that devhost's readiness check
	// cannot have succeeded before this point.
	appendRecord(record{PID: os.Getpid(), Path: "(listening)"})
	fmt.Println("fake handler listening on", ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	})
	mux.HandleFunc("/", fakeServe)
	err = http.Serve(ln, mux)
	fmt.Fprintln(os.Stderr, "fake handler:", err)
	return 1
}

func fakeServe(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := record{PID: os.Getpid(), Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header, Body: string(body)}
	if r.Host != "" {
		rec.Header = r.Header.Clone()
		rec.Header.Set("Host", r.Host)
	}
	appendRecord(rec)
	if r.Header.Get("X-Test-Exit") != "" {
		os.Exit(3)
	}
	w.Header().Set("X-Fake-Pid", strconv.Itoa(os.Getpid()))
	if strings.HasPrefix(strings.ToLower(r.URL.Path), "/api/") {
		status := http.StatusOK
		if s := r.Header.Get("X-Test-Status"); s != "" {
			status, _ = strconv.Atoi(s)
		}
		b, _ := json.Marshal(map[string]any{"pid": os.Getpid(), "path": r.URL.Path, "query": r.URL.Query()})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Fake-Handler", "1")
		w.WriteHeader(status)
		_, _ = w.Write(b)
		return
	}
	sc := findScript(body)
	if sc == nil {
		sc = &script{Status: 200, Body: json.RawMessage(`{"Outputs":{},"Logs":["fake ok"],"ReturnValue":null}`)}
	}
	ct := "application/json"
	if sc.ContentType != nil {
		ct = *sc.ContentType
	}
	if ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	if sc.Status == 0 {
		sc.Status = 200
	}
	time.Sleep(time.Duration(sc.DelayMS) * time.Millisecond)
	w.WriteHeader(sc.Status)
	if len(sc.Body) > 0 && sc.Body[0] == '"' {
		var s string
		_ = json.Unmarshal(sc.Body, &s)
		_, _ = w.Write([]byte(s))
		return
	}
	_, _ = w.Write(sc.Body)
}

// findScript looks for a devhostTest object in the trigger values.
func findScript(body []byte) *script {
	req, err := funchost.ParseRequest(body)
	if err != nil {
		return nil
	}
	for name := range req.Data {
		var text string
		if t, err := req.Text(name); err == nil {
			text = t
		} else if hr, err := req.HTTPRequest(name); err == nil {
			b, _ := hr.BodyBytes()
			text = string(b)
		}
		var doc struct {
			DevhostTest *script `json:"devhostTest"`
		}
		if json.Unmarshal([]byte(text), &doc) == nil && doc.DevhostTest != nil {
			return doc.DevhostTest
		}
	}
	return nil
}

func appendRecord(rec record) {
	path := os.Getenv("DEVHOST_TEST_RECORD")
	if path == "" {
		return
	}
	line, _ := json.Marshal(rec)
	recordMu.Lock()
	defer recordMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake handler:", err)
		return
	}
	defer f.Close()
	_, _ = f.Write(append(line, '\n'))
}
