package manifests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	return dir
}

func names(docs []Document) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.Object["kind"].(string)
	}
	return out
}

func TestLoadDirectoryOrder(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"b.yaml":          "kind: B\n",
		"a/z.yml":         "kind: AZ\n",
		"c.json":          `{"kind": "C"}`,
		"notes.txt":       "kind: Ignored\n",
		".git/x.yaml":     "kind: Hidden\n",
		"d/.hidden/y.yml": "kind: Hidden2\n",
	})
	docs, _, err := Load([]string{dir}, Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"AZ", "B", "C"}, names(docs), "lexical order, recursive, hidden directories and other extensions skipped")

	docs, _, err = Load([]string{filepath.Join(dir, "notes.txt")}, Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"Ignored"}, names(docs), "a file named explicitly is read whatever its name")
}

func TestLoadStdin(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": "kind: A\n"})
	docs, warns, err := Load([]string{"-", filepath.Join(dir, "a.yaml")}, Options{Stdin: strings.NewReader("kind: S\nx: yes\n")})
	require.NoError(t, err)
	assert.Equal(t, []string{"S", "A"}, names(docs))
	assert.Equal(t, "-", docs[0].File)
	require.Len(t, warns, 1)
	assert.Equal(t, "-", warns[0].File)

	_, _, err = Load([]string{"-", "-"}, Options{Stdin: strings.NewReader("kind: S\n")})
	require.ErrorIs(t, err, ErrRead, "stdin can be read once")
	assert.Contains(t, err.Error(), "-: standard input named twice")

	_, _, err = Load([]string{"-"}, Options{})
	require.ErrorIs(t, err, ErrRead, "no stdin configured")
}

func TestLoadErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"empty/readme.md": "x", "ok.yaml": "kind: A\n", "bad.yaml": "a: [\n"})
	docs, _, err := Load([]string{filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "empty"), dir}, Options{})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrRead)
	assert.ErrorIs(t, err, ErrSyntax)
	msg := err.Error()
	assert.Contains(t, msg, "missing.yaml: no such file or directory")
	assert.Contains(t, msg, "empty: directory holds no .yaml, .yml or .json file")
	assert.Contains(t, msg, "bad.yaml#0 (line 1): ")
	assert.Equal(t, []string{"A"}, names(docs), "what could be read is still returned")
}

func TestLoadBudget(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": "kind: A\n", "b.yaml": "kind: B\n"})
	_, _, err := Load([]string{dir}, Options{MaxBytes: 12})
	require.ErrorIs(t, err, ErrTooLarge, "8 + 8 bytes exceed 12")
	assert.Contains(t, err.Error(), "b.yaml: input too large: the inputs exceed 12 bytes")

	docs, _, err := Load([]string{dir}, Options{MaxBytes: 16})
	require.NoError(t, err, "exactly the budget is fine")
	assert.Len(t, docs, 2)

	_, _, err = Load([]string{"-"}, Options{Stdin: strings.NewReader(strings.Repeat("#", 100)), MaxBytes: 10})
	require.ErrorIs(t, err, ErrTooLarge, "an endless stdin stops at the budget")
}
