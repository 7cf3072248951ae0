package transform_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

func TestCombinators(t *testing.T) {
	var order []string
	step := func(name string, err error) transform.Transform {
		return transform.Func(func(*transform.Env, *transform.Object) error {
			order = append(order, name)
			return err
		})
	}
	boom := errors.New("boom")
	err := transform.Chain(step("a", nil), step("b", boom), step("c", nil)).Transform(&transform.Env{}, transform.NewObject(nil))
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, []string{"a", "b"}, order, "Chain stops at the first error")

	tests := []struct {
		apiVersion, kind string
		want             bool
	}{
		{"v1", "Service", true},
		{"serving.knative.dev/v1", "Service", false},
		{"v1", "service", false},
		{"", "Service", false},
	}
	for _, tc := range tests {
		order = nil
		obj := transform.NewObject(map[string]any{"apiVersion": tc.apiVersion, "kind": tc.kind})
		require.NoError(t, transform.When(transform.ForGVK("v1", "Service"), step("x", nil)).Transform(&transform.Env{}, obj))
		assert.Equal(t, tc.want, len(order) == 1, "%s %s", tc.apiVersion, tc.kind)
	}
	assert.False(t, transform.ForGVK("v1", "Service")(transform.NewObject(map[string]any{"apiVersion": 1, "kind": nil})))
}

func TestRenderErrorFormat(t *testing.T) {
	cause := errors.New("cause")
	tests := []struct {
		err  transform.RenderError
		want string
	}{
		{transform.RenderError{WEC: "w", Object: transform.ObjectRef{Kind: "Pod", Namespace: "ns", Name: "p"}, By: "s", Path: ".a", Err: cause}, "wec w: Pod ns/p: s: .a: cause"},
		{transform.RenderError{Object: transform.ObjectRef{Kind: "Pod", Namespace: "ns", Name: "p"}, Err: cause}, "Pod ns/p: cause"},
		{transform.RenderError{Object: transform.ObjectRef{Group: "apps", Kind: "Deployment", Name: "d"}}, "Deployment.apps d"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, tc.err.Error())
	}
	re := &transform.RenderError{Err: cause}
	assert.ErrorIs(t, re, cause)
	assert.ErrorIs(t, re, transform.ErrRender)
	pe := &transform.PathError{Path: ".x", Err: cause}
	assert.Equal(t, ".x: cause", pe.Error())
	assert.ErrorIs(t, pe, cause)
}

func TestObjectRef(t *testing.T) {
	ref := transform.RefOf(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"namespace": "ns", "generateName": "web-"}})
	assert.Equal(t, transform.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "ns", Name: "web-"}, ref)
	assert.Equal(t, "Deployment.apps ns/web-", ref.String())
	assert.Equal(t, "Namespace shop", transform.RefOf(map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "shop"}}).String())

	refs := []transform.ObjectRef{
		{Group: "", Kind: "Service", Namespace: "a", Name: "x"},
		{Group: "apps", Kind: "Deployment", Namespace: "a", Name: "x"},
		{Group: "apps", Kind: "Deployment", Namespace: "b", Name: "a"},
		{Group: "apps", Kind: "Deployment", Namespace: "b", Name: "b"},
		{Group: "apps", Kind: "StatefulSet", Namespace: "a", Name: "a"},
	}
	for i := range refs {
		for j := range refs {
			assert.Equal(t, i < j, refs[i].Less(refs[j]), "%v < %v", refs[i], refs[j])
		}
	}
}

func TestTrace(t *testing.T) {
	var nilTrace transform.Trace
	js, err := json.Marshal(nilTrace)
	require.NoError(t, err)
	assert.Equal(t, "[]", string(js))

	tr := transform.Trace{
		{Path: ".a", Kind: transform.ChangeAdd, New: 1},
		{Path: ".b", Kind: transform.ChangeNoop, Message: "nothing matched"},
		{Path: ".a", Kind: transform.ChangeSet, Old: 1, New: 2},
		{Path: ".c", Kind: transform.ChangeRemove, Old: "x"},
	}
	assert.Equal(t, []string{".a", ".c"}, tr.Paths())
	js, err = json.Marshal(tr[1:2])
	require.NoError(t, err)
	assert.JSONEq(t, `[{"path":".b","by":"","kind":"noop","old":null,"new":null,"message":"nothing matched"}]`, string(js))
}

func TestObjectNoteAndSetBy(t *testing.T) {
	o := transform.NewObject(map[string]any{"a": map[string]any{}})
	assert.Equal(t, "", o.SetBy("first"))
	assert.Equal(t, "first", o.SetBy("second"))
	assert.Equal(t, "second", o.By())
	o.Note(".a[?]", "no item matched")
	require.Len(t, o.Trace(), 1)
	assert.Equal(t, transform.Change{Path: ".a[?]", By: "second", Kind: transform.ChangeNoop, Message: "no item matched"}, o.Trace()[0])
}

func TestSetValues(t *testing.T) {
	t.Run("int and float of the same number are different writes", func(t *testing.T) {
		o := transform.NewObject(map[string]any{"n": int64(3)})
		_, err := o.Set(jsonpath.MustParse("$.n"), int64(3))
		require.NoError(t, err)
		assert.Empty(t, o.Trace(), "equal value: no change")
		_, err = o.Set(jsonpath.MustParse("$.n"), float64(3))
		require.NoError(t, err)
		assert.Len(t, o.Trace(), 1, "3 and 3.0 serialise differently")
	})
	t.Run("one value set at several places is copied", func(t *testing.T) {
		base := map[string]any{"items": []any{map[string]any{}, map[string]any{}}}
		o := transform.NewObject(base)
		n, err := o.Set(jsonpath.MustParse("$.items[*].res"), map[string]any{"cpu": "1"})
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		items := o.Root()["items"].([]any)
		items[0].(map[string]any)["res"].(map[string]any)["cpu"] = "2"
		assert.Equal(t, "1", items[1].(map[string]any)["res"].(map[string]any)["cpu"])
		assert.Equal(t, map[string]any{"items": []any{map[string]any{}, map[string]any{}}}, base)
	})
	t.Run("SetAt the root", func(t *testing.T) {
		o := transform.NewObject(nil)
		require.Error(t, o.SetAt(nil, "x"))
		require.NoError(t, o.SetAt(nil, map[string]any{"a": 1}))
		assert.Equal(t, map[string]any{"a": 1}, o.Root())
		assert.False(t, o.RemoveAt(nil), "the root cannot be removed")
	})
	t.Run("Get", func(t *testing.T) {
		o := transform.NewObject(map[string]any{"l": []any{"x"}, "m": map[string]any{"k": nil}})
		for _, tc := range []struct {
			loc jsonpath.Location
			ok  bool
		}{
			{jsonpath.Location{{Key: "l"}, {Index: 0, IsIndex: true}}, true},
			{jsonpath.Location{{Key: "l"}, {Index: 1, IsIndex: true}}, false},
			{jsonpath.Location{{Key: "l"}, {Key: "x"}}, false},
			{jsonpath.Location{{Key: "m"}, {Index: 0, IsIndex: true}}, false},
			{jsonpath.Location{{Key: "m"}, {Key: "k"}}, true},
			{jsonpath.Location{{Key: "m"}, {Key: "k"}, {Key: "deeper"}}, false},
		} {
			_, ok := o.Get(tc.loc)
			assert.Equal(t, tc.ok, ok, tc.loc.String())
		}
	})
	t.Run("DeepCopyValue", func(t *testing.T) {
		in := map[string]any{"l": []any{map[string]any{"a": "b"}}, "s": map[string]string{"x": "y"}}
		cp := transform.DeepCopyValue(in).(map[string]any)
		cp["l"].([]any)[0].(map[string]any)["a"] = "changed"
		cp["s"].(map[string]string)["x"] = "changed"
		assert.Equal(t, "b", in["l"].([]any)[0].(map[string]any)["a"])
		assert.Equal(t, "y", in["s"].(map[string]string)["x"])
	})
}
