package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
	"github.com/mediaspecs/catalogue/shared/pipeline"
)

// The peak-memory benchmark runs each ingestion in a child process (this
// test binary, re-executed with rssChildEnv set), so the peak RSS the kernel
// reports belongs to that ingestion alone.
const (
	rssChildEnv   = "MEDIASPECS_RSS_CHILD_FILE"
	rssProfileEnv = "MEDIASPECS_RSS_CHILD_PROFILE"
	rssChildSuppl = "bench"
)

func TestMain(m *testing.M) {
	if file := os.Getenv(rssChildEnv); file != "" {
		if err := rssChild(file); err != nil {
			fmt.Fprintln(os.Stderr, "rss child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var (
	rssFormats = flag.String("bench.rss.formats", "csv,ndjson", "formats of the peak-memory benchmark")
	rssSmall   = flag.Int("bench.rss.small", 5_000, "titles of the small file (~10k rows)")
	rssLarge   = flag.Int("bench.rss.large", 500_000, "titles of the large file (~1M rows)")
)

// BenchmarkPeakRSS ingests a small and a large generated file, each in its
// own process, through pipeline.Run exactly as the handler does — file
// streamed from storage, parse, prefetch, merge, change record, title write,
// report, archive, reindex messages — with the storage and Cosmos calls
// answered by stand-ins that serialise every document as the SDKs would and
// keep nothing (the issue allows counting the 1M-row writes in memory). It
// reports both peak RSS figures and their ratio (goal ≤ 1.2). One pass:
// -benchtime=1x.
func BenchmarkPeakRSS(b *testing.B) {
	for b.Loop() {
	}
	dir := b.TempDir()
	for _, format := range strings.Split(*rssFormats, ",") {
		var peak [2]float64
		for i, titles := range []int{*rssSmall, *rssLarge} {
			path := filepath.Join(dir, fmt.Sprintf("titles-%d.%s", titles, format))
			rows := writeGenerated(b, path, format, titles)
			cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), rssChildEnv+"="+path, rssProfileEnv+"="+gen.ProfileFor(format))
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Fatalf("child for %s: %v\n%s", path, err, out)
			}
			peak[i] = float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024 // KiB → MiB
			b.Logf("%s %d titles, %d rows: peak RSS %.1f MiB; %s", format, titles, rows, peak[i], bytes.TrimSpace(out))
			_ = os.Remove(path)
		}
		b.ReportMetric(peak[0], format+"-small-MiB")
		b.ReportMetric(peak[1], format+"-large-MiB")
		b.ReportMetric(peak[1]/peak[0], format+"-ratio")
	}
}

func writeGenerated(b *testing.B, path, format string, titles int) int {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	opts := gen.Options{Seed: 1, Titles: titles}
	var rows int
	switch format {
	case "csv":
		rows, err = gen.WriteCSV(w, opts, ';', "utf-8")
	case "ndjson":
		rows, err = gen.WriteJSON(w, opts, true)
	case "xml":
		rows, err = gen.WriteXML(w, opts)
	case "xlsx":
		rows, err = gen.WriteXLSX(w, opts)
	default:
		err = fmt.Errorf("unknown format %q", format)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	return rows
}

// rssChild ingests one local file as supplier "bench" with the profile
// named by rssProfileEnv and prints what was written; a file that is not
// accepted fails.
func rssChild(path string) error {
	files := &diskFiles{path: path, reports: map[string][]byte{}}
	titles, changes, queue := &discardTitles{}, &discardChanges{}, &discardQueue{}
	profiles := &pipeline.Profiles{Default: os.Getenv(rssProfileEnv)}
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: 16, Reindex: queue, Profiles: profiles,
		Manifests: newMemManifests()},
		titles, changes, files, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	// What the Go runtime holds, sampled, to tell the heap from the rest of
	// the RSS.
	var maxInuse, maxSys atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			maxInuse.Store(max(maxInuse.Load(), ms.HeapInuse))
			maxSys.Store(max(maxSys.Load(), ms.HeapSys-ms.HeapReleased))
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	name := rssChildSuppl + "/" + filepath.Base(path)
	res, err := p.Run(context.Background(), pipeline.File{Name: name, ETag: `"0x1"`}, false, nil)
	close(stop)
	if err != nil {
		return err
	}
	fmt.Printf("max heap in use %.1f MiB, max heap held from the OS %.1f MiB; ", float64(maxInuse.Load())/(1<<20), float64(maxSys.Load())/(1<<20))
	if res.Report.Verdict != ingest.Accepted {
		return fmt.Errorf("verdict %s: %s", res.Report.Verdict, res.Report.FileError)
	}
	fmt.Printf("verdict %s, rows %d, titles %d, created %d, changes %d, reindex messages %d (%d ids, %d bytes)\n",
		res.Report.Verdict, res.Report.Rows, res.Report.Titles, titles.writes.Load(), changes.puts.Load(),
		queue.messages.Load(), res.Reindexed, queue.bytes.Load())
	return nil
}

// diskFiles serves the drop blob from a local file (streamed, as azblob
// streams it) and keeps the reports.
type diskFiles struct {
	path    string
	mu      sync.Mutex
	reports map[string][]byte
}

func (f *diskFiles) Open(_ context.Context, container, name, _ string) (io.ReadCloser, int64, error) {
	if container != drop {
		return nil, 0, fmt.Errorf("%w: %s", apperr.NotFound, name)
	}
	r, err := os.Open(f.path)
	if err != nil {
		return nil, 0, err
	}
	st, err := r.Stat()
	if err != nil {
		return nil, 0, err
	}
	return r, st.Size(), nil
}

func (f *diskFiles) Read(_ context.Context, container, name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.reports[container+"/"+name]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("%w: %s", apperr.NotFound, name)
}

func (f *diskFiles) Exists(ctx context.Context, container, name string) (bool, error) {
	_, err := f.Read(ctx, container, name)
	return err == nil, nil
}

func (f *diskFiles) Put(_ context.Context, container, name, _ string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reports[container+"/"+name] = bytes.Clone(body)
	return nil
}

func (f *diskFiles) Copy(context.Context, string, string, string, string) error { return nil }

func (f *diskFiles) DeleteVersion(context.Context, string, string, string) error { return nil }

// discardTitles is an empty Cosmos that serialises each written document as
// the SDK does and keeps none of them.
type discardTitles struct{ writes atomic.Int64 }

func (d *discardTitles) Get(_ context.Context, id string) (*catalog.Title, string, error) {
	return nil, "", fmt.Errorf("%w: %s", apperr.NotFound, id)
}

func (d *discardTitles) GetDelivered(_ context.Context, id string) (*catalog.Title, string, map[string]string, error) {
	return nil, "", nil, fmt.Errorf("%w: %s", apperr.NotFound, id)
}

func (d *discardTitles) CreateDelivered(_ context.Context, t *catalog.Title, deliveries map[string]string) (string, error) {
	if _, err := json.Marshal(struct {
		*catalog.Title
		Deliveries map[string]string `json:"deliveries"`
	}{t, deliveries}); err != nil {
		return "", err
	}
	d.writes.Add(1)
	return `"1"`, nil
}

func (d *discardTitles) ReplaceDelivered(ctx context.Context, t *catalog.Title, deliveries map[string]string, _ string) (string, error) {
	return d.CreateDelivered(ctx, t, deliveries)
}

func (d *discardTitles) WrittenOutside(context.Context, time.Time) (string, []string, error) {
	return "epoch", nil, nil
}

type discardChanges struct{ puts atomic.Int64 }

func (d *discardChanges) Create(ctx context.Context, c catalog.Change) (string, error) {
	return `"1"`, d.Put(ctx, c)
}

func (d *discardChanges) Delete(context.Context, catalog.Change, string) error { return nil }

func (d *discardChanges) Put(_ context.Context, c catalog.Change) error {
	if _, err := json.Marshal(c); err != nil {
		return err
	}
	d.puts.Add(1)
	return nil
}

// discardQueue counts the reindex messages sent.
type discardQueue struct{ messages, bytes atomic.Int64 }

func (q *discardQueue) Send(_ context.Context, body []byte) error {
	q.messages.Add(1)
	q.bytes.Add(int64(len(body)))
	return nil
}

// TestTitlesLargerThanABatchAllows ingests titles so large (400 ad formats
// each) that a prefetch batch of them would not fit in the bytes the
// pipeline holds in flight (4 MiB here): batches are cut short by bytes, the
// parser waits for the writers, and every title is still written once, with
// no deadlock (which the deadline would turn into a failure).
func TestTitlesLargerThanABatchAllows(t *testing.T) {
	const titles, formats = 150, 400
	var sample bytes.Buffer
	if _, err := gen.WriteCSV(&sample, gen.Options{Seed: 1, Titles: 1}, ';', "utf-8"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(sample.String(), "\n")
	header, row := strings.Split(strings.TrimSpace(lines[0]), ";"), strings.Split(strings.TrimSpace(lines[1]), ";")
	keyCol, formatCol := slices.Index(header, "key"), slices.Index(header, "format")
	if keyCol < 0 || formatCol < 0 || len(row) != len(header) || strings.Contains(lines[1], `"`) {
		t.Fatalf("unexpected generated CSV: %q / %q", lines[0], lines[1])
	}
	var file bytes.Buffer
	file.WriteString(lines[0] + "\n")
	for i := range titles {
		for j := range formats {
			row[keyCol], row[formatCol] = fmt.Sprintf("BIG%04d", i), fmt.Sprintf("Format %d", j)
			file.WriteString(strings.Join(row, ";") + "\n")
		}
	}
	path := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(path, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	store, changes, queue := &discardTitles{}, &discardChanges{}, &discardQueue{}
	p, err := pipeline.New(pipeline.Config{DropContainer: drop, ReportsContainer: reports, Writers: 4, Reindex: queue,
		Profiles: &pipeline.Profiles{Default: "generic"}, InFlightBytes: 4 << 20}, store, changes, &diskFiles{path: path, reports: map[string][]byte{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a deadlock fails instead of hanging
	defer cancel()
	res, err := p.Run(ctx, pipeline.File{Name: "bench/big.csv", ETag: `"0x1"`}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep := res.Report; rep.Verdict != ingest.Accepted || rep.Titles != titles || rep.AcceptedRows != titles*formats || store.writes.Load() != titles {
		t.Errorf("verdict %s (%s), %d titles, %d rows accepted, %d written; want %d titles of %d rows each, all written",
			rep.Verdict, rep.FileError, rep.Titles, rep.AcceptedRows, store.writes.Load(), titles, formats)
	}
}
