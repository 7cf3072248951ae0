package transform_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

func baseTree() map[string]any {
	return map[string]any{
		"metadata": map[string]any{"name": "web", "labels": map[string]any{"app": "web"}},
		"spec": map[string]any{
			"containers": []any{
				map[string]any{"name": "app", "image": "nginx"},
				map[string]any{"name": "side", "image": "busybox"},
			},
		},
	}
}

func TestObjectCopyOnWrite(t *testing.T) {
	base := baseTree()
	want := baseTree()
	o := transform.NewObject(base)
	o.SetBy("test")

	n, err := o.Set(jsonpath.MustParse("$.spec.containers[?@.name=='app'].image"), "nginx:2")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = o.Set(jsonpath.MustParse("$.metadata.annotations.note"), "hi")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, o.Remove(jsonpath.MustParse("$.spec.containers[1]")))
	assert.Equal(t, 0, o.Remove(jsonpath.MustParse("$.spec.absent")))

	assert.Equal(t, want, base, "the base must never change")
	root := o.Root()
	assert.Equal(t, []any{map[string]any{"name": "app", "image": "nginx:2"}}, root["spec"].(map[string]any)["containers"])
	assert.Equal(t, map[string]any{"note": "hi"}, root["metadata"].(map[string]any)["annotations"])
	// Untouched subtrees are shared, not copied.
	assert.Equal(t, "web", root["metadata"].(map[string]any)["labels"].(map[string]any)["app"])

	var paths []string
	for _, c := range o.Trace() {
		paths = append(paths, string(c.Kind)+" "+c.Path)
	}
	assert.Equal(t, []string{
		"set .spec.containers[0].image",
		"add .metadata.annotations",
		"add .metadata.annotations.note",
		"remove .spec.containers[1]",
	}, paths)
}

func TestObjectSetThroughScalarFails(t *testing.T) {
	o := transform.NewObject(map[string]any{"spec": "oops"})
	_, err := o.Set(jsonpath.MustParse("$.spec.replicas"), int64(2))
	require.Error(t, err)
	assert.Contains(t, err.Error(), ".spec is a string")
}

func TestSetAtPathRecordsTheGivenPath(t *testing.T) {
	loc := jsonpath.Location{{Key: "spec"}, {Key: "containers"}, {Index: 1, IsIndex: true}, {Key: "image"}}
	a, b := transform.NewObject(baseTree()), transform.NewObject(baseTree())
	assert.False(t, a.Modified())
	require.NoError(t, a.SetAt(loc, "envoy"))
	require.NoError(t, b.SetAtPath(loc, loc.String(), "envoy"))
	assert.True(t, a.Modified())
	assert.Equal(t, a.Root(), b.Root())
	assert.Equal(t, a.Trace(), b.Trace())
	assert.Equal(t, ".spec.containers[1].image", b.Trace()[0].Path)
}
