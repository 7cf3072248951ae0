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
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// versionStage labels the objects named in only (every object when only is empty) v=version,
// per WEC, standing in for a CustomizationRule.
func versionStage(version string, only ...string) transform.Stage {
	return transform.Named("version", transform.Func(func(_ *transform.Env, obj *transform.Object) error {
		name, _ := obj.Root()["metadata"].(map[string]any)["name"].(string)
		if len(only) > 0 && !contains(only, name) {
			return nil
		}
		_, err := obj.Set(jsonpath.MustParse("$.metadata.labels.v"), version)
		return err
	}))
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func nameIs(names ...string) fleet.Affected {
	return func(obj map[string]any) bool {
		md, _ := obj["metadata"].(map[string]any)
		n, _ := md["name"].(string)
		return contains(names, n)
	}
}

// hundredObjects returns o0…o99.
func hundredObjects() []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	for i := range 100 {
		objs = append(objs, object(fmt.Sprintf("o%d", i), false))
	}
	return objs
}

func labelOf(t *testing.T, r *fleet.Renderer, wec, name string) string {
	t.Helper()
	for _, res := range r.Results(wec) {
		if res.Ref.Name == name {
			require.NoError(t, res.Err)
			return res.Object.GetLabels()["v"]
		}
	}
	t.Fatalf("no result for %s on %s", name, wec)
	return ""
}

func TestSetPipelineRendersOnlyAffectedObjects(t *testing.T) {
	ctx := context.Background()
	r := fleet.New(transform.NewPipeline(nil, []transform.Stage{versionStage("1")}))
	objs := hundredObjects()
	_, err := r.SetObjects(ctx, objs)
	require.NoError(t, err)
	for i := range 3 {
		r.SetWEC(ctx, wec(t, fmt.Sprintf("w%d", i), nil))
	}

	// One object's rule changed: 3 renders of 300 pairs.
	next := transform.NewPipeline(nil, []transform.Stage{versionStage("1"), versionStage("2", "o42")})
	st, err := r.SetPipeline(ctx, next, objs, nameIs("o42"))
	require.NoError(t, err)
	assert.Equal(t, 1, st.Prepared)
	assert.Equal(t, 3, st.Rendered)
	assert.Equal(t, 297, st.Skipped)
	assert.Equal(t, []string{"w0", "w1", "w2"}, st.Changed)
	assert.Equal(t, "2", labelOf(t, r, "w1", "o42"))
	assert.Equal(t, "1", labelOf(t, r, "w1", "o41"))

	// The new pipeline is the one later changes render with.
	changed := object("o7", false)
	changed.SetAnnotations(map[string]string{"x": "y"})
	objs[7] = changed
	st, err = r.SetObjects(ctx, objs)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Rendered)

	// Nothing affected and nothing changed: no render, no changed WEC.
	st, err = r.SetPipeline(ctx, next, objs, nameIs())
	require.NoError(t, err)
	assert.Zero(t, st.Rendered)
	assert.Zero(t, st.Prepared)
	assert.Empty(t, st.Changed)

	// An affected object whose renders come out the same renders, but changes no WEC.
	st, err = r.SetPipeline(ctx, next, objs, nameIs("o1"))
	require.NoError(t, err)
	assert.Equal(t, 3, st.Rendered)
	assert.Empty(t, st.Changed)

	// nil: everything.
	st, err = r.SetPipeline(ctx, transform.NewPipeline(nil, []transform.Stage{versionStage("3")}), objs, nil)
	require.NoError(t, err)
	assert.Equal(t, 300, st.Rendered)
	assert.Equal(t, "3", labelOf(t, r, "w2", "o42"))
}

func TestSetPipelineAsksAboutThePreparedObjectToo(t *testing.T) {
	ctx := context.Background()
	// The WEC-independent stage renames nothing but adds a label the Affected looks for.
	mark := transform.Named("mark", transform.Func(func(_ *transform.Env, obj *transform.Object) error {
		_, err := obj.Set(jsonpath.MustParse("$.metadata.labels.prepared"), "yes")
		return err
	}))
	r := fleet.New(transform.NewPipeline([]transform.Stage{mark}, []transform.Stage{versionStage("1")}))
	objs := hundredObjects()[:2]
	_, err := r.SetObjects(ctx, objs)
	require.NoError(t, err)
	r.SetWEC(ctx, wec(t, "w", nil))
	onlyPrepared := func(obj map[string]any) bool {
		l, _ := obj["metadata"].(map[string]any)["labels"].(map[string]any)
		return l["prepared"] == "yes"
	}
	st, err := r.SetPipeline(ctx, transform.NewPipeline(nil, []transform.Stage{versionStage("2")}), objs, onlyPrepared)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Rendered)
	assert.Equal(t, "2", labelOf(t, r, "w", "o0"))
}

func TestSetPipelineLeavesUnknownAndMissingObjectsToSetObjects(t *testing.T) {
	ctx := context.Background()
	r := fleet.New(transform.NewPipeline(nil, []transform.Stage{versionStage("1")}))
	objs := hundredObjects()[:3]
	_, err := r.SetObjects(ctx, objs)
	require.NoError(t, err)
	r.SetWEC(ctx, wec(t, "w", nil))
	r.SetPlacement(ctx, func(_ string, ref transform.ObjectRef) bool { return ref.Name != "o2" })

	// o5 is new (SetObjects adds it), o0 is missing (SetObjects drops it), o2 is not placed.
	in := []*unstructured.Unstructured{object("o1", false), object("o2", false), object("o5", false)}
	before := in[0].DeepCopy()
	st, err := r.SetPipeline(ctx, transform.NewPipeline(nil, []transform.Stage{versionStage("2")}), in, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Prepared, "o1 and o2")
	assert.Equal(t, 1, st.Rendered, "o2 is not placed")
	assert.Equal(t, before, in[0], "inputs are not modified")
	assert.Len(t, r.Results("w"), 2, "o0 stays until SetObjects drops it; o5 waits for SetObjects")
	assert.Equal(t, "2", labelOf(t, r, "w", "o1"))
	assert.Equal(t, "1", labelOf(t, r, "w", "o0"))
}
