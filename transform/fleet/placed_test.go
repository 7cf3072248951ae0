package fleet_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/fleet"
	"github.com/wecforge/wecforge/transform/kubestellar"
)

// withStatus is a ConfigMap carrying what the WEC-independent stages remove: status,
// resourceVersion and managedFields.
func withStatus(rv string, ready bool, data string) *unstructured.Unstructured {
	u := object("web", false)
	u.SetResourceVersion(rv)
	u.Object["data"] = map[string]any{"k": data}
	u.Object["status"] = map[string]any{"ready": ready}
	u.Object["metadata"].(map[string]any)["managedFields"] = []any{map[string]any{"manager": "kubectl-" + rv}}
	return u
}

// TestRendererStatusOnlyUpdateRendersNothing: an object placed on 50 WECs whose status,
// resourceVersion and managedFields change is prepared again, found the same, and rendered for
// no WEC; a data change renders all 50 pairs.
func TestRendererStatusOnlyUpdateRendersNothing(t *testing.T) {
	ctx := context.Background()
	p, _, err := kubestellar.NewPipeline(kubestellar.Options{LiteralTemplates: true})
	require.NoError(t, err)
	r := fleet.New(p)
	for i := range 50 {
		r.SetWEC(ctx, wec(t, fmt.Sprintf("w%02d", i), nil))
	}
	st, err := r.SetObjects(ctx, []*unstructured.Unstructured{withStatus("1", false, "a")})
	require.NoError(t, err)
	require.Equal(t, 50, st.Rendered)

	st, err = r.SetObjects(ctx, []*unstructured.Unstructured{withStatus("2", true, "a")})
	require.NoError(t, err)
	assert.Equal(t, 1, st.Prepared, "the changed object is prepared again")
	assert.Equal(t, 1, st.Unchanged)
	assert.Equal(t, 0, st.Rendered, "a status-only update renders nothing")
	assert.Empty(t, st.Changed)

	st, err = r.SetObjects(ctx, []*unstructured.Unstructured{withStatus("3", true, "b")})
	require.NoError(t, err)
	assert.Equal(t, 0, st.Unchanged)
	assert.Equal(t, 50, st.Rendered, "a data change renders every pair")
	assert.Len(t, st.Changed, 50)
	assert.Equal(t, "b", r.Results("w07")[0].Object.Object["data"].(map[string]any)["k"])
}

// TestRendererPlacement: only placed pairs are rendered and have results; a new placement
// drops and renders exactly the pairs it changes, and later updates respect it.
func TestRendererPlacement(t *testing.T) {
	ctx := context.Background()
	r := fleet.New(transform.NewPipeline(nil, []transform.Stage{regionStage}))
	for _, n := range []string{"w1", "w2", "w3"} {
		r.SetWEC(ctx, wec(t, n, map[string]string{"region": n}))
	}
	_, err := r.SetObjects(ctx, []*unstructured.Unstructured{object("a", true), object("b", false)})
	require.NoError(t, err)
	require.Len(t, r.Results("w3"), 2)

	// a on w1 only; b on w1 and w2.
	place := map[string]bool{"w1/a": true, "w1/b": true, "w2/b": true}
	var calls int
	st := r.SetPlacement(ctx, func(w string, ref transform.ObjectRef) bool {
		calls++
		return place[w+"/"+ref.Name]
	})
	assert.Equal(t, 6, calls)
	assert.Equal(t, 0, st.Rendered, "every placed pair was already rendered")
	assert.Equal(t, 3, st.Dropped, "w2/a, w3/a, w3/b")
	assert.Equal(t, []string{"w2", "w3"}, st.Changed)
	assert.Len(t, r.Results("w1"), 2)
	assert.Len(t, r.Results("w2"), 1)
	assert.Empty(t, r.Results("w3"))

	// A changed object renders only where it is placed.
	a := object("a", true)
	a.Object["data"] = map[string]any{"x": "1"}
	st, err = r.SetObjects(ctx, []*unstructured.Unstructured{a, object("b", false)})
	require.NoError(t, err)
	assert.Equal(t, 1, st.Rendered)
	assert.Equal(t, []string{"w1"}, st.Changed)

	// A new WEC renders only its placed objects: none yet, then b once a placement says so.
	st = r.SetWEC(ctx, wec(t, "w4", nil))
	assert.Equal(t, 0, st.Rendered)
	next := map[string]bool{"w1/a": true, "w1/b": true, "w2/b": true, "w4/b": true}
	st = r.SetPlacement(ctx, func(w string, ref transform.ObjectRef) bool { return next[w+"/"+ref.Name] })
	assert.Equal(t, 1, st.Rendered)
	assert.Equal(t, 0, st.Dropped)
	assert.Equal(t, []string{"w4"}, st.Changed)

	// nil places everything again.
	st = r.SetPlacement(ctx, nil)
	assert.Equal(t, 8-4, st.Rendered, "w2/a, w3/a, w3/b, w4/a")
}

// TestRendererLastGood: a pair that starts failing keeps its last successful object until it
// renders again; a pair that never succeeded has none.
func TestRendererLastGood(t *testing.T) {
	ctx := context.Background()
	r := fleet.New(transform.NewPipeline(nil, []transform.Stage{regionStage}))
	r.SetWEC(ctx, wec(t, "w1", map[string]string{"region": "east"}))
	r.SetWEC(ctx, wec(t, "w2", nil))
	_, err := r.SetObjects(ctx, []*unstructured.Unstructured{object("a", true)})
	require.NoError(t, err)
	ref := transform.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "a"}
	_, ok := r.LastGood("w2", ref)
	assert.False(t, ok, "w2 never rendered a")
	_, ok = r.LastGood("w1", ref)
	assert.False(t, ok, "w1 renders a fine")

	r.SetWEC(ctx, wec(t, "w1", map[string]string{"region": "x"}))
	r.SetWEC(ctx, wec(t, "w1", nil)) // the property is gone: a fails on w1
	require.Error(t, r.Results("w1")[0].Err)
	got, ok := r.LastGood("w1", ref)
	require.True(t, ok)
	assert.Equal(t, "x", got.GetLabels()["region"], "the last success, not the first")

	// Failing again keeps the same last good object.
	b := object("a", true)
	b.SetAnnotations(map[string]string{"n": "2"})
	_, err = r.SetObjects(ctx, []*unstructured.Unstructured{b})
	require.NoError(t, err)
	got, ok = r.LastGood("w1", ref)
	require.True(t, ok)
	assert.Equal(t, "x", got.GetLabels()["region"])

	r.SetWEC(ctx, wec(t, "w1", map[string]string{"region": "west"}))
	_, ok = r.LastGood("w1", ref)
	assert.False(t, ok, "rendering again forgets it")
	r.SetWEC(ctx, wec(t, "w1", nil))
	_, ok = r.LastGood("w1", ref)
	assert.True(t, ok)
	r.DeleteWEC("w1")
	_, ok = r.LastGood("w1", ref)
	assert.False(t, ok, "a deleted WEC keeps nothing")
}

func TestRendererHas(t *testing.T) {
	ctx := context.Background()
	r := fleet.New(transform.NewPipeline(nil, []transform.Stage{regionStage}))
	assert.False(t, r.Has("w1"))
	r.SetWEC(ctx, wec(t, "w1", nil))
	assert.True(t, r.Has("w1"))
	assert.False(t, r.Has("w2"))
	r.DeleteWEC("w1")
	assert.False(t, r.Has("w1"), "a removed WEC is gone")
}
