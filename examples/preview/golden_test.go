package main

import (
	"bytes"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/preview/ from the current output")

// goldenRoot holds one directory per CLI case, relative to the repository root:
//
//	args          the arguments, one per line; $OUT stands for a fresh temporary directory
//	README        (optional) why the expected output is right
//	stdin         (optional) the standard input, for `-f -`; a path relative to the repository
//	              root, or the input itself when it is not one line naming a file
//	*.yaml        (optional) the case's own inputs, named in args
//	stdout.txt    expected stdout
//	stderr.txt    expected stderr
//	exit-code.txt expected exit status
//	out/          expected contents of $OUT (only when args use -o $OUT)
const goldenRoot = "testdata/preview"

// TestGolden runs the tool on every case of testdata/preview and compares stdout, stderr, the
// exit status and the -o directory with the golden files. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	t.Chdir("../..") // cases name inputs relative to the repository root, as users type them
	cases, err := os.ReadDir(goldenRoot)
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			runGolden(t, filepath.Join(goldenRoot, c.Name()))
		})
	}
}

func runGolden(t *testing.T, dir string) {
	raw, err := os.ReadFile(filepath.Join(dir, "args"))
	require.NoError(t, err, "every case needs an args file")
	out := filepath.Join(t.TempDir(), "out")
	var args []string
	usesOut := false
	for _, a := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if a == "$OUT" {
			a, usesOut = out, true
		}
		args = append(args, a)
	}
	var stdin io.Reader
	if data, err := os.ReadFile(filepath.Join(dir, "stdin")); err == nil {
		stdin = bytes.NewReader(data)
		if name := strings.TrimSpace(string(data)); !strings.Contains(name, "\n") {
			from, err := os.ReadFile(name)
			require.NoError(t, err, "stdin names a file")
			stdin = bytes.NewReader(from)
		}
	}
	var stdout, stderr bytes.Buffer
	code := run(args, stdin, &stdout, &stderr)
	// Messages that name the temporary directory are made stable.
	got := map[string]string{
		"stdout.txt":    strings.ReplaceAll(stdout.String(), out, "$OUT"),
		"stderr.txt":    strings.ReplaceAll(stderr.String(), out, "$OUT"),
		"exit-code.txt": strconv.Itoa(code) + "\n",
	}
	if usesOut && code != exitBadInput {
		files, err := readTree(out)
		require.NoError(t, err)
		for name, data := range files {
			got[filepath.Join("out", name)] = data
		}
	}
	if code == exitBadInput && usesOut {
		_, err := os.Stat(out)
		assert.ErrorIs(t, err, fs.ErrNotExist, "exit 2 must write nothing")
	}

	if *update {
		require.NoError(t, os.RemoveAll(filepath.Join(dir, "out")))
		for name, data := range got {
			path := filepath.Join(dir, name)
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
		}
		return
	}
	for name, data := range got {
		want, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, "missing golden file; run go test ./examples/preview -run TestGolden -update")
		assert.Equal(t, string(want), data, "%s differs from %s", name, filepath.Join(dir, name))
	}
	// Every expected output file must have been produced.
	if want, err := readTree(filepath.Join(dir, "out")); err == nil {
		for name := range want {
			assert.Contains(t, got, filepath.Join("out", name), "expected output file not written")
		}
	}
}

// readTree returns every regular file under dir, keyed by its path relative to dir.
func readTree(dir string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[rel] = string(data)
		return err
	})
	return files, err
}

// TestDemoSameThroughStdinAndList checks that the demo renders identically from its directory,
// from stdin (`-f -`) and as one `kind: List`: the three golden cases must agree.
func TestDemoSameThroughStdinAndList(t *testing.T) {
	want, err := os.ReadFile("../../testdata/preview/demo-stdout/stdout.txt")
	require.NoError(t, err)
	for _, c := range []string{"demo-stdin", "demo-list"} {
		got, err := os.ReadFile(filepath.Join("../../testdata/preview", c, "stdout.txt"))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s renders the demo differently", c)
	}
}
