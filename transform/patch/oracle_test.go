package patch_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/patch"
)

// testOp is one decoded RFC 6902 operation.
type testOp struct {
	op         string
	path, from patch.Pointer
	value      any
}

// decodeOps decodes an RFC 6902 document as strictly as the rules package's jsonPatch action
// does: known members only, string ops and pointers, from and value exactly where the op
// takes them, no move into the moved value's own child.
func decodeOps(patchJSON string) ([]testOp, error) {
	var raw []map[string]any
	if err := json.Unmarshal([]byte(patchJSON), &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("empty patch")
	}
	out := make([]testOp, 0, len(raw))
	for i, m := range raw {
		for k := range m {
			if !slices.Contains([]string{"op", "path", "from", "value"}, k) {
				return nil, fmt.Errorf("[%d]: unknown member %q", i, k)
			}
		}
		ptr := func(key string) (patch.Pointer, error) {
			s, ok := m[key].(string)
			if !ok {
				return patch.Pointer{}, fmt.Errorf("[%d].%s: not a string", i, key)
			}
			return patch.ParsePointer(s)
		}
		var o testOp
		var err error
		o.op, _ = m["op"].(string)
		if !slices.Contains([]string{"add", "remove", "replace", "move", "copy", "test"}, o.op) {
			return nil, fmt.Errorf("[%d]: unknown op %q", i, o.op)
		}
		if o.path, err = ptr("path"); err != nil {
			return nil, err
		}
		_, hasFrom := m["from"]
		v, hasValue := m["value"]
		switch o.op {
		case "move", "copy":
			if hasValue {
				return nil, fmt.Errorf("[%d]: %s takes from, not a value", i, o.op)
			}
			if o.from, err = ptr("from"); err != nil {
				return nil, err
			}
			if o.op == "move" && o.from.IsAncestorOf(o.path) {
				return nil, fmt.Errorf("[%d]: cannot move %s into its own child %s", i, o.from, o.path)
			}
		case "remove":
			if hasFrom || hasValue {
				return nil, fmt.Errorf("[%d]: remove takes only a path", i)
			}
		default:
			if hasFrom || !hasValue {
				return nil, fmt.Errorf("[%d]: %s takes a value and no from", i, o.op)
			}
			if o.value, err = patch.Normalize(v); err != nil {
				return nil, err
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// applyOps applies ops to a JSON document and requires that the document it started from was
// not modified (the Object writes copy-on-write).
func applyOps(t testing.TB, ops []testOp, docJSON string) (string, error) {
	t.Helper()
	var root map[string]any
	require.NoError(t, json.Unmarshal([]byte(docJSON), &root))
	frozen := transform.DeepCopyValue(root)
	obj := transform.NewObject(root)
	err := func() error {
		for _, o := range ops {
			var err error
			switch o.op {
			case "add":
				err = patch.Add(obj, o.path, transform.DeepCopyValue(o.value))
			case "remove":
				err = patch.Remove(obj, o.path)
			case "replace":
				err = patch.Replace(obj, o.path, transform.DeepCopyValue(o.value))
			case "move":
				err = patch.Move(obj, o.from, o.path)
			case "copy":
				err = patch.Copy(obj, o.from, o.path)
			case "test":
				err = patch.Test(obj, o.path, o.value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}()
	return result(t, frozen, root, obj, err)
}

// result checks that applying left the base tree alone and returns the patched document as
// JSON, or the error.
func result(t testing.TB, frozen any, root map[string]any, obj *transform.Object, err error) (string, error) {
	t.Helper()
	require.Equal(t, frozen, any(root), "the base tree was modified")
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(obj.Root())
	require.NoError(t, err)
	return string(b), nil
}

// applyPatch decodes and applies patchJSON.
func applyPatch(t testing.TB, patchJSON, docJSON string) (string, error) {
	t.Helper()
	ops, err := decodeOps(patchJSON)
	require.NoError(t, err)
	return applyOps(t, ops, docJSON)
}

// applyMerge applies the merge patch patchJSON at the root of docJSON.
func applyMerge(t testing.TB, patchJSON, docJSON string) (string, error) {
	t.Helper()
	var p map[string]any
	require.NoError(t, json.Unmarshal([]byte(patchJSON), &p))
	np, err := patch.Normalize(p)
	require.NoError(t, err)
	var root map[string]any
	require.NoError(t, json.Unmarshal([]byte(docJSON), &root))
	frozen := transform.DeepCopyValue(root)
	obj := transform.NewObject(root)
	err = patch.Merge(obj, nil, np.(map[string]any))
	return result(t, frozen, root, obj, err)
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
	ops, cerr := decodeOps(patchJSON)
	p, derr := jsonpatch.DecodePatch([]byte(patchJSON))
	if cerr != nil {
		// We reject when decoding what the oracle may only reject (or accept) at apply time;
		// an invalid patch must at least not be one the oracle applies cleanly to everything.
		return
	}
	require.NoError(t, derr, "we decoded a patch the oracle cannot decode: %s", patchJSON)
	got, err := applyOps(t, ops, docJSON)
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
			got, err := applyMerge(t, p, doc)
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
	_, err := applyPatch(t, `[{"op":"add","path":"/a/c/01","value":9}]`, doc)
	require.ErrorIs(t, err, patch.ErrFailed)
	assert.EqualError(t, err, `patch failed: /a/c/01: cannot insert at "01" (the list has 3 items)`)

	_, err = applyPatch(t, `[{"op":"test","path":"/a/b","value":1.0}]`, doc)
	require.NoError(t, err, "1 and 1.0 are numerically equal")

	got, err := applyMerge(t, `{"z":{"er":[null,{"k":null}]}}`, doc)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{"b":1,"c":[1,2,3]},"z":{"er":[null,{"k":null}]}}`, got)
}

func TestEmptyTokens(t *testing.T) {
	got, err := applyPatch(t, `[{"op":"remove","path":"//"},{"op":"add","path":"/","value":1}]`, `{"":{"":{}}}`)
	require.NoError(t, err)
	assert.JSONEq(t, `{"":1}`, got)
}

func TestCopyDoesNotAlias(t *testing.T) {
	// After copy, writing below one place must not change the other.
	got, err := applyPatch(t, `[{"op":"copy","from":"/a","path":"/b"},{"op":"add","path":"/b/x","value":1},{"op":"add","path":"/a/y","value":2}]`, `{"a":{"k":"v"}}`)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{"k":"v","y":2},"b":{"k":"v","x":1}}`, got)
}

func TestErrors(t *testing.T) {
	doc := `{"a":{"b":1,"c":[1,2,3]},"s":"x"}`
	tests := []struct {
		reason, patch string
		is            error
		want          string
	}{
		{"a missing parent names the first missing token", `[{"op":"add","path":"/x/y/z","value":1}]`,
			patch.ErrFailed, `patch failed: /x: no member "x"`},
		{"remove needs the member", `[{"op":"remove","path":"/a/zz"}]`,
			patch.ErrFailed, `patch failed: /a/zz: no member "zz"`},
		{"list indexes are checked", `[{"op":"replace","path":"/a/c/3","value":1}]`,
			patch.ErrFailed, `patch failed: /a/c/3: index 3 is out of range (the list has 3 items)`},
		{"a scalar has no children", `[{"op":"add","path":"/s/t/u","value":1}]`,
			patch.ErrFailed, `patch failed: /s/t: cannot descend into a string`},
		{"add under a scalar", `[{"op":"add","path":"/s/t","value":1}]`,
			patch.ErrFailed, `patch failed: /s/t: the parent is a string, not a map or list`},
		{"move names from", `[{"op":"move","from":"/nope","path":"/x"}]`,
			patch.ErrFailed, `from: patch failed: /nope: no member "nope"`},
		{"test shows both values", `[{"op":"test","path":"/s","value":"y"}]`,
			patch.ErrTestFailed, `test operation failed: the value is "x", not "y"`},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			_, err := applyPatch(t, tc.patch, doc)
			require.ErrorIs(t, err, tc.is)
			assert.EqualError(t, err, tc.want)
		})
	}
}

func TestZeroPointerIsRejected(t *testing.T) {
	obj := transform.NewObject(map[string]any{"a": int64(1)})
	var zero patch.Pointer
	for name, err := range map[string]error{
		"add":     patch.Add(obj, zero, int64(2)),
		"remove":  patch.Remove(obj, zero),
		"replace": patch.Replace(obj, zero, int64(2)),
		"move":    patch.Move(obj, zero, zero),
		"copy":    patch.Copy(obj, zero, zero),
		"test":    patch.Test(obj, zero, int64(1)),
	} {
		assert.ErrorIs(t, err, patch.ErrFailed, name)
	}
	assert.Equal(t, map[string]any{"a": int64(1)}, obj.Root())
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
