package rules

import (
	"context"
	"encoding/json"
	"testing"

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

// The engine's semantics are tested in package transform/patch; these tests cover what the
// actions add: field names in errors, literal values that stay private to the compiled rule,
// and the normalization of decoded documents.
func TestJSONPatchActionErrorsNameTheOperation(t *testing.T) {
	doc := `{"a":{"b":1,"c":[1,2,3]}}`
	tests := []struct {
		reason, patch string
		is            error
		want          string
	}{
		{"RFC 6901 forbids leading zeros", `[{"op":"add","path":"/a/c/01","value":9}]`,
			ErrPatch, `spec.actions[0].jsonPatch[0]: patch failed: /a/c/01: cannot insert at "01" (the list has 3 items)`},
		{"the failing operation's index", `[{"op":"test","path":"/a/b","value":1.0},{"op":"remove","path":"/a/zz"}]`,
			ErrPatch, `spec.actions[0].jsonPatch[1]: patch failed: /a/zz: no member "zz"`},
		{"test", `[{"op":"test","path":"/a/c","value":[1,2]}]`,
			ErrTestFailed, `spec.actions[0].jsonPatch[0]: test operation failed: the value is [1 2 3], not [1 2]`},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			a, err := compileAction(t, "jsonPatch", tc.patch)
			require.NoError(t, err)
			_, err = applyOurs(t, a, doc)
			require.ErrorIs(t, err, tc.is)
			assert.EqualError(t, err, tc.want)
			var ae *actionError
			require.ErrorAs(t, err, &ae)
			assert.NotEmpty(t, ae.path)
		})
	}
}

func TestJSONPatchActionLiteralsStayPrivate(t *testing.T) {
	// The second operation writes below the value the first added: the compiled literal must
	// not change, so every pair gets the same result.
	a, err := compileAction(t, "jsonPatch", `[{"op":"add","path":"/x","value":{"k":[1]}},{"op":"add","path":"/x/k/-","value":2},{"op":"add","path":"/x/j","value":3}]`)
	require.NoError(t, err)
	for range 2 {
		got, err := applyOurs(t, a, `{}`)
		require.NoError(t, err)
		assert.JSONEq(t, `{"x":{"k":[1,2],"j":3}}`, got)
	}
}

func TestJSONPatchActionPointerErrorsCarryOffsets(t *testing.T) {
	_, err := compileAction(t, "jsonPatch", `[{"op":"remove","path":"/a~2"}]`)
	require.Error(t, err)
	var ce *CompileError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "spec.actions[0].jsonPatch[0].path", ce.Field)
	assert.Equal(t, &Pos{Offset: 2}, ce.Pos)
}

func TestMergePatchAction(t *testing.T) {
	a, err := compileAction(t, "mergePatch", `{"a":{"b":null,"new":{"x":1}},"l":[null,{"k":null}]}`)
	require.NoError(t, err)
	for range 2 {
		got, err := applyOurs(t, a, `{"a":{"b":1,"c":2}}`)
		require.NoError(t, err)
		assert.JSONEq(t, `{"a":{"c":2,"new":{"x":1}},"l":[null,{"k":null}]}`, got)
	}
	assert.Equal(t, []string{".a.b", ".a.new.x", ".l"}, a.writes())
}
