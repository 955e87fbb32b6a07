package export

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// chunkRecorder counts what reaches the destination and the largest single
// write.
type chunkRecorder struct {
	total, largest int
	onWrite        func()
}

func (c *chunkRecorder) Write(p []byte) (int, error) {
	c.total += len(p)
	c.largest = max(c.largest, len(p))
	if c.onWrite != nil {
		c.onWrite()
	}
	return len(p), nil
}

// exportRow fills cells with row i's text: hexadecimal noise, so the zip
// cannot shrink it to nothing and sizes stay realistic.
func exportRow(rng *rand.Rand, cells []string) {
	for j := range cells {
		cells[j] = strconv.FormatUint(rng.Uint64(), 16) + strconv.FormatUint(rng.Uint64(), 16)
	}
}

// The archive reaches the destination as it is compressed, in chunks, rather
// than as one write of a workbook excelize built whole in memory (what
// File.Write does). Structural, not timed.
func TestXLSXArchiveStreamsToDestination(t *testing.T) {
	t.Parallel()
	dst := &chunkRecorder{}
	w, err := NewWriter(XLSX, dst)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cells := make([]string, 8)
	for range 1500 {
		exportRow(rng, cells)
		must(t, w.WriteRow(cells))
	}
	if dst.total != 0 {
		t.Fatalf("%d bytes written before Close; the sheet must be complete first", dst.total)
	}
	must(t, w.Close())
	if dst.total < 128<<10 || dst.largest > dst.total/4 {
		t.Errorf("archive of %d bytes arrived with a largest write of %d; want many small writes", dst.total, dst.largest)
	}
}

// liveHeap is the live heap after a collection, in bytes.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkXLSXMemory writes rows×10 cells and reports the peak live heap
// (sampled after a forced GC every 5,000 rows and every 256 KiB of output)
// above the heap before the export, for this package's writer and, as the
// baseline, excelize's own StreamWriter + File.Write, which assembles the
// whole archive in memory. Run: go test -run '^$' -bench XLSXMemory -benchtime 1x ./shared/export/
func BenchmarkXLSXMemory(b *testing.B) {
	for _, rows := range []int{10_000, 50_000, 150_000} {
		for _, impl := range []string{"export", "excelize-write"} {
			b.Run(fmt.Sprintf("%s/rows=%d", impl, rows), func(b *testing.B) {
				for range b.N {
					base := liveHeap()
					var peak uint64
					sample := func() {
						if h := liveHeap(); h > base {
							peak = max(peak, h-base)
						}
					}
					dst := &chunkRecorder{}
					nextSample := 256 << 10
					dst.onWrite = func() {
						if dst.total >= nextSample {
							nextSample += 256 << 10
							sample()
						}
					}
					rng := rand.New(rand.NewPCG(1, 2))
					cells := make([]string, 10)
					write, closeFn := benchWriter(b, impl, dst)
					for i := range rows {
						exportRow(rng, cells)
						if err := write(cells); err != nil {
							b.Fatal(err)
						}
						if i%5000 == 4999 {
							sample()
						}
					}
					if err := closeFn(); err != nil {
						b.Fatal(err)
					}
					sample()
					b.ReportMetric(float64(peak)/(1<<20), "peak-live-MiB")
					b.ReportMetric(float64(dst.total)/(1<<20), "output-MiB")
					b.ReportMetric(float64(dst.largest)/(1<<20), "largest-write-MiB")
				}
			})
		}
	}
}

func benchWriter(b *testing.B, impl string, dst io.Writer) (write func([]string) error, close func() error) {
	if impl == "export" {
		w, err := NewWriter(XLSX, dst)
		if err != nil {
			b.Fatal(err)
		}
		return w.WriteRow, w.Close
	}
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	row := 0
	values := make([]any, 0, 10)
	return func(cells []string) error {
			row++
			values = values[:0]
			for _, c := range cells {
				values = append(values, c)
			}
			ref, _ := excelize.CoordinatesToCellName(1, row)
			return sw.SetRow(ref, values)
		}, func() error {
			defer f.Close()
			if err := sw.Flush(); err != nil {
				return err
			}
			return f.Write(dst) // builds the whole zip in a bytes.Buffer, then one write
		}
}
