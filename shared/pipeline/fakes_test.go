package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
)

// memTitles is an in-memory title store with ETags and fault injection.
type memTitles struct {
	mu   sync.Mutex
	docs map[string][]byte
	// deliveries are stored beside each document, as cosmos.Store does.
	deliveries map[string]map[string]string
	// written is when each document was last written (Cosmos' _ts).
	written map[string]time.Time
	etags   map[string]int
	writes  atomic.Int64
	// failAfter > 0 makes every write after that many fail as Unavailable.
	failAfter int64
	// busy counts concurrent writes per id, to catch a broken worker key.
	busy map[string]int
	// overlap is set when one id was written concurrently.
	overlap atomic.Bool
	// outside is the outside writes log (replaceOutside) and outsideEpoch
	// its epoch; outsideErr makes reading it fail.
	outside      map[string]time.Time
	outsideEpoch string
	outsideErr   error
}

func newMemTitles() *memTitles {
	return &memTitles{docs: map[string][]byte{}, etags: map[string]int{}, busy: map[string]int{}, deliveries: map[string]map[string]string{}, written: map[string]time.Time{},
		outside: map[string]time.Time{}, outsideEpoch: "epoch-1"}
}

func (m *memTitles) Get(_ context.Context, id string) (*catalog.Title, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.docs[id]
	if !ok {
		return nil, "", fmt.Errorf("%w: %s", apperr.NotFound, id)
	}
	var t catalog.Title
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, "", err
	}
	return &t, fmt.Sprint(m.etags[id]), nil
}

func (m *memTitles) write(t *catalog.Title, d map[string]string, check func() error) (string, error) {
	m.mu.Lock()
	m.busy[t.ID]++
	if m.busy[t.ID] > 1 {
		m.overlap.Store(true)
	}
	m.mu.Unlock()
	defer func() { m.mu.Lock(); m.busy[t.ID]--; m.mu.Unlock() }()
	if m.failAfter > 0 && m.writes.Load() >= m.failAfter {
		return "", fmt.Errorf("%w: injected cosmos outage", apperr.Unavailable)
	}
	b, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := check(); err != nil {
		return "", err
	}
	m.docs[t.ID] = b
	m.deliveries[t.ID] = maps.Clone(d)
	m.written[t.ID] = time.Now()
	m.etags[t.ID]++
	m.writes.Add(1)
	return fmt.Sprint(m.etags[t.ID]), nil
}

func (m *memTitles) CreateDelivered(_ context.Context, t *catalog.Title, d map[string]string) (string, error) {
	return m.write(t, d, func() error {
		if _, ok := m.docs[t.ID]; ok {
			return fmt.Errorf("%w: exists", apperr.Conflict)
		}
		return nil
	})
}

func (m *memTitles) ReplaceDelivered(_ context.Context, t *catalog.Title, d map[string]string, ifMatch string) (string, error) {
	return m.write(t, d, func() error {
		if fmt.Sprint(m.etags[t.ID]) != ifMatch {
			return fmt.Errorf("%w: etag", apperr.Conflict)
		}
		return nil
	})
}

func (m *memTitles) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.docs)
}

// memChanges records change records by id, counting every Put.
type memChanges struct {
	mu   sync.Mutex
	byID map[string]catalog.Change
	// etags: a record's ETag, new at every write.
	etags map[string]int
	n     int
	puts  int
	// creates and deletes count Create and Delete calls.
	creates, deletes int
}

func (c *memChanges) store(ch catalog.Change) string {
	if c.byID == nil {
		c.byID, c.etags = map[string]catalog.Change{}, map[string]int{}
	}
	c.n++
	c.byID[ch.ID], c.etags[ch.ID] = ch, c.n
	return fmt.Sprint(c.n)
}

func (c *memChanges) Put(_ context.Context, ch catalog.Change) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store(ch)
	c.puts++
	return nil
}

func (c *memChanges) Create(_ context.Context, ch catalog.Change) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.creates++
	if _, ok := c.byID[ch.ID]; ok {
		return "", fmt.Errorf("%w: change %s exists", apperr.Conflict, ch.ID)
	}
	return c.store(ch), nil
}

func (c *memChanges) Delete(_ context.Context, ch catalog.Change, ifMatch string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deletes++
	switch {
	case c.byID == nil || c.etags[ch.ID] == 0:
		return fmt.Errorf("%w: change %s", apperr.NotFound, ch.ID)
	case fmt.Sprint(c.etags[ch.ID]) != ifMatch:
		return fmt.Errorf("%w: etag", apperr.Conflict)
	}
	delete(c.byID, ch.ID)
	delete(c.etags, ch.ID)
	return nil
}

// memFiles is an in-memory blob store: container/name → body and ETag.
type memFiles struct {
	mu    sync.Mutex
	blobs map[string]memBlob
	n     int
	// openErr, when set, is returned by Open (an unreachable Storage).
	openErr error
}

type memBlob struct {
	body []byte
	etag string
}

func newMemFiles() *memFiles { return &memFiles{blobs: map[string]memBlob{}} }

func (f *memFiles) put(container, name string, body []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	etag := fmt.Sprintf(`"0x%X"`, f.n)
	f.blobs[container+"/"+name] = memBlob{body: bytes.Clone(body), etag: etag}
	return etag
}

func (f *memFiles) get(container, name string) (memBlob, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blobs[container+"/"+name]
	return b, ok
}

func (f *memFiles) names(container string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.blobs {
		if n, ok := strings.CutPrefix(k, container+"/"); ok {
			out = append(out, n)
		}
	}
	return out
}

func (f *memFiles) Open(_ context.Context, container, name, etag string) (io.ReadCloser, int64, error) {
	if f.openErr != nil {
		return nil, 0, f.openErr
	}
	b, ok := f.get(container, name)
	switch {
	case !ok:
		return nil, 0, fmt.Errorf("%w: %s", apperr.NotFound, name)
	case etag != "" && b.etag != etag:
		return nil, 0, fmt.Errorf("%w: etag", apperr.Conflict)
	}
	return io.NopCloser(bytes.NewReader(b.body)), int64(len(b.body)), nil
}

func (f *memFiles) Read(_ context.Context, container, name string) ([]byte, error) {
	b, ok := f.get(container, name)
	if !ok {
		return nil, fmt.Errorf("%w: %s", apperr.NotFound, name)
	}
	return b.body, nil
}

func (f *memFiles) Exists(_ context.Context, container, name string) (bool, error) {
	_, ok := f.get(container, name)
	return ok, nil
}

func (f *memFiles) Put(_ context.Context, container, name, _ string, body []byte) error {
	f.put(container, name, body)
	return nil
}

func (f *memFiles) Copy(_ context.Context, container, src, dst, etag string) error {
	b, ok := f.get(container, src)
	if !ok {
		return fmt.Errorf("%w: %s", apperr.NotFound, src)
	}
	if b.etag != etag {
		return fmt.Errorf("%w: etag", apperr.Conflict)
	}
	f.put(container, dst, b.body)
	return nil
}

func (f *memFiles) DeleteVersion(_ context.Context, container, name, etag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.blobs[container+"/"+name]; ok && b.etag == etag {
		delete(f.blobs, container+"/"+name)
	}
	return nil
}

func (m *memTitles) GetDelivered(ctx context.Context, id string) (*catalog.Title, string, map[string]string, error) {
	t, etag, err := m.Get(ctx, id)
	if err != nil {
		return nil, "", nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return t, etag, maps.Clone(m.deliveries[id]), nil
}

// memQueue holds the reindex messages sent, as the queue would.
type memQueue struct {
	mu   sync.Mutex
	msgs [][]byte
	// failErr, when set, is returned by Send (an unreachable queue).
	failErr error
}

func (q *memQueue) Send(_ context.Context, body []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failErr != nil {
		return q.failErr
	}
	q.msgs = append(q.msgs, bytes.Clone(body))
	return nil
}

// take returns the ids of every message sent since the last take, in order,
// and the messages themselves; a message that is not a JSON object fails.
func (q *memQueue) take() ([]string, []pipelineMessage, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ids []string
	var msgs []pipelineMessage
	for _, b := range q.msgs {
		var m pipelineMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, nil, fmt.Errorf("reindex message %.80s: %w", b, err)
		}
		m.size = len(b)
		ids = append(ids, m.IDs...)
		msgs = append(msgs, m)
	}
	q.msgs = nil
	return ids, msgs, nil
}

type pipelineMessage struct {
	IDs         []string `json:"ids"`
	TraceParent string   `json:"traceparent"`
	size        int
}

// WrittenOutside is cosmos.OutsideWrites in memory: the titles written by
// replaceOutside at or after since, and the log's epoch.
func (m *memTitles) WrittenOutside(_ context.Context, since time.Time) (string, []string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.outsideErr != nil {
		return "", nil, m.outsideErr
	}
	var ids []string
	for id, at := range m.outside {
		if !since.IsZero() && !at.Before(since) {
			ids = append(ids, id)
		}
	}
	return m.outsideEpoch, ids, nil
}

// replaceOutside writes t as an editor or a tool would (cosmos.Store.Replace):
// recorded in the outside writes log first, no deliveries kept.
func (m *memTitles) replaceOutside(ctx context.Context, t *catalog.Title, etag string) error {
	m.mu.Lock()
	m.outside[t.ID] = time.Now()
	m.mu.Unlock()
	_, err := m.ReplaceDelivered(ctx, t, nil, etag)
	return err
}

// memManifests is blob.Manifests in memory: supplier → body and ETag.
type memManifests struct {
	mu     sync.Mutex
	bodies map[string][]byte
	etags  map[string]int
	n      int
	// begins counts Begin calls.
	begins int
}

func newMemManifests() *memManifests {
	return &memManifests{bodies: map[string][]byte{}, etags: map[string]int{}}
}

func (m *memManifests) Begin(_ context.Context, supplier string, marker []byte) ([]byte, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.begins++
	old := m.bodies[supplier]
	m.n++
	m.bodies[supplier], m.etags[supplier] = bytes.Clone(marker), m.n
	return old, fmt.Sprint(m.n), nil
}

func (m *memManifests) Commit(_ context.Context, supplier, token string, body []byte) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.bodies[supplier]; !ok || token == "" || fmt.Sprint(m.etags[supplier]) != token {
		delete(m.bodies, supplier)
		return false, nil
	}
	if len(body) == 0 {
		delete(m.bodies, supplier)
		return true, nil
	}
	m.n++
	m.bodies[supplier], m.etags[supplier] = bytes.Clone(body), m.n
	return true, nil
}
