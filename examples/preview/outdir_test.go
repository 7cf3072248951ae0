package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform"
)

func TestOutputDirNamedYAML(t *testing.T) {
	demo, err := filepath.Abs("../../testdata/demo")
	require.NoError(t, err)
	tests := []struct {
		name     string
		reason   string
		setup    func(t *testing.T)
		dir      string
		wantCode int
	}{
		{name: "bare yaml", reason: "a format, not a directory", dir: "yaml", wantCode: exitBadInput},
		{name: "bare json", reason: "a format, not a directory", dir: "json", wantCode: exitBadInput},
		{name: "dot slash yaml", reason: "./yaml names a directory", dir: "./yaml", wantCode: exitOK},
		{
			name:     "an existing directory named yaml",
			reason:   "the user made it: it is a directory",
			setup:    func(t *testing.T) { require.NoError(t, os.Mkdir("yaml", 0o755)) },
			dir:      "yaml",
			wantCode: exitOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if tt.setup != nil {
				tt.setup(t)
			}
			var stdout, stderr bytes.Buffer
			code := run([]string{"-f", demo, "-o", tt.dir}, nil, &stdout, &stderr)
			require.Equal(t, tt.wantCode, code, "%s: %s", tt.reason, stderr.String())
			if code == exitBadInput {
				assert.Equal(t, "preview writes files into a directory; for kubectl-style output omit -o (objects go to stdout)\n", stderr.String())
				_, err := os.Lstat(tt.dir)
				assert.True(t, os.IsNotExist(err), "nothing written")
				return
			}
			_, err := os.Stat(filepath.Join(tt.dir, "report.json"))
			assert.NoError(t, err)
		})
	}
}

func TestCheckOutDirInsideInput(t *testing.T) {
	tmp := t.TempDir()
	in := filepath.Join(tmp, "in")
	require.NoError(t, os.Mkdir(in, 0o755))
	link := filepath.Join(tmp, "link")
	require.NoError(t, os.Symlink(in, link))
	for _, dir := range []string{in, filepath.Join(in, "out"), filepath.Join(in, "a", "b"), filepath.Join(link, "out")} {
		err := checkOutDir(dir, []string{"-", in})
		require.ErrorIs(t, err, ErrOutput, dir)
		assert.Contains(t, err.Error(), "lies inside the input")
	}
	assert.NoError(t, checkOutDir(filepath.Join(tmp, "inside-not"), []string{in}), "a sibling is fine")
	assert.NoError(t, checkOutDir(filepath.Join(tmp, "in2"), []string{in}), "a name sharing a prefix is not inside")
}

func TestMaskingLeavesInputsAlone(t *testing.T) {
	ref := transform.ObjectRef{Kind: "Secret", Namespace: "n", Name: "s"}
	before := map[string]any{"kind": "Secret", "data": map[string]any{"a": "QQ==", "b": "Qg=="}, "stringData": "odd"}
	after := map[string]any{"kind": "Secret", "data": map[string]any{"a": "QQ==", "b": "Qw==", "c": "RA=="}}
	b, a := maskedPair(ref, before, after)
	assert.Equal(t, map[string]any{"kind": "Secret", "data": map[string]any{"a": masked, "b": masked}, "stringData": masked}, b)
	assert.Equal(t, map[string]any{"kind": "Secret", "data": map[string]any{"a": masked, "b": maskedChanged, "c": maskedChanged}}, a)
	assert.Equal(t, "Qg==", before["data"].(map[string]any)["b"], "inputs untouched")
	assert.Equal(t, "Qw==", after["data"].(map[string]any)["b"], "inputs untouched")

	changes := []transform.Change{
		{Path: ".data.b", Kind: transform.ChangeSet, Old: "Qg==", New: "Qw=="},
		{Path: ".data", Kind: transform.ChangeAdd, New: map[string]any{"x": "eA=="}},
		{Path: ".metadata.labels.a", Kind: transform.ChangeAdd, New: "visible"},
	}
	got := maskChanges(ref, changes)
	assert.Equal(t, []transform.Change{
		{Path: ".data.b", Kind: transform.ChangeSet, Old: masked, New: maskedChanged},
		{Path: ".data", Kind: transform.ChangeAdd, New: map[string]any{"x": masked}},
		{Path: ".metadata.labels.a", Kind: transform.ChangeAdd, New: "visible"},
	}, got)
	assert.Equal(t, "Qw==", changes[0].New, "inputs untouched")
	cm := transform.ObjectRef{Kind: "ConfigMap", Name: "c"}
	assert.Equal(t, changes, maskChanges(cm, changes), "only Secrets are masked")
}

func TestReplaceDirRechecksDir(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "out")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("x"), 0o644))
	err := replaceDir(dir, []outFile{{name: "report.json", data: []byte("{}")}})
	require.Error(t, err, "a directory that stopped being a previous output is not replaced")
	assert.Contains(t, err.Error(), "changed while rendering")
	data, err := os.ReadFile(filepath.Join(dir, "mine.txt"))
	require.NoError(t, err)
	assert.Equal(t, "x", string(data))
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "the temporary tree is removed")

	require.NoError(t, os.Remove(filepath.Join(dir, "mine.txt")))
	require.NoError(t, replaceDir(dir, []outFile{{name: "a.yaml", data: []byte("a"), private: true}, {name: "report.json", data: []byte("{}")}}))
	info, err := os.Stat(filepath.Join(dir, "a.yaml"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	info, err = os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), info.Mode().Perm())
}
