package manifests

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFraming(t *testing.T) {
	type doc struct {
		where string
		name  string
	}
	tests := []struct {
		name   string
		reason string
		text   string
		want   []doc
		errIs  error
	}{
		{name: "single document", text: "kind: A\nmetadata: {name: a}\n", want: []doc{{"f#0 (line 1)", "a"}}},
		{
			name:   "leading marker opens no empty document",
			reason: "kubectl-style files often start with ---; the first object is still #0",
			text:   "---\nkind: A\nmetadata: {name: a}\n---\nkind: B\nmetadata: {name: b}\n",
			want:   []doc{{"f#0 (line 2)", "a"}, {"f#1 (line 5)", "b"}},
		},
		{
			name:   "leading comment block is not a document",
			reason: "a license header before the first --- is not counted",
			text:   "# header\n\n---\nkind: A\nmetadata: {name: a}\n",
			want:   []doc{{"f#0 (line 4)", "a"}},
		},
		{
			name:   "empty documents are skipped but counted",
			reason: "indexes match what a reader counts between markers",
			text:   "kind: A\nmetadata: {name: a}\n---\n# nothing\n---\n---\nkind: B\nmetadata: {name: b}\n---\n",
			want:   []doc{{"f#0 (line 1)", "a"}, {"f#3 (line 7)", "b"}},
		},
		{
			name:   "marker with a comment",
			reason: "kio accepts `--- # comment` as a separator",
			text:   "kind: A\nmetadata: {name: a}\n--- # second\nkind: B\nmetadata: {name: b}\n",
			want:   []doc{{"f#0 (line 1)", "a"}, {"f#1 (line 4)", "b"}},
		},
		{
			name:   "document end marker",
			reason: "`...` then `---` opens no empty document",
			text:   "kind: A\nmetadata: {name: a}\n...\n---\nkind: B\nmetadata: {name: b}\n",
			want:   []doc{{"f#0 (line 1)", "a"}, {"f#1 (line 5)", "b"}},
		},
		{
			name:   "markers inside block scalars are indented and do not split",
			reason: "only a marker at column 0 counts",
			text:   "kind: A\nmetadata: {name: a}\ndata:\n  x: |\n    ---\n    y\n",
			want:   []doc{{"f#0 (line 1)", "a"}},
		},
		{
			name:   "dashes that are not a marker",
			reason: "`---x` is a key, not a marker",
			text:   "kind: A\nmetadata: {name: a}\n---x: 1\n",
			want:   []doc{{"f#0 (line 1)", "a"}},
		},
		{
			name:   "CRLF line ends",
			reason: "files edited on Windows still split, with the same lines",
			text:   "kind: A\r\nmetadata: {name: a}\r\n---\r\nkind: B\r\nmetadata: {name: b}\r\n",
			want:   []doc{{"f#0 (line 1)", "a"}, {"f#1 (line 4)", "b"}},
		},
		{
			name:   "content after a separator",
			reason: "kio rejects `--- value`; the other documents are still read",
			text:   "kind: A\nmetadata: {name: a}\n--- {kind: B}\n",
			want:   []doc{{"f#0 (line 1)", "a"}},
			errIs:  ErrSyntax,
		},
		{name: "empty file", text: ""},
		{name: "null document", text: "null\n---\n~\n"},
		{name: "scalar document", text: "hello\n", errIs: ErrNotObject},
		{name: "sequence document", text: "- a\n", errIs: ErrNotObject},
		{name: "malformed", text: "a: [b\n", errIs: ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, _, err := Parse("f", []byte(tt.text))
			if tt.errIs != nil {
				require.ErrorIs(t, err, tt.errIs, tt.reason)
				var e *Error
				require.ErrorAs(t, err, &e)
			} else {
				require.NoError(t, err, tt.reason)
			}
			var got []doc
			for _, d := range docs {
				md, _ := d.Object["metadata"].(map[string]any)
				name, _ := md["name"].(string)
				got = append(got, doc{d.Where(), name})
			}
			assert.Equal(t, tt.want, got, tt.reason)
		})
	}
}

func TestParseValuesAsKubectl(t *testing.T) {
	docs, _, err := Parse("f", []byte(`kind: A
count: 3
big: 9007199254740993
float: 1.5
integral: 2.0
hex: 0x10
under: 1_000
bool: on
date: 2024-01-02
str: "yes"
nul: ~
`))
	require.NoError(t, err)
	require.Len(t, docs, 1)
	assert.Equal(t, map[string]any{
		"kind":     "A",
		"count":    int64(3),
		"big":      int64(9007199254740993), // exact: never through float64
		"float":    1.5,
		"integral": int64(2), // kubectl's reader writes 2.0 as the JSON number 2
		"hex":      int64(16),
		"under":    int64(1000),
		"bool":     true,
		"date":     "2024-01-02", // go-yaml v2 keeps timestamps as strings
		"str":      "yes",
		"nul":      nil,
	}, docs[0].Object)
}

func TestParseYAML11Warnings(t *testing.T) {
	_, warns, err := Parse("w.yaml", []byte(`kind: A
data:
  enabled: yes
  quoted: "on"
  tagged: !!str off
  real: true
  y: "1"
list: [N, n, x]
`))
	require.NoError(t, err)
	got := make([]string, len(warns))
	for i, w := range warns {
		got[i] = w.String()
	}
	assert.Equal(t, []string{
		`w.yaml:3: unquoted value yes reads as the boolean true (YAML 1.1, as kubectl reads it); write "yes" if you mean the string`,
		`w.yaml:7: unquoted key y reads as the key "true" (YAML 1.1, as kubectl reads it); write "y" if you mean the string`,
		`w.yaml:8: unquoted value N reads as the boolean false (YAML 1.1, as kubectl reads it); write "N" if you mean the string`,
		`w.yaml:8: unquoted value n reads as the boolean false (YAML 1.1, as kubectl reads it); write "n" if you mean the string`,
	}, got, "quoted, tagged and YAML 1.2 booleans are not warned about")
}

func TestParseKeyCollisions(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		text   string
		want   string
	}{
		{
			name:   "YAML 1.1 booleans",
			reason: "y and yes are both the key true for kubectl; one value would be lost",
			text:   "kind: A\ndata: {y: \"1\", yes: \"2\"}\n",
			want:   `.data: keys y (line 2), yes (line 2) all read as the key "true" (YAML 1.1, as kubectl reads them), so all but one would be lost; quote the keys or remove the duplicate`,
		},
		{
			name:   "boolean and its string",
			reason: "an unquoted on and a quoted true become the same JSON key",
			text:   "kind: A\ndata:\n  on: a\n  \"true\": b\n",
			want:   `.data: keys on (line 3), "true" (line 4) all read as the key "true" (YAML 1.1, as kubectl reads them), so all but one would be lost; quote the keys or remove the duplicate`,
		},
		{
			name:   "numbers",
			reason: "0x1, 1 and '1' are all the JSON key 1",
			text:   "kind: A\nspec:\n  m:\n    0x1: a\n    '1': b\n",
			want:   `.spec.m: keys 0x1 (line 4), '1' (line 5) all read as the key "1" (YAML 1.1, as kubectl reads them), so all but one would be lost; quote the keys or remove the duplicate`,
		},
		{
			name:   "plain duplicate",
			reason: "a key written twice is a duplicate, as kubectl's strict reader says",
			text:   "kind: A\nmetadata:\n  name: a\n  name: b\n",
			want:   `.metadata: key name is defined more than once (lines 3, 4); kubectl would keep only the last`,
		},
		{
			name:   "two objects run together",
			reason: "files joined without --- repeat apiVersion at the top level; the message says why",
			text:   "apiVersion: v1\nkind: A\napiVersion: v1\n",
			want:   `top level: key apiVersion is defined more than once (lines 1, 3); kubectl would keep only the last (two objects without a --- line between them?)`,
		},
		{
			name:   "inside a list",
			reason: "the path names the list element",
			text:   "kind: A\nitems2:\n- {n: 1, N: 2}\n",
			want:   `.items2[0]: keys n (line 3), N (line 3) all read as the key "false" (YAML 1.1, as kubectl reads them), so all but one would be lost; quote the keys or remove the duplicate`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, _, err := Parse("f", []byte(tt.text))
			assert.Empty(t, docs, "a document with colliding keys yields no object")
			require.ErrorIs(t, err, ErrKeyCollision, tt.reason)
			var ce *KeyCollisionError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.want, ce.Error(), tt.reason)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "f#0 (line 1)", e.Where)
		})
	}
}

func TestParseMergeKeysAreNotCollisions(t *testing.T) {
	docs, _, err := Parse("f", []byte("kind: A\nbase: &b {x: 1, y2: 2}\nd:\n  <<: *b\n  x: 3\n"))
	require.NoError(t, err, "a key overriding a merged one is YAML's merge semantics")
	assert.Equal(t, map[string]any{"x": int64(3), "y2": int64(2)}, docs[0].Object["d"])
}

func TestParseList(t *testing.T) {
	text := `# a list
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: a}
- apiVersion: v1
  kind: List
  items:
  - {apiVersion: v1, kind: Secret, metadata: {name: s}}
---
apiVersion: v1
kind: ConfigMapList
items:
- metadata: {name: typed}
- 3
`
	docs, _, err := Parse("l.yaml", []byte(text))
	require.ErrorIs(t, err, ErrNotObject, "an item that is not a mapping is named")
	assert.Contains(t, err.Error(), "l.yaml#1.items[1] (line 17): an item of a ConfigMapList is not a mapping")
	var got []string
	for _, d := range docs {
		got = append(got, d.Where()+" "+d.Object["kind"].(string))
	}
	assert.Equal(t, []string{
		"l.yaml#0.items[0] (line 5) ConfigMap",
		"l.yaml#0.items[1].items[0] (line 11) Secret",
		"l.yaml#1.items[0] (line 16) ConfigMap",
	}, got)
	assert.Equal(t, "v1", docs[2].Object["apiVersion"], "an item of a typed list takes the list's apiVersion")
}

func TestErrorShape(t *testing.T) {
	_, _, err := Parse("f", []byte("a: [b\n"))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "f#0 (line 1)", e.Where)
	assert.True(t, errors.Is(e, ErrSyntax))
	assert.Equal(t, "f#0 (line 1): malformed YAML: line 1: did not find expected ',' or ']'", e.Error())
}

func TestParseHostile(t *testing.T) {
	laughs := "a: &a [x,x,x,x,x,x,x,x,x]\n"
	for i, prev := 0, "a"; i < 8; i++ {
		name := string(rune('b' + i))
		laughs += name + ": &" + name + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n"
		prev = name
	}
	var dup strings.Builder
	for i := 0; i < 1000; i++ {
		dup.WriteString("k: 1\n")
	}
	tests := []struct {
		name, text string
		errIs      error
		reason     string
	}{
		{name: "billion laughs", text: laughs, errIs: ErrSyntax, reason: "alias expansion is bounded by kubectl's reader"},
		{name: "deep nesting", text: "a: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n", errIs: ErrSyntax, reason: "nesting depth is bounded"},
		{name: "a key a thousand times", text: dup.String(), errIs: ErrKeyCollision, reason: "reported once, its message bounded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse("f", []byte(tt.text))
			require.ErrorIs(t, err, tt.errIs, tt.reason)
			assert.Less(t, len(err.Error()), 300, "messages stay short")
		})
	}
}
