package fleet_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/fleet"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// regionStage copies property "region" into a label, but only for objects labelled
// uses-region=yes, and records what it read.
var regionStage = transform.Named("region", transform.Func(func(env *transform.Env, obj *transform.Object) error {
	labels, _ := obj.Root()["metadata"].(map[string]any)["labels"].(map[string]any)
	if labels["uses-region"] != "yes" {
		return nil
	}
	env.Deps.AddProperty("region")
	v, ok := env.WEC.Lookup("region")
	if !ok {
		return fmt.Errorf("no region")
	}
	_, err := obj.Set(jsonpath.MustParse("$.metadata.labels.region"), v)
	return err
}))

func object(name string, usesRegion bool) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("ConfigMap")
	u.SetNamespace("ns")
	u.SetName(name)
	if usesRegion {
		u.SetLabels(map[string]string{"uses-region": "yes"})
	}
	return u
}

func wec(t *testing.T, name string, labels map[string]string) *customization.WEC {
	t.Helper()
	w, err := customization.New(name, labels, nil, nil)
	require.NoError(t, err)
	return w
}

func TestRendererReRendersOnlyAffectedPairs(t *testing.T) {
	ctx := context.Background()
	r := fleet.New(transform.NewPipeline(nil, []transform.Stage{regionStage}))
	st, err := r.SetObjects(ctx, []*unstructured.Unstructured{object("a", true), object("b", false), object("c", false)})
	require.NoError(t, err)
	assert.Equal(t, 3, st.Prepared)
	assert.Equal(t, 0, st.Rendered, "no WEC yet")

	for i := range 4 {
		st = r.SetWEC(ctx, wec(t, fmt.Sprintf("w%d", i), map[string]string{"region": "east", "env": "prod"}))
		assert.Equal(t, 3, st.Rendered)
	}

	// A label nobody read: nothing to do.
	st = r.SetWEC(ctx, wec(t, "w1", map[string]string{"region": "east", "env": "dev"}))
	assert.Equal(t, 0, st.Rendered)
	assert.Equal(t, 3, st.Skipped)
	assert.Empty(t, st.Changed)

	// The property object a reads: exactly one pair.
	st = r.SetWEC(ctx, wec(t, "w1", map[string]string{"region": "west", "env": "dev"}))
	assert.Equal(t, 1, st.Rendered)
	assert.Equal(t, []string{"w1"}, st.Changed)
	res := r.Results("w1")
	require.Len(t, res, 3)
	assert.Equal(t, "a", res[0].Ref.Name)
	assert.Equal(t, "west", res[0].Object.GetLabels()["region"])

	// Removing the property makes the pair fail, and only that pair.
	st = r.SetWEC(ctx, wec(t, "w1", map[string]string{"env": "dev"}))
	assert.Equal(t, 1, st.Rendered)
	require.Error(t, r.Results("w1")[0].Err)
	require.NoError(t, r.Results("w2")[0].Err)

	// Objects: an unchanged set prepares nothing; a changed object re-renders for every WEC.
	st, err = r.SetObjects(ctx, []*unstructured.Unstructured{object("a", true), object("b", false), object("c", false)})
	require.NoError(t, err)
	assert.Zero(t, st.Prepared+st.Rendered)
	assert.Empty(t, st.Changed)
	st, err = r.SetObjects(ctx, []*unstructured.Unstructured{object("a", true), object("b", true)})
	require.NoError(t, err)
	assert.Equal(t, 1, st.Prepared)
	assert.Equal(t, 4, st.Rendered)
	assert.Len(t, r.Results("w0"), 2)
	assert.Equal(t, []string{"w0", "w1", "w2", "w3"}, st.Changed)

	assert.True(t, r.DeleteWEC("w3"))
	assert.Equal(t, []string{"w0", "w1", "w2"}, r.WECs())
	assert.Empty(t, r.Results("w3"))
}

// TestRendererPerObjectBudgetCountsCurrentVariants checks that the per-object budget
// (MaxBytesPerObject) bounds what an object's current variants hold: re-rendering one pair
// many times never exhausts it, while more WECs than it allows do.
func TestRendererPerObjectBudgetCountsCurrentVariants(t *testing.T) {
	ctx := context.Background()
	p := transform.NewPipeline(nil, []transform.Stage{regionStage}, transform.WithLimits(transform.Limits{MaxBytesPerObject: 100}))
	r := fleet.New(p)
	_, err := r.SetObjects(ctx, []*unstructured.Unstructured{object("a", true)})
	require.NoError(t, err)
	for i := range 3 {
		r.SetWEC(ctx, wec(t, fmt.Sprintf("w%d", i), map[string]string{"region": "east"}))
	}
	for i := range 50 {
		region := []string{"west", "east"}[i%2]
		st := r.SetWEC(ctx, wec(t, "w0", map[string]string{"region": region}))
		require.Equal(t, 1, st.Rendered)
		for _, name := range r.WECs() {
			for _, res := range r.Results(name) {
				require.NoError(t, res.Err, "re-render %d, WEC %s", i, name)
			}
		}
	}
	// Dropping WECs gives their share back too.
	require.True(t, r.DeleteWEC("w1"))
	require.True(t, r.DeleteWEC("w2"))

	var failed int
	for i := range 10 {
		name := fmt.Sprintf("x%d", i)
		r.SetWEC(ctx, wec(t, name, map[string]string{"region": "east"}))
		for _, res := range r.Results(name) {
			if res.Err != nil {
				var be *transform.BudgetError
				require.ErrorAs(t, res.Err, &be)
				assert.Equal(t, transform.LimitBytesPerObject, be.Kind)
				failed++
			}
		}
	}
	assert.Positive(t, failed, "11 current variants of ~16 bytes each exceed 100 bytes")
	assert.Less(t, failed, 10, "the variants released earlier left room for some")
}

// TestRendererCancelledContext checks that once ctx is done no pair is left with an empty
// result (which would read as "nothing to deliver"): every pair carries ctx's error.
func TestRendererCancelledContext(t *testing.T) {
	r := fleet.New(transform.NewPipeline(nil, []transform.Stage{regionStage}))
	objs := make([]*unstructured.Unstructured, 50)
	for i := range objs {
		objs[i] = object(fmt.Sprintf("o%02d", i), true)
	}
	_, err := r.SetObjects(context.Background(), objs)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.SetWEC(ctx, wec(t, "w", map[string]string{"region": "east"}))
	res := r.Results("w")
	require.Len(t, res, len(objs))
	for _, got := range res {
		require.ErrorIs(t, got.Err, context.Canceled, "%s", got.Ref)
		assert.Nil(t, got.Object)
		assert.Equal(t, "w", got.WEC)
	}
}
