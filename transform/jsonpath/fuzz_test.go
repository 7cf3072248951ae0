package jsonpath_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform/jsonpath"
)

// get follows a Location in a tree.
func get(tree any, loc jsonpath.Location) (any, bool) {
	v := tree
	for _, s := range loc {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[s.Key]; !ok || s.IsIndex {
				return nil, false
			}
		case []any:
			if !s.IsIndex || s.Index < 0 || s.Index >= len(c) {
				return nil, false
			}
			v = c[s.Index]
		default:
			return nil, false
		}
	}
	return v, true
}

// FuzzParse checks that parsing never panics, that errors are *ParseError with a position
// inside the text, that String() round-trips, and that evaluating any valid path over an
// arbitrary JSON document never panics, never modifies it, and yields locations that lead to
// the values found.
func FuzzParse(f *testing.F) {
	const tree = `{"metadata":{"name":"web","annotations":{"a.b/c":"1"}},"spec":{"replicas":3,"containers":[{"name":"app","image":"x","env":[{"name":"A"}]},{"name":"side","ready":true},null,4]}}`
	for _, p := range []string{
		"$.metadata.name", `$["metadata"]["annotations"]["a.b/c"]`, "$['a\\'b']", `$['\ud83d\ude00']`,
		"$.spec.containers[-1]", "$.spec.containers[*].image", "$.spec.*",
		"$.spec.containers[?@.name=='app'].env[0].name", "$.spec.containers[?(@.ready == true)]",
		"$.spec.containers[?@.x==null]", "$.spec.containers[?@.n==-1.5e3]", "$..a", "$[1:2]", "$['a','b']", "$", "",
		"$.a[", "$[?@.a==", `$["\u00"]`, "$.spec.containers[?@.a.b['c']=='d']",
	} {
		f.Add(p, tree)
	}
	f.Add("$.a.b", `[1,2,{"a":{"b":null}}]`)
	f.Add("$[0]", `"scalar"`)
	f.Fuzz(func(t *testing.T, text, data string) {
		p, err := jsonpath.Parse(text)
		if err != nil {
			var pe *jsonpath.ParseError
			require.True(t, errors.As(err, &pe), "%T", err)
			require.True(t, pe.Pos >= 0 && pe.Pos <= len(text), "position %d outside %q", pe.Pos, text)
			require.NotEmpty(t, pe.Msg)
			require.Nil(t, p)
			return
		}
		again, err := jsonpath.Parse(p.String())
		require.NoError(t, err)
		require.Equal(t, p.String(), again.String())
		require.Equal(t, p.Singular(), again.Singular())

		var root any
		if json.Unmarshal([]byte(data), &root) != nil {
			return
		}
		var before any
		require.NoError(t, json.Unmarshal([]byte(data), &before))
		nodes := p.Find(root)
		if p.Singular() {
			require.LessOrEqual(t, len(nodes), 1)
		}
		for _, n := range nodes {
			v, ok := get(root, n.Location)
			require.True(t, ok, "location %s of a found node does not exist", n.Location)
			assert.Equal(t, v, n.Value)
			_ = n.Location.Pointer()
			// A found location, written as a path, finds exactly itself (when it is printable).
			s := n.Location.String()
			if len(n.Location) > 0 && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
				self, err := jsonpath.Parse("$" + s)
				require.NoError(t, err, "$%s", s)
				got := self.Find(root)
				require.Len(t, got, 1)
				require.Equal(t, n.Location, got[0].Location)
			}
		}
		existing := 0
		for _, tg := range p.Targets(root, true) {
			if tg.Exists {
				existing++
			}
		}
		require.Equal(t, len(nodes), existing, "Targets(create) lists every found node")
		require.Equal(t, len(nodes), len(p.Targets(root, false)))
		require.Equal(t, before, root, "evaluation modified the tree")
	})
}
