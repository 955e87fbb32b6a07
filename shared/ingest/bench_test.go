package ingest_test

import (
	"bytes"
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/ingest"
	"github.com/mediaspecs/catalogue/shared/ingest/gen"
)

// benchParse measures parse + normalise + validate of a generated file:
// rows/s is data rows (CSV/XLSX lines, JSON/XML records fanned out per ad
// product) per second of wall time on one goroutine.
func benchParse(b *testing.B, format string) {
	data, name := writeFormat(b, format, gen.Options{Seed: 7, Titles: 5000})
	p := profileFor(b, format)
	rows := 0
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		rep, err := ingest.Parse(context.Background(), ingest.Source{Supplier: "bench", Name: name, R: bytes.NewReader(data), Size: int64(len(data))}, p, ingest.DefaultLimits,
			func(ingest.Parsed) error { return nil })
		if err != nil || rep.Titles != 5000 {
			b.Fatalf("got %v, %d titles (%s)", err, rep.Titles, rep.FileError)
		}
		rows += rep.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	// rows per CPU second of the whole process (GC included) is robust
	// against other load on a shared machine.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(rows)/cpu.Seconds(), "rows/cpu-s")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkParseCSV(b *testing.B)      { benchParse(b, "csv") }
func BenchmarkParseCSV1252(b *testing.B)  { benchParse(b, "csv-1252") }
func BenchmarkParseCSVUTF16(b *testing.B) { benchParse(b, "csv-utf16") }
func BenchmarkParseTSV(b *testing.B)      { benchParse(b, "tsv") }
func BenchmarkParseJSON(b *testing.B)     { benchParse(b, "json") }
func BenchmarkParseNDJSON(b *testing.B)   { benchParse(b, "ndjson") }
func BenchmarkParseXML(b *testing.B)      { benchParse(b, "xml") }
func BenchmarkParseXLSX(b *testing.B)     { benchParse(b, "xlsx") }
