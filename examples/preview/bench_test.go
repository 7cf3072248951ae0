package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkRunDemo measures the whole tool on the demo data (3 WECs × 5 objects, 4 rules):
// reading, routing, compiling, rendering and writing DIR/ with report.json.
func BenchmarkRunDemo(b *testing.B) {
	out := filepath.Join(b.TempDir(), "out")
	args := []string{"-f", "../../testdata/demo", "-o", out}
	b.ReportAllocs()
	for b.Loop() {
		if code := run(args, nil, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkUnifiedDiff measures the line diff of a ~60-line object with a few scattered
// changes, the --diff case.
func BenchmarkUnifiedDiff(b *testing.B) {
	var before, after strings.Builder
	for i := range 60 {
		line := "  field" + string(rune('a'+i%26)) + ": value\n"
		before.WriteString(line)
		if i%15 == 7 {
			line = "  changed: true\n"
		}
		after.WriteString(line)
	}
	a, c := before.String(), after.String()
	b.ReportAllocs()
	for b.Loop() {
		if err := unifiedDiff(io.Discard, "a", "b", a, c); err != nil {
			b.Fatal(err)
		}
	}
}
