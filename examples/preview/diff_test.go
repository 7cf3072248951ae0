package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{name: "equal texts give nothing", a: "x\ny\n", b: "x\ny\n", want: ""},
		{name: "both empty", a: "", b: "", want: ""},
		{
			name: "one line changed in the middle",
			a:    "1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			b:    "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			want: "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
		},
		{
			name: "insertion into an empty text",
			a:    "",
			b:    "x\n",
			want: "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n",
		},
		{
			name: "deletion of everything",
			a:    "x\ny\n",
			b:    "",
			want: "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n",
		},
		{
			name: "distant changes make two hunks",
			a:    "a\n1\n2\n3\n4\n5\n6\n7\nb\n",
			b:    "A\n1\n2\n3\n4\n5\n6\n7\nB\n",
			want: "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -6,4 +6,4 @@\n 5\n 6\n 7\n-b\n+B\n",
		},
		{
			name: "changes six lines apart share one hunk",
			a:    "a\n1\n2\n3\n4\n5\n6\nb\n",
			b:    "A\n1\n2\n3\n4\n5\n6\nB\n",
			want: "--- a\n+++ b\n@@ -1,8 +1,8 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n-b\n+B\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, unifiedDiff(&buf, "a", "b", tt.a, tt.b))
			assert.Equal(t, tt.want, buf.String())
		})
	}
}

// TestDiffLinesIsMinimal checks the edit script on random texts: applying it gives b, and it
// is as short as the longest common subsequence allows.
func TestDiffLinesIsMinimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		a, b := randomLines(rng, rng.IntN(25)), randomLines(rng, rng.IntN(25))
		edits := diffLines(a, b)
		gotA, gotB, changes := applyEdits(edits)
		require.Equal(t, a, gotA, "case %d: the script's old side", i)
		require.Equal(t, b, gotB, "case %d: the script's new side", i)
		assert.Equal(t, len(a)+len(b)-2*lcsLength(a, b), changes, "case %d: not a shortest script", i)
	}
}

// TestDiffLinesFallsBackBeyondTheLimit checks that texts differing by more than
// maxEditDistance lines still give a correct (whole replacement) script.
func TestDiffLinesFallsBackBeyondTheLimit(t *testing.T) {
	a := make([]string, maxEditDistance)
	b := make([]string, maxEditDistance)
	for i := range a {
		a[i], b[i] = "a"+strconv.Itoa(i), "b"+strconv.Itoa(i)
	}
	gotA, gotB, changes := applyEdits(diffLines(a, b))
	assert.Equal(t, a, gotA)
	assert.Equal(t, b, gotB)
	assert.Equal(t, 2*maxEditDistance, changes)
}

// TestUnifiedDiffAgainstPatch applies our diffs with the system's patch(1), when there is
// one, and compares hunk headers with diff(1) on the same texts.
func TestUnifiedDiffAgainstPatch(t *testing.T) {
	patchBin, errP := exec.LookPath("patch")
	diffBin, errD := exec.LookPath("diff")
	if errP != nil || errD != nil {
		t.Skip("patch(1) or diff(1) not installed")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	for i := range 40 {
		a := strings.Join(randomLines(rng, 5+rng.IntN(30)), "\n") + "\n"
		b := strings.Join(randomLines(rng, 5+rng.IntN(30)), "\n") + "\n"
		fa, fb := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
		require.NoError(t, os.WriteFile(fa, []byte(a), 0o644))
		require.NoError(t, os.WriteFile(fb, []byte(b), 0o644))
		var ours bytes.Buffer
		require.NoError(t, unifiedDiff(&ours, "a.txt", "b.txt", a, b))

		cmd := exec.Command(patchBin, "-s", "-o", "-", fa)
		cmd.Stdin = bytes.NewReader(ours.Bytes())
		patched, err := cmd.Output()
		require.NoError(t, err, "case %d: patch rejected:\n%s", i, ours.String())
		assert.Equal(t, b, string(patched), "case %d", i)

		theirs, _ := exec.Command(diffBin, "-u", fa, fb).Output()
		assert.Equal(t, len(hunkHeaders(string(theirs))), len(hunkHeaders(ours.String())), "case %d: hunk count", i)
	}
}

func hunkHeaders(d string) []string {
	var out []string
	for _, l := range strings.Split(d, "\n") {
		if strings.HasPrefix(l, "@@") {
			out = append(out, l)
		}
	}
	return out
}

// randomLines draws from a small alphabet so that texts share many lines.
func randomLines(rng *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a' + rng.IntN(5)))
	}
	return out
}

// applyEdits rebuilds both texts from a script and counts its inserted and deleted lines.
func applyEdits(edits []edit) (a, b []string, changes int) {
	a, b = []string{}, []string{}
	for _, e := range edits {
		switch e.kind {
		case editEqual:
			a, b = append(a, e.line), append(b, e.line)
		case editDelete:
			a = append(a, e.line)
			changes++
		case editInsert:
			b = append(b, e.line)
			changes++
		}
	}
	return a, b, changes
}

func lcsLength(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// FuzzUnifiedDiff checks that any two texts give a script that rebuilds both and a diff that
// formats without error.
func FuzzUnifiedDiff(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd\n")
	f.Add("", "x\n")
	f.Add("same\n", "same\n")
	f.Add("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n9\n4\n5\n6\n7\n0\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		la, lb := splitLines(a), splitLines(b)
		gotA, gotB, _ := applyEdits(diffLines(la, lb))
		if len(la) == 0 {
			la = []string{}
		}
		if len(lb) == 0 {
			lb = []string{}
		}
		require.Equal(t, la, gotA)
		require.Equal(t, lb, gotB)
		var buf bytes.Buffer
		require.NoError(t, unifiedDiff(&buf, "a", "b", a, b))
		if slices.Equal(la, lb) {
			require.Empty(t, buf.String())
		} else {
			require.NotEmpty(t, buf.String())
		}
	})
}
