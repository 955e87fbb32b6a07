package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/ingest"
)

// The ingest manifest lets a re-delivery skip the titles a supplier sent
// unchanged without any per-title Cosmos read.
//
// One manifest per supplier (by canonical name, catalog.SupplierName)
// records its last completed file: for each title accepted from it, a
// 64-bit key of the title id and of the hash of the title as delivered
// (normalised by the profile), plus the profile's hash, the manifest code
// version, "since" — when that file began, less a clock-skew margin — and
// the epoch of the outside writes log (cosmos.OutsideWrites). On the next
// file of the supplier a title is known unchanged — no lookup, no merge,
// no write — when its delivered hash equals the manifest's and the outside
// writes log does not list it since "since": one point read per file
// (Titles.WrittenOutside), made while the file is parsed. Every other title
// takes the lookup/merge path.
//
// Why each case stays correct:
//   - Only the supplier's own ingestion writes its titles through the
//     pipeline: a title id derives from the supplier's canonical name and key
//     (catalog.StableID), so another supplier's file never reaches it.
//   - Written by anything else since (an editor, a tool, a repair): those
//     writers go through cosmos.Store.Upsert/Replace, which record the title
//     in the outside writes log before writing it, within a deadline shorter
//     than the skew margin; the log lists it, and it is merged again.
//   - The log no longer complete for "since" (it drops its oldest entries
//     to stay small), unreadable, or replaced (another epoch: deleted and
//     begun again): nothing is vouched for; the new manifest is built anew.
//   - Edited by the same supplier's later file: that file replaced the
//     manifest, so the entry compared is the one that file left.
//   - Crash mid-file: Begin replaced the manifest by an "in progress" marker
//     before the first write, so the retry finds no manifest and takes the
//     full path; it writes a new manifest when it completes.
//   - Two files of one supplier at once: the second Begin finds the first
//     one's fresh marker; neither commits (Commit deletes instead), and the
//     next file starts from no manifest. A marker older than
//     manifestBusyStale (past the host's 30-minute function timeout) is a
//     crashed file's and is ignored.
//   - Profile or code change: the manifest records the profile's hash and
//     manifestCode; a mismatch discards it.
//   - Rows rejected last time have no entry; titles rejected after parsing
//     (too large) get none either.
//   - A title deleted from Cosmos (no code path deletes titles: they are
//     closed or merged) is not recreated by an unchanged re-delivery while the
//     manifest stands: whoever deletes a title, or edits one by hand in the
//     portal, deletes the supplier's manifest too (see README).
//   - Hash truncation: a wrong skip needs two different deliveries of one
//     title with equal 64-bit keys (2^-64 per title); colliding id keys in
//     one manifest are dropped.
//
// Memory: the previous manifest is held as 16 bytes per title and the new
// one grows to the same size; files over ManifestMaxTitles titles keep an
// empty manifest (their titles take the lookup path), so memory stays
// bounded.

// Manifests stores one manifest per supplier (blob.Manifests): Begin
// returns the stored body (nil if none) and replaces it by marker; Commit
// replaces that marker (token) by body, or deletes it when body is empty,
// and when the marker is no longer there (or token is "") deletes whatever
// is and returns false.
type Manifests interface {
	Begin(ctx context.Context, supplier string, marker []byte) (body []byte, token string, err error)
	Commit(ctx context.Context, supplier, token string, body []byte) (bool, error)
}

// manifestCode versions what a manifest entry vouches for: bump it when
// Merge, Hash or the normalisation change what an unchanged delivery means.
const manifestCode = 2

const (
	manifestMagic = "MSM1\n"
	markerPrefix  = "MSM-BUSY "
	// manifestSkew is taken off "since" so that a Cosmos clock (_ts) behind
	// the function's still counts every write made after the file began.
	manifestSkew = 5 * time.Minute
	// manifestBusyStale: a marker older than this belongs to a file that
	// cannot still be running (host functionTimeout is 30 minutes).
	manifestBusyStale = 35 * time.Minute
)

type manifestHeader struct {
	Code        int    `json:"code"`
	Profile     string `json:"profile"`
	ProfileHash string `json:"profileHash"`
	Since       int64  `json:"since"`
	// OutsideEpoch is the epoch of the outside writes log the file read.
	OutsideEpoch string `json:"outsideEpoch"`
	File         string `json:"file"`
	Titles       int    `json:"titles"`
}

type manifestEntry struct{ id, delivery uint64 }

// manifestRun is the manifest side of one file: the previous manifest it
// may trust and the new one it builds.
type manifestRun struct {
	store    Manifests
	supplier string
	token    string // "" when this file must not commit
	header   manifestHeader
	max      int

	// ready is closed once prev, outside and header.OutsideEpoch are
	// final: the outside writes log is read while the file is parsed.
	ready   chan struct{}
	prev    []manifestEntry // sorted by id; nil when none can be trusted
	outside map[string]bool // titles written outside ingestion since prev

	// fresh: the supplier had neither a manifest nor a marker.
	fresh bool

	mu       sync.Mutex
	entries  []manifestEntry
	overflow bool
}

func idKey(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64()
}

// deliveryKey is the first 64 bits of a catalog hash ("sha256:<hex>").
func deliveryKey(hash string) uint64 {
	h := strings.TrimPrefix(hash, "sha256:")
	if len(h) >= 16 {
		if v, err := strconv.ParseUint(h[:16], 16, 64); err == nil {
			return v
		}
	}
	s := sha256.Sum256([]byte(hash))
	return binary.BigEndian.Uint64(s[:8])
}

func profileHash(p *ingest.Profile) string {
	b, _ := json.Marshal(p)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}

// beginManifest claims the supplier's manifest for file f. It never fails
// the file: any trouble only turns the shortcut off (logged).
func (p *Pipeline) beginManifest(ctx context.Context, supplier, file string, profile *ingest.Profile, log *slog.Logger) *manifestRun {
	if p.cfg.Manifests == nil {
		return nil
	}
	now := p.cfg.Now().UTC()
	m := &manifestRun{store: p.cfg.Manifests, supplier: catalog.SupplierName(supplier), max: p.cfg.ManifestMaxTitles, ready: make(chan struct{}),
		header: manifestHeader{Code: manifestCode, Profile: profile.Name, ProfileHash: profileHash(profile), Since: now.Add(-manifestSkew).Unix(), File: file}}
	old, token, err := m.store.Begin(ctx, m.supplier, []byte(markerPrefix+now.Format(time.RFC3339)+"\n"))
	if err != nil {
		log.Warn("ingest manifest unavailable: every title takes the full path", slog.String("error", err.Error()))
		close(m.ready)
		return m
	}
	m.token = token
	// No manifest and no marker: no file of the supplier ever completed
	// (or its manifest was deleted), so its titles are presumed new.
	m.fresh = old == nil
	if rest, ok := bytes.CutPrefix(old, []byte(markerPrefix)); ok {
		started, err := time.Parse(time.RFC3339, string(bytes.TrimSpace(rest)))
		if err != nil || now.Sub(started) < manifestBusyStale {
			log.Info("another file of the supplier is in progress: no manifest for this one")
			m.token = ""
			close(m.ready)
			return m
		}
	}
	prev, h, ok := decodeManifest(old)
	if !ok || h.Code != manifestCode || h.ProfileHash != m.header.ProfileHash || h.Profile != profile.Name || h.OutsideEpoch == "" {
		prev = nil
	}
	// The log is read even without a previous manifest to check: the new
	// one records its epoch.
	go func() {
		defer close(m.ready)
		var since time.Time
		if prev != nil {
			since = time.Unix(h.Since, 0)
		}
		epoch, ids, err := p.titles.WrittenOutside(ctx, since)
		if err != nil {
			log.Warn("outside writes log unavailable: every title takes the full path, no new manifest", slog.String("error", err.Error()))
			return
		}
		m.header.OutsideEpoch = epoch
		if prev == nil {
			return
		}
		if epoch != h.OutsideEpoch {
			log.Info("the outside writes log was begun again: the previous manifest is not trusted")
			return
		}
		m.outside = make(map[string]bool, len(ids))
		for _, id := range ids {
			m.outside[id] = true
		}
		m.prev = prev
	}()
	return m
}

// unchanged says the manifest vouches for id delivered with hash. It waits
// for the outside writes log.
func (m *manifestRun) unchanged(id, hash string) bool {
	if m == nil {
		return false
	}
	<-m.ready
	if m.prev == nil || m.outside[id] {
		return false
	}
	k := idKey(id)
	i, found := slices.BinarySearchFunc(m.prev, k, func(e manifestEntry, k uint64) int { return cmp.Compare(e.id, k) })
	return found && m.prev[i].delivery == deliveryKey(hash)
}

// presumesNew says the file's titles are presumed new: the supplier had no
// manifest and no marker, as before its first completed file. The writers
// then create such titles without looking them up first (write.go,
// writeNew); a title that exists after all costs one conflict more. A
// crashed file leaves a marker, so its retry never presumes.
func (m *manifestRun) presumesNew() bool { return m != nil && m.fresh }

// record notes a title accepted from this file.
func (m *manifestRun) record(id, hash string) {
	if m == nil || m.token == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.overflow {
		return
	}
	if len(m.entries) >= m.max {
		m.overflow, m.entries = true, nil
		return
	}
	m.entries = append(m.entries, manifestEntry{idKey(id), deliveryKey(hash)})
}

// commit stores this file's manifest, once every title is written. Like
// beginManifest it never fails the file.
func (m *manifestRun) commit(ctx context.Context, log *slog.Logger) {
	if m == nil {
		return
	}
	<-m.ready // the log has been read (or the read was cancelled with the file)
	var body []byte
	switch {
	case m.token == "":
		// Another file of the supplier ran meanwhile: Commit deletes.
	case m.overflow || m.header.OutsideEpoch == "":
		// Nothing to vouch for (too many titles, a failed file, no log):
		// an empty manifest still says a file of the supplier ran, so the
		// next one does not presume its titles new.
		body = encodeManifest(m.header, nil)
	default:
		body = encodeManifest(m.header, m.entries)
	}
	ok, err := m.store.Commit(ctx, m.supplier, m.token, body)
	if err != nil {
		log.Warn("ingest manifest not stored", slog.String("error", err.Error()))
	} else if !ok && m.token != "" {
		log.Info("another file of the supplier ran meanwhile: manifest dropped")
	}
}

// encodeManifest: magic, a JSON header line, then 16 bytes per entry
// (id key, delivery key; big-endian) sorted by id key, colliding keys dropped.
func encodeManifest(h manifestHeader, entries []manifestEntry) []byte {
	slices.SortFunc(entries, func(a, b manifestEntry) int { return cmp.Compare(a.id, b.id) })
	kept := entries[:0]
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && entries[j].id == entries[i].id {
			j++
		}
		if j == i+1 {
			kept = append(kept, entries[i])
		}
		i = j
	}
	h.Titles = len(kept)
	hb, _ := json.Marshal(h)
	out := make([]byte, 0, len(manifestMagic)+len(hb)+1+16*len(kept))
	out = append(append(append(out, manifestMagic...), hb...), '\n')
	for _, e := range kept {
		out = binary.BigEndian.AppendUint64(out, e.id)
		out = binary.BigEndian.AppendUint64(out, e.delivery)
	}
	return out
}

func decodeManifest(b []byte) ([]manifestEntry, manifestHeader, bool) {
	var h manifestHeader
	rest, ok := bytes.CutPrefix(b, []byte(manifestMagic))
	if !ok {
		return nil, h, false
	}
	line, data, ok := bytes.Cut(rest, []byte("\n"))
	if !ok || json.Unmarshal(line, &h) != nil || len(data) != 16*h.Titles {
		return nil, h, false
	}
	entries := make([]manifestEntry, h.Titles)
	for i := range entries {
		entries[i] = manifestEntry{binary.BigEndian.Uint64(data[16*i:]), binary.BigEndian.Uint64(data[16*i+8:])}
	}
	if !slices.IsSortedFunc(entries, func(a, b manifestEntry) int { return cmp.Compare(a.id, b.id) }) {
		return nil, h, false
	}
	return entries, h, true
}
