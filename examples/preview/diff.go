package main

import (
	"fmt"
	"io"
	"strings"
)

// diffContext is the number of unchanged lines shown around each change, as in `diff -u`.
const diffContext = 3

// maxEditDistance bounds the work of the line diff: two texts further apart than this many
// inserted plus deleted lines are shown as a whole replacement (still a correct diff, just not
// a minimal one), so that a huge object cannot make the tool quadratic in memory.
const maxEditDistance = 2000

type editKind byte

const (
	editEqual  editKind = ' '
	editDelete editKind = '-'
	editInsert editKind = '+'
)

// edit is one line of an edit script turning a into b.
type edit struct {
	kind editKind
	line string
}

// diffLines returns a shortest edit script turning a into b (Myers' O((N+M)·D) algorithm),
// or a whole replacement when the texts differ by more than maxEditDistance lines.
func diffLines(a, b []string) []edit {
	n, m := len(a), len(b)
	limit := min(n+m, maxEditDistance)
	off := limit + 1
	v := make([]int, 2*limit+3)
	// trace[d] is v as it stood before step d, restricted to diagonals -d..d.
	var trace [][]int
	for d := 0; d <= limit; d++ {
		snap := make([]int, 2*d+1)
		copy(snap, v[off-d:off+d+1])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: insert b[y]
			} else {
				x = v[off+k-1] + 1 // right: delete a[x]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace)
			}
		}
	}
	out := make([]edit, 0, n+m)
	for _, l := range a {
		out = append(out, edit{editDelete, l})
	}
	for _, l := range b {
		out = append(out, edit{editInsert, l})
	}
	return out
}

// backtrack walks the recorded steps back from the end of both texts and returns the edit
// script in forward order.
func backtrack(a, b []string, trace [][]int) []edit {
	x, y := len(a), len(b)
	var rev []edit
	for d := len(trace) - 1; d > 0; d-- {
		v := trace[d] // diagonal k is at index k+d
		k := x - y
		var prevK int
		if k == -d || (k != d && v[k-1+d] < v[k+1+d]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := v[prevK+d]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, edit{editEqual, a[x]})
		}
		if x == prevX {
			rev = append(rev, edit{editInsert, b[prevY]})
		} else {
			rev = append(rev, edit{editDelete, a[prevX]})
		}
		x, y = prevX, prevY
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, edit{editEqual, a[x]})
	}
	out := make([]edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}

// splitLines splits text into lines without their terminating newlines.
func splitLines(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// unifiedDiff writes the unified diff (`diff -u` format, 3 lines of context) turning text a,
// named from, into text b, named to. It writes nothing when the texts are equal. Texts are
// treated as newline-terminated lines; a missing final newline is not marked.
func unifiedDiff(w io.Writer, from, to, a, b string) error {
	edits := diffLines(splitLines(a), splitLines(b))
	hunks := hunksOf(edits)
	if len(hunks) == 0 {
		return nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", from, to)
	for _, h := range hunks {
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(h.aStart, h.aLen), hunkRange(h.bStart, h.bLen))
		for _, e := range edits[h.from:h.to] {
			sb.WriteByte(byte(e.kind))
			sb.WriteString(e.line)
			sb.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// hunk is edits[from:to] with the 1-based first line and line count on each side.
type hunk struct {
	from, to       int
	aStart, aLen   int
	bStart, bLen   int
	lastChangeEdit int
}

// hunksOf groups changes with diffContext lines of context, merging groups whose context
// would overlap or touch.
func hunksOf(edits []edit) []hunk {
	var hunks []hunk
	aLine, bLine := 0, 0 // lines of a and b before edits[i]
	var cur *hunk
	for i, e := range edits {
		if e.kind != editEqual {
			if cur != nil && i-cur.lastChangeEdit-1 > 2*diffContext {
				hunks = append(hunks, closeHunk(edits, *cur))
				cur = nil
			}
			if cur == nil {
				start := max(0, i-diffContext)
				ca, cb := countSides(edits[start:i])
				cur = &hunk{from: start, aStart: aLine - ca, bStart: bLine - cb}
			}
			cur.lastChangeEdit = i
		}
		switch e.kind {
		case editEqual:
			aLine, bLine = aLine+1, bLine+1
		case editDelete:
			aLine++
		case editInsert:
			bLine++
		}
	}
	if cur != nil {
		hunks = append(hunks, closeHunk(edits, *cur))
	}
	return hunks
}

// closeHunk ends h diffContext edits after its last change and counts its lines.
func closeHunk(edits []edit, h hunk) hunk {
	h.to = min(len(edits), h.lastChangeEdit+1+diffContext)
	h.aLen, h.bLen = countSides(edits[h.from:h.to])
	// 1-based first line; for an empty side, the line before the hunk (diff -u convention).
	if h.aLen > 0 {
		h.aStart++
	}
	if h.bLen > 0 {
		h.bStart++
	}
	return h
}

// countSides counts the lines of a and of b that edits cover.
func countSides(edits []edit) (a, b int) {
	for _, e := range edits {
		if e.kind != editInsert {
			a++
		}
		if e.kind != editDelete {
			b++
		}
	}
	return a, b
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
