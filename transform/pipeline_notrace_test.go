package transform_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

func TestWithoutTraceRendersTheSame(t *testing.T) {
	strip := transform.Named("strip", transform.Func(func(_ *transform.Env, obj *transform.Object) error {
		obj.Remove(jsonpath.MustParse("$.status"))
		return nil
	}))
	zone := transform.Named("zone", transform.Func(func(env *transform.Env, obj *transform.Object) error {
		env.Deps.AddLabel("zone")
		obj.Note(".spec", "looked")
		_, err := obj.Set(jsonpath.MustParse("$.spec.template.spec.nodeSelector.zone"), env.WEC.Labels()["zone"])
		return err
	}))
	full := transform.NewPipeline([]transform.Stage{strip}, []transform.Stage{zone})
	lean := full.WithoutTrace()
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec":     map[string]any{"template": map[string]any{}},
		"status":   map[string]any{"replicas": int64(1)},
	}}
	wec, err := customization.New("w1", map[string]string{"zone": "a"}, nil, nil)
	require.NoError(t, err)
	ctx := context.Background()
	a := full.Render(ctx, full.Prepare(ctx, in), wec)
	b := lean.Render(ctx, lean.Prepare(ctx, in), wec)
	require.NoError(t, a.Err)
	require.NoError(t, b.Err)
	assert.Equal(t, a.Object.Object, b.Object.Object)
	assert.Equal(t, a.Deps, b.Deps)
	assert.Len(t, a.Changes(), 5, "status removed; noop; spec.template.spec and nodeSelector added; zone added")
	require.Len(t, b.Changes(), 1, "only the WEC-independent change")
	assert.Equal(t, ".status", b.Changes()[0].Path)
}
