package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reviewGoldenRoot holds one directory per review case, relative to the repository root:
//
//	args          the arguments, one per line; $OUT stands for a directory that does not exist yet
//	README        why the expected output is right
//	stdout.txt    expected stdout (the summary)
//	stderr.txt    expected stderr
//	exit-code.txt expected exit status
//	review.json   expected DIR/review.json (only when args use -o $OUT)
//	modes.txt     expected permissions of review.json and review.html (only with -o $OUT)
//
// Inputs are named in args (the case's own files, or the demo). Run with -update to rewrite
// the expected files from the current output.
const reviewGoldenRoot = "testdata/review"

// TestReviewGolden runs every review case and compares stdout, stderr, the exit status,
// review.json and the files' modes with the golden files. A run that exits 2 must not create
// $OUT. Every case must say in its README why its expected output is right.
func TestReviewGolden(t *testing.T) {
	t.Chdir("../..")
	cases, err := os.ReadDir(reviewGoldenRoot)
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			runReviewGolden(t, filepath.Join(reviewGoldenRoot, c.Name()))
		})
	}
}

func runReviewGolden(t *testing.T, dir string) {
	readme, err := os.ReadFile(filepath.Join(dir, "README"))
	require.NoError(t, err, "every case says why its output is right")
	require.NotEmpty(t, bytes.TrimSpace(readme))
	raw, err := os.ReadFile(filepath.Join(dir, "args"))
	require.NoError(t, err, "every case needs an args file")
	out := filepath.Join(t.TempDir(), "out")
	var args []string
	usesOut := false
	for _, a := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		usesOut = usesOut || strings.Contains(a, "$OUT")
		args = append(args, strings.ReplaceAll(strings.TrimSpace(a), "$OUT", out))
	}
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	stable := strings.NewReplacer(out, "$OUT").Replace
	got := map[string]string{
		"stdout.txt":    stable(stdout.String()),
		"stderr.txt":    stable(stderr.String()),
		"exit-code.txt": strconv.Itoa(code) + "\n",
	}
	if usesOut {
		if code == exitBadInput {
			_, err := os.Lstat(out)
			assert.ErrorIs(t, err, fs.ErrNotExist, "exit 2 must not create the -o directory")
		} else {
			js, err := os.ReadFile(filepath.Join(out, reviewJSONFile))
			require.NoError(t, err)
			got[reviewJSONFile] = string(js)
			var modes strings.Builder
			for _, name := range []string{reviewHTMLFile, reviewJSONFile} {
				st, err := os.Stat(filepath.Join(out, name))
				require.NoError(t, err)
				modes.WriteString(st.Mode().Perm().String() + " " + name + "\n")
			}
			got["modes.txt"] = modes.String()
			entries, err := os.ReadDir(out)
			require.NoError(t, err)
			assert.Len(t, entries, 2, "a review writes review.json and review.html, nothing else")
		}
	}
	if *update {
		for name, data := range got {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
		}
		return
	}
	for name, data := range got {
		want, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, "missing golden file %s (run with -update)", name)
		assert.Equal(t, string(want), data, "%s differs from %s", name, filepath.Join(dir, name))
	}
}
