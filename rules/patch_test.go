package rules

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

// compileAction compiles a rule with one action given as JSON and returns the action.
func compileAction(t testing.TB, kind, actionJSON string) (action, error) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(actionJSON), &v); err != nil {
		return nil, err
	}
	d := Document{Source: "t", Object: map[string]any{
		"apiVersion": APIVersion, "kind": Kind, "metadata": map[string]any{"name": "r"},
		"spec": map[string]any{"actions": []any{map[string]any{kind: v}}},
	}}
	s, err := Compile([]Document{d})
	if err != nil {
		return nil, err
	}
	return s.rules[0].actions[0], nil
}

// applyOurs applies a compiled action with literal values to a JSON document.
func applyOurs(t testing.TB, a action, docJSON string) (string, error) {
	t.Helper()
	var root map[string]any
	require.NoError(t, json.Unmarshal([]byte(docJSON), &root))
	frozen := transform.DeepCopyValue(root)
	obj := transform.NewObject(root)
	wec, werr := customization.New("w", nil, nil, nil)
	require.NoError(t, werr)
	env := &transform.Env{Context: context.Background(), WEC: wec, Deps: &customization.Dependencies{}}
	ev := &pairEval{ctx: env.Context, env: env, budget: DefaultCostLimit, limit: DefaultCostLimit}
	err := a.apply(ev, obj)
	require.Equal(t, frozen, any(root), "the base tree was modified")
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(obj.Root())
	require.NoError(t, err)
	return string(b), nil
}

var leadingZeroIndex = regexp.MustCompile(`/0[0-9]`)

func oracleOptions() *jsonpatch.ApplyOptions {
	o := jsonpatch.NewApplyOptions()
	o.SupportNegativeIndices = false
	o.EnsurePathExistsOnAdd = false
	o.AllowMissingPathOnRemove = false
	return o
}

// checkAgainstOracle applies patch with our implementation and with evanphx/json-patch and
// requires the same outcome: both fail, or both give equal documents.
func checkAgainstOracle(t testing.TB, docJSON, patchJSON string) {
	t.Helper()
	a, cerr := compileAction(t, "jsonPatch", patchJSON)
	p, derr := jsonpatch.DecodePatch([]byte(patchJSON))
	if cerr != nil {
		// We reject at compile time what the oracle may only reject (or accept) at apply time;
		// an invalid patch must at least not be one the oracle applies cleanly to everything.
		return
	}
	require.NoError(t, derr, "we compiled a patch the oracle cannot decode: %s", patchJSON)
	got, err := applyOurs(t, a, docJSON)
	want, werr := p.ApplyWithOptions([]byte(docJSON), oracleOptions())
	if strings.Contains(patchJSON, "//") || strings.Contains(patchJSON, `/"`) {
		// The oracle mishandles empty reference tokens ({"":{"":1}} minus "//" is unchanged
		// there); TestEmptyTokens pins our behaviour.
		return
	}
	if err != nil && werr == nil && leadingZeroIndex.MatchString(patchJSON) {
		return // the oracle accepts indexes with leading zeros, RFC 6901 does not
	}
	if err != nil && werr == nil && strings.Contains(err.Error(), "from: patch failed") && strings.Contains(err.Error(), "no member") {
		return // the oracle copies a missing "from" as null, RFC 6902 requires it to exist
	}
	if err == nil && werr != nil && strings.Contains(werr.Error(), "test failed") {
		return // the oracle compares numbers by their text, RFC 6902 by value
	}
	if werr != nil || err != nil {
		assert.Equal(t, werr != nil, err != nil, "doc %s patch %s: ours %v, oracle %v", docJSON, patchJSON, err, werr)
		return
	}
	assert.JSONEq(t, string(want), got, "doc %s patch %s", docJSON, patchJSON)
}

func TestJSONPatchMatchesOracle(t *testing.T) {
	doc := `{"a":{"b":1,"c":[1,2,3],"d":{"e":"f"}},"x~y":{"s/t":true},"n":null}`
	patches := []string{
		`[{"op":"add","path":"/a/new","value":{"k":[1,{"z":null}]}}]`,
		`[{"op":"add","path":"/a/b","value":2}]`,
		`[{"op":"add","path":"/a/c/0","value":0}]`,
		`[{"op":"add","path":"/a/c/3","value":4}]`,
		`[{"op":"add","path":"/a/c/-","value":9}]`,
		`[{"op":"add","path":"/a/c/4","value":9}]`,
		`[{"op":"add","path":"/missing/x","value":1}]`,
		`[{"op":"remove","path":"/a/c/1"}]`,
		`[{"op":"remove","path":"/a/c/3"}]`,
		`[{"op":"remove","path":"/a/zz"}]`,
		`[{"op":"remove","path":"/x~0y/s~1t"}]`,
		`[{"op":"replace","path":"/a/d/e","value":"g"}]`,
		`[{"op":"replace","path":"/a/d/zz","value":"g"}]`,
		`[{"op":"replace","path":"/n","value":{"m":1}}]`,
		`[{"op":"move","from":"/a/d","path":"/moved"}]`,
		`[{"op":"move","from":"/a/c/0","path":"/a/c/2"}]`,
		`[{"op":"move","from":"/a/c/2","path":"/a/c/0"}]`,
		`[{"op":"move","from":"/a/b","path":"/a/b"}]`,
		`[{"op":"move","from":"/nope","path":"/x"}]`,
		`[{"op":"copy","from":"/a/d","path":"/copied"},{"op":"replace","path":"/copied/e","value":"changed"}]`,
		`[{"op":"copy","from":"/a/c/1","path":"/a/c/-"}]`,
		`[{"op":"test","path":"/a/b","value":1}]`,
		`[{"op":"test","path":"/a/b","value":"1"}]`,
		`[{"op":"test","path":"/a/d","value":{"e":"f"}}]`,
		`[{"op":"test","path":"/n","value":null}]`,
		`[{"op":"test","path":"/a/c","value":[1,2]}]`,
		`[{"op":"add","path":"/a/c/1/x","value":1}]`,
		`[{"op":"add","path":"/a/b/x","value":1}]`,
		`[{"op":"add","path":"/","value":1}]`,
		`[{"op":"add","path":"/a/","value":1}]`,
		`[{"op":"remove","path":"/a/c/-"}]`,
		`[{"op":"add","path":"/a/c/-1","value":1}]`,
		`[{"op":"replace","path":"/a/c/1","value":[]},{"op":"add","path":"/a/c/1/0","value":"in"}]`,
	}
	for _, p := range patches {
		t.Run(p, func(t *testing.T) { checkAgainstOracle(t, doc, p) })
	}
}

func TestMergePatchMatchesOracle(t *testing.T) {
	doc := `{"a":{"b":1,"c":[1,2],"d":{"e":"f"}},"s":"x","n":null}`
	patches := []string{
		`{"a":{"b":2}}`,
		`{"a":{"b":null,"new":{"x":{"y":1}}}}`,
		`{"a":{"c":[3]}}`,
		`{"s":{"now":"a map","gone":null}}`,
		`{"n":{"k":null,"v":1}}`,
		`{"a":null}`,
		`{"a":{"d":{"e":null}}}`,
	}
	for _, p := range patches {
		t.Run(p, func(t *testing.T) {
			a, err := compileAction(t, "mergePatch", p)
			require.NoError(t, err)
			got, err := applyOurs(t, a, doc)
			require.NoError(t, err)
			want, err := jsonpatch.MergePatch([]byte(doc), []byte(p))
			require.NoError(t, err)
			assert.JSONEq(t, string(want), got)
		})
	}
}

// TestWhereTheOracleDeviatesFromTheRFCs pins our RFC behaviour where evanphx/json-patch is
// lenient or differs: RFC 6901 forbids leading zeros in array indexes, RFC 6902 compares
// numbers by value in "test", and RFC 7386 replaces arrays verbatim (nulls inside kept).
func TestWhereTheOracleDeviatesFromTheRFCs(t *testing.T) {
	doc := `{"a":{"b":1,"c":[1,2,3]}}`
	a, err := compileAction(t, "jsonPatch", `[{"op":"add","path":"/a/c/01","value":9}]`)
	require.NoError(t, err)
	_, err = applyOurs(t, a, doc)
	require.ErrorIs(t, err, ErrPatch)
	assert.EqualError(t, err, `spec.actions[0].jsonPatch[0]: patch failed: /a/c/01: cannot insert at "01" (the list has 3 items)`)

	a, err = compileAction(t, "jsonPatch", `[{"op":"test","path":"/a/b","value":1.0}]`)
	require.NoError(t, err)
	_, err = applyOurs(t, a, doc)
	require.NoError(t, err, "1 and 1.0 are numerically equal")

	a, err = compileAction(t, "mergePatch", `{"z":{"er":[null,{"k":null}]}}`)
	require.NoError(t, err)
	got, err := applyOurs(t, a, doc)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{"b":1,"c":[1,2,3]},"z":{"er":[null,{"k":null}]}}`, got)
}

func TestEmptyTokens(t *testing.T) {
	a, err := compileAction(t, "jsonPatch", `[{"op":"remove","path":"//"},{"op":"add","path":"/","value":1}]`)
	require.NoError(t, err)
	got, err := applyOurs(t, a, `{"":{"":{}}}`)
	require.NoError(t, err)
	assert.JSONEq(t, `{"":1}`, got)
}

func TestCopyDoesNotAlias(t *testing.T) {
	// After copy, writing below one place must not change the other.
	a, err := compileAction(t, "jsonPatch", `[{"op":"copy","from":"/a","path":"/b"},{"op":"add","path":"/b/x","value":1},{"op":"add","path":"/a/y","value":2}]`)
	require.NoError(t, err)
	got, err := applyOurs(t, a, `{"a":{"k":"v"}}`)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{"k":"v","y":2},"b":{"k":"v","x":1}}`, got)
}

func TestParsePointer(t *testing.T) {
	tests := []struct {
		in     string
		tokens []string
		off    int
		err    string
	}{
		{"/a/b", []string{"a", "b"}, 0, ""},
		{"/", []string{""}, 0, ""},
		{"/a~1b/c~0d", []string{"a/b", "c~d"}, 0, ""},
		{"/a//b", []string{"a", "", "b"}, 0, ""},
		{"", nil, 0, `the pointer "" is the whole object, which a patch may not replace`},
		{"a", nil, 0, `invalid JSON pointer "a": it must start with /`},
		{"/a~", nil, 2, `invalid JSON pointer "/a~" at position 2: ~ must be followed by 0 or 1`},
		{"/~2", nil, 1, `invalid JSON pointer "/~2" at position 1: ~ must be followed by 0 or 1`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, off, err := parsePointer(tc.in)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				assert.Equal(t, tc.off, off)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.tokens, p.tokens)
		})
	}
}

func FuzzJSONPatchOracle(f *testing.F) {
	f.Add(`{"a":{"b":[1,2]}}`, `[{"op":"add","path":"/a/b/1","value":5}]`)
	f.Add(`{"a":1}`, `[{"op":"move","from":"/a","path":"/b"}]`)
	f.Add(`{"a":[{"x":1}]}`, `[{"op":"copy","from":"/a/0","path":"/a/-"},{"op":"test","path":"/a/1/x","value":1}]`)
	f.Add(`{"a":{"~":{"/":2}}}`, `[{"op":"remove","path":"/a/~0/~1"}]`)
	f.Add(`{}`, `[{"op":"replace","path":"/a","value":null}]`)
	f.Fuzz(func(t *testing.T, doc, patch string) {
		var root map[string]any
		if json.Unmarshal([]byte(doc), &root) != nil || root == nil {
			return
		}
		var ops []map[string]any
		if json.Unmarshal([]byte(patch), &ops) != nil {
			return
		}
		checkAgainstOracle(t, doc, patch)
	})
}
