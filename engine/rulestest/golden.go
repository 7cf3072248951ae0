package rulestest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Golden compares got with the file at path and reports a line diff on t when they differ
// (or when the file is missing). When updating ([Options.Updating]) it writes got to path
// instead, creating directories, and the test passes. It is the building block for tests with
// an output format of their own; [Run] uses it for the files it compares as text.
func Golden(t testing.TB, path string, got []byte, opts Options) {
	t.Helper()
	if opts.Updating() {
		if err := writeFile(path, got); err != nil {
			t.Fatalf("rulestest: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("rulestest: %v; run the test with %s=1 to create it, then review it", err, UpdateEnv)
		return
	}
	if !bytes.Equal(want, got) {
		t.Errorf("rulestest: %s differs (- want, + got); run the test with %s=1 to accept the new output:\n%s", path, UpdateEnv, LineDiff(string(want), string(got)))
	}
}

// GoldenOrAbsent is [Golden] for an output that is often empty: an empty got means the file
// must not exist (and updating removes it).
func GoldenOrAbsent(t testing.TB, path string, got []byte, opts Options) {
	t.Helper()
	if len(got) > 0 {
		Golden(t, path, got, opts)
		return
	}
	_, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		t.Errorf("rulestest: %v", err)
	case opts.Updating():
		if err := os.Remove(path); err != nil {
			t.Fatalf("rulestest: %v", err)
		}
	default:
		t.Errorf("rulestest: %s exists but the output is empty; run the test with %s=1 to remove it", path, UpdateEnv)
	}
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// maxDiffCells bounds the work of [LineDiff] (an int per cell: 8 MiB): above it, only the first
// differing line is shown.
const maxDiffCells = 1 << 20

// LineDiff returns the lines of want and got with `-` before a line only want has, `+` before
// a line only got has, and unchanged lines within two lines of a change (others elided as
// `…`). Lines common to the start and end of both are set aside first; its work is bounded:
// when what remains exceeds about a million line pairs (1,000 × 1,000 differing lines) it
// shows the first difference only.
func LineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma)*len(mb) > maxDiffCells {
		w, g := "(end)", "(end)"
		if pre < len(a) {
			w = a[pre]
		}
		if pre < len(b) {
			g = b[pre]
		}
		return fmt.Sprintf("first difference at line %d:\n- %s\n+ %s\n", pre+1, w, g)
	}
	type line struct {
		op   byte
		text string
	}
	lines := make([]line, 0, len(a)+len(b))
	for _, l := range a[:pre] {
		lines = append(lines, line{' ', l})
	}
	// lcs[i][j] is the length of the longest common subsequence of ma[i:] and mb[j:].
	lcs := make([][]int, len(ma)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(mb)+1)
	}
	for i := len(ma) - 1; i >= 0; i-- {
		for j := len(mb) - 1; j >= 0; j-- {
			if ma[i] == mb[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(ma) || j < len(mb) {
		switch {
		case i < len(ma) && j < len(mb) && ma[i] == mb[j]:
			lines = append(lines, line{' ', ma[i]})
			i, j = i+1, j+1
		case i < len(ma) && (j == len(mb) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, line{'-', ma[i]})
			i++
		default:
			lines = append(lines, line{'+', mb[j]})
			j++
		}
	}
	for _, l := range a[len(a)-suf:] {
		lines = append(lines, line{' ', l})
	}
	const context = 2
	var out strings.Builder
	elided := false
	for k, l := range lines {
		near := false
		for d := max(0, k-context); d <= min(len(lines)-1, k+context); d++ {
			near = near || lines[d].op != ' '
		}
		if !near {
			if !elided {
				out.WriteString("  …\n")
				elided = true
			}
			continue
		}
		elided = false
		out.WriteByte(l.op)
		out.WriteByte(' ')
		out.WriteString(l.text)
		out.WriteByte('\n')
	}
	return out.String()
}
