package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/engine/rulestest"
	"github.com/wecforge/wecforge/transform/manifests"
)

// update rewrites the golden files of testdata/preview/ from the current output (so does
// WECFORGE_UPDATE=1).
var update = rulestest.UpdateFlag(flag.CommandLine, "update")

// goldenRoot holds one directory per CLI case, relative to the repository root:
//
//	args          the arguments, one per line; $OUT stands for DIR/out and $TMP for DIR, where
//	              DIR is a fresh temporary directory (so $OUT does not exist unless setup makes it)
//	setup         (optional) what exists before the run, one directive per line:
//	              `dir PATH`, `file PATH TEXT…`, `symlink PATH TARGET` ($OUT and $TMP expand)
//	README        (optional) why the expected output is right
//	stdin         (optional) the standard input, for `-f -`: `cat PATH…` (the files, globs
//	              expanded, joined by `---` lines) or `list PATH…` (every object of the paths,
//	              files or directories, as one `kind: List`); paths relative to the repository root
//	*.yaml        (optional) the case's own inputs, named in args
//	stdout.txt    expected stdout
//	stderr.txt    expected stderr
//	exit-code.txt expected exit status
//	out/          expected contents of $OUT (only when args use -o $OUT)
//	modes.txt     expected permissions of the files under $OUT (only when args use -o $OUT)
//
// A run that exits 2 must leave $TMP exactly as setup made it.
const goldenRoot = "testdata/preview"

// TestGolden runs the tool on every case of testdata/preview and compares stdout, stderr, the
// exit status and the -o directory with the golden files (package rulestest compares;
// -update or WECFORGE_UPDATE=1 rewrites them).
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
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	expand := strings.NewReplacer("$OUT", out, "$TMP", tmp).Replace
	var args []string
	usesOut := false
	for _, a := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		usesOut = usesOut || strings.Contains(a, "$OUT")
		args = append(args, expand(a))
	}
	if setup, err := os.ReadFile(filepath.Join(dir, "setup")); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(setup)), "\n") {
			f := strings.Fields(expand(line))
			require.GreaterOrEqual(t, len(f), 2, "setup line %q", line)
			switch f[0] {
			case "dir":
				require.NoError(t, os.MkdirAll(f[1], 0o755))
			case "file":
				require.NoError(t, os.MkdirAll(filepath.Dir(f[1]), 0o755))
				require.NoError(t, os.WriteFile(f[1], []byte(strings.Join(f[2:], " ")+"\n"), 0o644))
			case "symlink":
				require.Len(t, f, 3)
				require.NoError(t, os.Symlink(f[2], f[1]))
			default:
				t.Fatalf("unknown setup directive %q", f[0])
			}
		}
	}
	before, err := snapshot(tmp)
	require.NoError(t, err)
	var stdin io.Reader
	if data, err := os.ReadFile(filepath.Join(dir, "stdin")); err == nil {
		stdin = bytes.NewReader(goldenStdin(t, strings.Fields(string(data))))
	}
	var stdout, stderr bytes.Buffer
	code := run(args, stdin, &stdout, &stderr)
	// Messages that name the temporary directory are made stable.
	stable := strings.NewReplacer(out, "$OUT", tmp, "$TMP").Replace
	got := map[string]string{
		"stdout.txt":    stable(stdout.String()),
		"stderr.txt":    stable(stderr.String()),
		"exit-code.txt": strconv.Itoa(code) + "\n",
	}
	if usesOut && code != exitBadInput {
		files, err := readTree(out)
		require.NoError(t, err)
		for name, data := range files {
			got[filepath.Join("out", name)] = data
		}
		modes, err := fileModes(out)
		require.NoError(t, err)
		got["modes.txt"] = modes
		siblings, err := os.ReadDir(tmp)
		require.NoError(t, err)
		for _, e := range siblings {
			assert.Contains(t, []string{"out"}, e.Name(), "no temporary directory is left beside $OUT")
		}
	}
	if code == exitBadInput {
		after, err := snapshot(tmp)
		require.NoError(t, err)
		assert.Equal(t, before, after, "exit 2 must write nothing")
	}

	opts := rulestest.Options{Update: *update}
	if opts.Updating() {
		require.NoError(t, os.RemoveAll(filepath.Join(dir, "out")))
	}
	for name, data := range got {
		rulestest.Golden(t, filepath.Join(dir, name), []byte(data), opts)
	}
	if opts.Updating() {
		return
	}
	// Every expected output file must have been produced.
	if want, err := readTree(filepath.Join(dir, "out")); err == nil {
		for name := range want {
			assert.Contains(t, got, filepath.Join("out", name), "expected output file not written")
		}
	}
}

// goldenStdin builds a case's standard input from its stdin directive.
func goldenStdin(t *testing.T, directive []string) []byte {
	require.GreaterOrEqual(t, len(directive), 2, "stdin: cat|list PATH…")
	var buf bytes.Buffer
	switch directive[0] {
	case "cat":
		for _, pattern := range directive[1:] {
			files, err := filepath.Glob(pattern)
			require.NoError(t, err)
			require.NotEmpty(t, files, "stdin: %s matches nothing", pattern)
			for _, f := range files {
				data, err := os.ReadFile(f)
				require.NoError(t, err)
				buf.WriteString("---\n")
				buf.Write(data)
			}
		}
	case "list":
		docs, _, err := manifests.Load(directive[1:], manifests.Options{})
		require.NoError(t, err)
		items := make([]any, len(docs))
		for i, d := range docs {
			items[i] = d.Object
		}
		data, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
		require.NoError(t, err)
		buf.Write(data)
	default:
		t.Fatalf("stdin: unknown directive %q", directive[0])
	}
	return buf.Bytes()
}

// snapshot describes every entry under dir: path, type, permissions, contents or link target.
func snapshot(dir string) (map[string]string, error) {
	entries := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		desc := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += " " + string(data)
		}
		entries[p] = desc
		return nil
	})
	return entries, err
}

// fileModes lists the permissions of every file under dir, one `path mode` line each, sorted.
func fileModes(dir string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %v\n", rel, info.Mode().Perm())
		return err
	})
	return b.String(), err
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
