package jsonpath_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform/jsonpath"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		path     string
		singular bool
		reason   string
	}{
		{"$.metadata.name", true, "KubeStellar's shorthand names"},
		{`$["metadata"]["annotations"]["example.com/x"]`, true, "KubeStellar's double-quoted names, with . and /"},
		{`$['metadata']['labels']['app.kubernetes.io/name']`, true, "single quotes (RFC 9535)"},
		{`$.metadata.annotations["a\"b"]`, true, "escaped double quote"},
		{`$['a\'b']`, true, "escaped single quote"},
		{`$["a\/b\\c\b\f\n\r\t"]`, true, "every single-character escape"},
		{`$['caf\u00e9']`, true, "\\u escape"},
		{`$['\ud83d\ude00']`, true, "surrogate pair"},
		{"$['']", true, "empty name"},
		{"$.é", true, "non-ASCII shorthand (RFC name-first)"},
		{"$._x9", true, "underscore and digits"},
		{"$.spec.containers[0]", true, "index"},
		{"$.spec.containers[-1]", true, "negative index"},
		{"$.spec.containers[ 1 ]", true, "blank space inside brackets"},
		{"$.spec.containers[*].image", false, "bracket wildcard"},
		{"$.spec.*", false, "shorthand wildcard"},
		{"$.spec.containers[?@.name=='app'].image", false, "equality filter"},
		{`$.spec.containers[?@.name=="app"]`, false, "double-quoted literal"},
		{"$.spec.containers[?(@.name == 'app')]", false, "parenthesised, with spaces"},
		{"$.spec.containers[?((@.name=='app'))]", false, "nested parentheses"},
		{"$.items[?@.spec.port==8080]", false, "nested field, integer literal"},
		{"$.items[?@['a.b'].c=='x']", false, "quoted member in a filter field"},
		{"$.items[?@.weight==-1.5e3]", false, "negative float literal"},
		{"$.items[?@.enabled==true]", false, "true"},
		{"$.items[?@.enabled==false]", false, "false"},
		{"$.items[?@.effect==null]", false, "null"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p, err := jsonpath.Parse(tc.path)
			require.NoError(t, err, tc.reason)
			assert.Equal(t, tc.path, p.String())
			assert.Equal(t, tc.singular, p.Singular())
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		path string
		pos  int
		msg  string
	}{
		{"", 0, "a path must start with $"},
		{"spec.replicas", 0, "a path must start with $"},
		{" $.a", 0, "a path must start with $"},
		{"$", 0, "$ alone identifies the whole object; name a field below it"},
		{"$.", 2, "expected a member name after ."},
		{"$$", 1, `expected . or [ but found "$"`},
		{"$a", 1, `expected . or [ but found "a"`},
		{"$..image", 1, "descendant segments (..) are not supported"},
		{"$.spec..image", 6, "descendant segments (..) are not supported"},
		{"$.a[1:2]", 5, "array slices are not supported"},
		{"$.a[:2]", 4, "array slices are not supported"},
		{"$['a','b']", 5, "unions of selectors are not supported"},
		{"$.a[0,1]", 5, "unions of selectors are not supported"},
		{"$.a[", 3, "unclosed ["},
		{"$.a[0", 5, "expected ] to close the selector opened at position 3"},
		{"$['a'", 5, "expected ] to close the selector opened at position 1"},
		{"$['a]", 2, "unterminated string"},
		{"$.a b", 3, "' ' cannot appear in a shorthand name"},
		{"$.app.kubernetes.io/name", 19, "'/' cannot appear in a shorthand name; quote the name: ['io...']"},
		{"$.a-b", 3, "'-' cannot appear in a shorthand name"},
		{"$.1a", 2, "expected a member name after . (use ['...'] for names with other characters)"},
		{"$[a]", 2, "unexpected 'a' in a selector"},
		{"$[-0]", 2, `invalid index "-0"`},
		{"$[01]", 2, `invalid index "01"`},
		{"$[-]", 2, "expected digits"},
		{"$[4294967296]", 2, "index 4294967296 is out of range"},
		{`$['\x']`, 3, `invalid escape \x`},
		{`$['\u12']`, 3, `\u needs four hex digits`},
		{`$['\ud83d']`, 3, "high surrogate without a low surrogate"},
		{`$['\ud83d\u0041']`, 3, "high surrogate without a low surrogate"},
		{`$['\ude00']`, 3, "lone low surrogate"},
		{"$['a\tb']", 4, "control character in a string; escape it"},
		{"$['a\xffb']", 4, "invalid UTF-8 in a string"},
		{"$[?@.a!='x']", 6, "only == comparisons are supported in filters"},
		{"$[?@.a<1]", 6, "only == comparisons are supported in filters"},
		{"$[?@.a=='x' && @.b=='y']", 12, "expected ] to close the selector opened at position 1"},
		{"$[?@.a==x]", 8, "expected a literal"},
		{"$[?@.a==]", 8, "expected a literal"},
		{"$[?@.a==1.2.3]", 8, `invalid number "1.2.3"`},
		{"$[?@]", 4, "a filter needs a field after @"},
		{"$[?@.a[0]=='x']", 6, "a filter field may use only member names"},
		{"$[?length(@)==1]", 3, "only the filter @.field == literal is supported"},
		{"$[?$.a=='x']", 3, "only the filter @.field == literal is supported"},
		{"$[?(@.a=='x']", 12, "expected )"},
		{"$[?@.a=='x'", 11, "expected ] to close the selector opened at position 1"},
		{"$[?@.a=='x']]", 12, `expected . or [ but found "]"`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p, err := jsonpath.Parse(tc.path)
			require.Error(t, err)
			assert.Nil(t, p)
			var pe *jsonpath.ParseError
			require.True(t, errors.As(err, &pe))
			assert.ErrorIs(t, err, jsonpath.ErrSyntax)
			assert.Equal(t, tc.path, pe.Path)
			assert.Equal(t, tc.pos, pe.Pos, pe.Msg)
			assert.Contains(t, pe.Msg, tc.msg)
			assert.Contains(t, err.Error(), "invalid JSONPath")
		})
	}
}

func TestMustParse(t *testing.T) {
	assert.Equal(t, "$.a", jsonpath.MustParse("$.a").String())
	assert.Panics(t, func() { jsonpath.MustParse("$") })
}

func TestLocationFormats(t *testing.T) {
	tests := []struct {
		loc     jsonpath.Location
		str     string
		pointer string
	}{
		{nil, ".", ""},
		{jsonpath.Location{{Key: "spec"}, {Key: "ports"}, {Index: 0, IsIndex: true}, {Key: "nodePort"}}, ".spec.ports[0].nodePort", "/spec/ports/0/nodePort"},
		{jsonpath.Location{{Key: "metadata"}, {Key: "annotations"}, {Key: "example.com/x~y"}}, `.metadata.annotations["example.com/x~y"]`, "/metadata/annotations/example.com~1x~0y"},
		{jsonpath.Location{{Key: ""}, {Key: "1a"}, {Key: "a-b"}, {Key: `q"`}}, `[""]["1a"]["a-b"]["q\""]`, `//1a/a-b/q"`},
		{jsonpath.Location{{Key: "é"}}, `["é"]`, "/é"},
	}
	for _, tc := range tests {
		t.Run(tc.str, func(t *testing.T) {
			assert.Equal(t, tc.str, tc.loc.String())
			assert.Equal(t, tc.pointer, tc.loc.Pointer())
		})
	}
	t.Run("Child copies", func(t *testing.T) {
		base := make(jsonpath.Location, 1, 4)
		base[0] = jsonpath.Step{Key: "a"}
		x := base.Child(jsonpath.Step{Key: "x"})
		y := base.Child(jsonpath.Step{Key: "y"})
		assert.Equal(t, ".a.x", x.String())
		assert.Equal(t, ".a.y", y.String())
		assert.Equal(t, ".a", base.String())
	})
}

func TestNames(t *testing.T) {
	for text, want := range map[string]jsonpath.Location{
		"$.spec.replicas":                    {{Key: "spec"}, {Key: "replicas"}},
		"$.metadata.labels['example.com/a']": {{Key: "metadata"}, {Key: "labels"}, {Key: "example.com/a"}},
		"$.spec.containers[0].image":         nil,
		"$.spec.containers[*].image":         nil,
		"$.spec.containers[?@.name=='a']":    nil,
	} {
		p, err := jsonpath.Parse(text)
		require.NoError(t, err, text)
		loc, ok := p.Names()
		assert.Equal(t, want != nil, ok, text)
		assert.Equal(t, want, loc, text)
		if ok {
			// The one target of a names-only path, with or without the members it creates.
			assert.Equal(t, []jsonpath.Target{{Location: loc}}, p.Targets(map[string]any{}, true), text)
		}
	}
}
