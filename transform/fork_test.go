package transform

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform/jsonpath"
)

func TestForkLeavesParentUntouched(t *testing.T) {
	base := map[string]any{"spec": map[string]any{"replicas": int64(1), "x": map[string]any{"y": "z"}}}
	parent := NewObject(base)
	parent.SetBy("first")
	_, err := parent.Set(jsonpath.MustParse("$.spec.replicas"), int64(2))
	require.NoError(t, err)
	before := DeepCopyValue(parent.Root())

	fork := parent.Fork()
	fork.SetBy("second")
	_, err = fork.Set(jsonpath.MustParse("$.spec.replicas"), int64(3))
	require.NoError(t, err)
	_, err = fork.Set(jsonpath.MustParse("$.spec.x.y"), "w")
	require.NoError(t, err)

	assert.Equal(t, before, parent.Root(), "the parent's tree is a frozen snapshot while the fork is written")
	assert.Len(t, parent.Trace(), 1)
	assert.Equal(t, int64(1), base["spec"].(map[string]any)["replicas"], "the base is never modified")
}

func TestAdoptKeepsForkWritesAndTrace(t *testing.T) {
	base := map[string]any{"spec": map[string]any{"replicas": int64(1)}}
	parent := NewObject(base)
	fork := parent.Fork()
	fork.SetBy("rule r: spec.actions[0]")
	_, err := fork.Set(jsonpath.MustParse("$.spec.replicas"), int64(3))
	require.NoError(t, err)
	parent.Adopt(fork)

	assert.Equal(t, int64(3), parent.Root()["spec"].(map[string]any)["replicas"])
	require.Len(t, parent.Trace(), 1)
	assert.Equal(t, "rule r: spec.actions[0]", parent.Trace()[0].By)

	// Later writes on the parent edit its (adopted) private copy in place, never the base.
	spec := parent.Root()["spec"].(map[string]any)
	parent.SetBy("after")
	_, err = parent.Set(jsonpath.MustParse("$.spec.paused"), true)
	require.NoError(t, err)
	assert.Equal(t, true, spec["paused"], "the adopted copy is owned: no second copy")
	assert.NotContains(t, base["spec"].(map[string]any), "paused")
}

func TestAdoptOfUnwrittenForkChangesNothing(t *testing.T) {
	base := map[string]any{"a": "b"}
	parent := NewObject(base)
	parent.Adopt(parent.Fork())
	assert.Empty(t, parent.Trace())
	assert.Equal(t, base, parent.Root())
}

func TestDroppedForkDiscardsWrites(t *testing.T) {
	parent := NewObject(map[string]any{"a": map[string]any{"b": "c"}})
	fork := parent.Fork()
	_, err := fork.Set(jsonpath.MustParse("$.a.b"), "changed")
	require.NoError(t, err)
	assert.Equal(t, "c", parent.Root()["a"].(map[string]any)["b"])
	assert.Empty(t, parent.Trace())
}
