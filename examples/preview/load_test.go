package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDocuments(t *testing.T) {
	type doc struct {
		source string
		line   int
		name   string
	}
	tests := []struct {
		name   string
		reason string
		text   string
		want   []doc
	}{
		{
			name: "single document",
			text: "kind: A\nmetadata: {name: a}\n",
			want: []doc{{"f#0", 1, "a"}},
		},
		{
			name:   "leading marker opens no empty document",
			reason: "kubectl-style files often start with ---; the first object is still #0",
			text:   "---\nkind: A\nmetadata: {name: a}\n---\nkind: B\nmetadata: {name: b}\n",
			want:   []doc{{"f#0", 2, "a"}, {"f#1", 5, "b"}},
		},
		{
			name:   "leading comment block is not a document",
			text:   "# header\n\n---\nkind: A\nmetadata: {name: a}\n",
			want:   []doc{{"f#0", 4, "a"}},
			reason: "a license header before the first --- is not counted",
		},
		{
			name:   "empty documents are skipped but counted",
			reason: "indexes match what a reader counts between markers",
			text:   "kind: A\nmetadata: {name: a}\n---\n# nothing\n---\n---\nkind: B\nmetadata: {name: b}\n---\n",
			want:   []doc{{"f#0", 1, "a"}, {"f#3", 7, "b"}},
		},
		{
			name:   "marker with a comment",
			text:   "kind: A\nmetadata: {name: a}\n--- # second\nkind: B\nmetadata: {name: b}\n",
			want:   []doc{{"f#0", 1, "a"}, {"f#1", 4, "b"}},
			reason: "`--- # comment` is a marker",
		},
		{
			name:   "document end marker",
			text:   "kind: A\nmetadata: {name: a}\n...\n---\nkind: B\nmetadata: {name: b}\n",
			want:   []doc{{"f#0", 1, "a"}, {"f#1", 5, "b"}},
			reason: "`...` then `---` opens no empty document",
		},
		{
			name:   "markers inside block scalars are indented and do not split",
			text:   "kind: A\nmetadata: {name: a}\ndata:\n  x: |\n    ---\n    y\n",
			want:   []doc{{"f#0", 1, "a"}},
			reason: "only a marker at column 0 counts",
		},
		{
			name:   "dashes that are not a marker",
			text:   "kind: A\nmetadata: {name: a}\n---x: 1\n",
			want:   []doc{{"f#0", 1, "a"}},
			reason: "`---x` is a key, not a marker",
		},
		{
			name:   "CRLF line ends",
			text:   "kind: A\r\nmetadata: {name: a}\r\n---\r\nkind: B\r\nmetadata: {name: b}\r\n",
			want:   []doc{{"f#0", 1, "a"}, {"f#1", 4, "b"}},
			reason: "files edited on Windows still split",
		},
		{name: "empty file", text: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := parseDocuments("f", []byte(tt.text))
			require.NoError(t, err, tt.reason)
			var got []doc
			for _, d := range docs {
				md, _ := d.Object["metadata"].(map[string]any)
				name, _ := md["name"].(string)
				got = append(got, doc{d.Source, d.Line, name})
			}
			assert.Equal(t, tt.want, got, tt.reason)
		})
	}
}

func TestDecodeDocumentValues(t *testing.T) {
	obj, err := decodeDocument([]byte(`
kind: A
spec:
  replicas: 3
  ratio: 0.5
  big: 9007199254740993
  enabled: true
  when: 2026-01-02T03:04:05Z
  none: null
  list: [1, "2"]
`), 1)
	require.NoError(t, err)
	spec := obj["spec"].(map[string]any)
	assert.Equal(t, int64(3), spec["replicas"], "integers are int64, as in unstructured")
	assert.Equal(t, 0.5, spec["ratio"])
	assert.Equal(t, int64(9007199254740993), spec["big"], "no float rounding")
	assert.Equal(t, true, spec["enabled"])
	assert.Equal(t, "2026-01-02T03:04:05Z", spec["when"], "timestamps stay strings")
	assert.Nil(t, spec["none"])
	assert.Equal(t, []any{int64(1), "2"}, spec["list"])
	_, err = json.Marshal(obj)
	require.NoError(t, err, "the object is JSON-shaped")
}

func TestParseDocumentsErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{
			name: "syntax error with the file's line number",
			text: "kind: A\n---\nkind: B\nmetadata:\n  name: [x\n",
			want: "f#1 (line 3): malformed YAML: line 5: did not find expected ',' or ']'",
		},
		{
			name: "duplicate key",
			text: "kind: A\nkind: B\n",
			want: `f#0 (line 1): malformed YAML: line 2: key "kind" already set in map`,
		},
		{
			name: "scalar document",
			text: "just a string\n",
			want: "f#0 (line 1): the document is not a mapping (a Kubernetes object needs apiVersion, kind and metadata)",
		},
		{
			name: "tab indentation",
			text: "kind: A\nmetadata:\n\tname: a\n",
			want: "f#0 (line 1): malformed YAML: line 3: found character that cannot start any token",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := parseDocuments("f", []byte(tt.text))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInput)
			assert.EqualError(t, err, tt.want)
			for _, d := range docs {
				assert.NotNil(t, d.Object, "only decoded documents are returned")
			}
		})
	}
}

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
	write("explicit.txt", "kind: E\nmetadata: {name: e}\n")
	write(".git/config.yaml", "kind: [hidden directories are not read")

	t.Run("directories are walked recursively in lexical order", func(t *testing.T) {
		docs, err := loadPaths([]string{dir})
		require.NoError(t, err)
		var got []string
		for _, d := range docs {
			got = append(got, d.Object["kind"].(string))
		}
		assert.Equal(t, []string{"A", "B", "C"}, got, "notes.txt is not a YAML file name, .git is hidden")
	})
	t.Run("a file named explicitly is read whatever its name", func(t *testing.T) {
		docs, err := loadPaths([]string{filepath.Join(dir, "explicit.txt")})
		require.NoError(t, err)
		require.Len(t, docs, 1)
		assert.Equal(t, filepath.Join(dir, "explicit.txt")+"#0", docs[0].Source)
	})
	t.Run("missing path", func(t *testing.T) {
		_, err := loadPaths([]string{filepath.Join(dir, "nope.yaml")})
		require.ErrorIs(t, err, ErrInput)
		assert.EqualError(t, err, filepath.Join(dir, "nope.yaml")+": no such file or directory")
	})
	t.Run("directory without YAML", func(t *testing.T) {
		empty := filepath.Join(dir, "empty")
		require.NoError(t, os.Mkdir(empty, 0o755))
		_, err := loadPaths([]string{empty})
		assert.EqualError(t, err, empty+": directory holds no .yaml, .yml or .json file")
	})
	t.Run("every bad file is reported and good ones still load", func(t *testing.T) {
		write("bad/x.yaml", "kind: [\n")
		write("bad/y.yaml", "kind: Why\nmetadata: {name: y}\n")
		docs, err := loadPaths([]string{filepath.Join(dir, "bad"), filepath.Join(dir, "missing")})
		require.Error(t, err)
		assert.Contains(t, err.Error(), filepath.Join(dir, "bad", "x.yaml")+"#0 (line 1): malformed YAML")
		assert.Contains(t, err.Error(), filepath.Join(dir, "missing")+": no such file or directory")
		require.Len(t, docs, 1)
		assert.Equal(t, "Why", docs[0].Object["kind"])
	})
}

// FuzzParseDocuments feeds arbitrary bytes to the document reader: it never panics, every
// document it returns is a JSON-marshalable mapping with a source and a line inside the file,
// and every error names the input.
func FuzzParseDocuments(f *testing.F) {
	f.Add([]byte("kind: A\nmetadata: {name: a}\n---\nkind: B\n"))
	f.Add([]byte("---\n...\n---\n# c\n"))
	f.Add([]byte("a: [1, 2\n"))
	f.Add([]byte("--- {kind: X}\n"))
	f.Add([]byte("x: &a {y: *a}\n"))
	f.Add([]byte("k: |\n  ---\n  v\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := parseDocuments("in.yaml", data)
		if err != nil {
			require.ErrorIs(t, err, ErrInput)
			require.Contains(t, err.Error(), "in.yaml#")
		}
		lines := 1
		for _, c := range data {
			if c == '\n' {
				lines++
			}
		}
		for _, d := range docs {
			require.NotNil(t, d.Object)
			require.GreaterOrEqual(t, d.Line, 1)
			require.LessOrEqual(t, d.Line, lines)
			_, err := json.Marshal(d.Object)
			require.NoError(t, err)
		}
	})
}
