package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform/manifests"
)

// The loader itself (framing, values, lists, collisions, fuzzing) is tested in
// transform/manifests; these tests cover what the tool adds: its error type and names.

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	write("b.yaml", "kind: B\nmetadata: {name: b}\n")
	write("a.yml", "kind: A\nmetadata: {name: a}\n")
	write("sub/c.json", `{"kind": "C", "metadata": {"name": "c"}}`)
	write("notes.txt", "kind: [not read")
	write("list.txt", "apiVersion: v1\nkind: List\nitems:\n- kind: L\n  metadata: {name: l}\n")

	t.Run("directories are walked recursively in lexical order", func(t *testing.T) {
		docs, _, err := loadPaths([]string{dir}, nil)
		require.NoError(t, err)
		var got []string
		for _, d := range docs {
			got = append(got, d.Object["kind"].(string))
		}
		assert.Equal(t, []string{"A", "B", "C"}, got, "notes.txt and list.txt are not YAML file names")
	})
	t.Run("a List names each item", func(t *testing.T) {
		docs, _, err := loadPaths([]string{filepath.Join(dir, "list.txt")}, nil)
		require.NoError(t, err)
		require.Len(t, docs, 1)
		assert.Equal(t, filepath.Join(dir, "list.txt")+"#0.items[0]", docs[0].Source)
		assert.Equal(t, filepath.Join(dir, "list.txt")+"#0.items[0] (line 4)", docs[0].where())
	})
	t.Run("stdin", func(t *testing.T) {
		docs, warns, err := loadPaths([]string{"-"}, strings.NewReader("kind: S\nmetadata: {name: s}\nx: on\n"))
		require.NoError(t, err)
		require.Len(t, docs, 1)
		assert.Equal(t, "-#0", docs[0].Source)
		assert.Equal(t, []string{`-:3: unquoted value on reads as the boolean true (YAML 1.1, as kubectl reads it); write "on" if you mean the string`}, warns)
	})
	t.Run("errors keep the tool's and the loader's sentinels", func(t *testing.T) {
		write("bad/x.yaml", "kind: [\n")
		write("bad/y.yaml", "kind: Why\nmetadata: {name: y}\ndata: {y: a, Y: b}\n")
		write("bad/z.yaml", "kind: Zed\nmetadata: {name: z}\n")
		docs, _, err := loadPaths([]string{filepath.Join(dir, "bad"), filepath.Join(dir, "missing")}, nil)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrInput)
		assert.ErrorIs(t, err, manifests.ErrSyntax)
		assert.ErrorIs(t, err, manifests.ErrKeyCollision)
		assert.ErrorIs(t, err, manifests.ErrRead)
		var ce *manifests.KeyCollisionError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "true", ce.Key)
		assert.Contains(t, err.Error(), filepath.Join(dir, "bad", "x.yaml")+"#0 (line 1): malformed YAML")
		assert.Contains(t, err.Error(), filepath.Join(dir, "missing")+": no such file or directory")
		require.Len(t, docs, 1)
		assert.Equal(t, "Zed", docs[0].Object["kind"])
	})
}
