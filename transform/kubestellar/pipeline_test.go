package kubestellar_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/customtransform"
	"github.com/wecforge/wecforge/transform/generic"
	"github.com/wecforge/wecforge/transform/jsonpath"
	"github.com/wecforge/wecforge/transform/kinds"
	"github.com/wecforge/wecforge/transform/kubestellar"
	"github.com/wecforge/wecforge/transform/resources"
)

func mustWEC(t testing.TB, name string, labels map[string]string) *customization.WEC {
	t.Helper()
	w, err := customization.New(name, labels, nil, nil)
	require.NoError(t, err)
	return w
}

// regionLabel is a per-WEC stage writing the WEC's region into a label.
var regionLabel = transform.Func(func(env *transform.Env, obj *transform.Object) error {
	region, ok := env.WEC.Lookup("region")
	env.Deps.AddProperty("region")
	if !ok {
		return &transform.PathError{Path: ".metadata.labels.region", Err: errors.New("the WEC has no region")}
	}
	_, err := obj.Set(jsonpath.MustParse("$.metadata.labels.region"), region)
	return err
})

func TestNewPipelineOrderAndPerWEC(t *testing.T) {
	cts := readDocs(t, "../../testdata/transform/pipeline-order/customtransforms.yaml")
	p, rep, err := kubestellar.NewPipeline(kubestellar.Options{
		CustomTransforms: cts,
		PerWEC:           []transform.Stage{transform.Named("region", regionLabel)},
	})
	require.NoError(t, err)
	assert.Empty(t, rep.Warnings)
	assert.Equal(t, []string{"services"}, rep.CustomTransforms)

	in := readDocs(t, "../../testdata/transform/pipeline-order/input.yaml")[0]
	prep := p.Prepare(context.Background(), in)
	require.NoError(t, prep.Err)

	east := p.Render(context.Background(), prep, mustWEC(t, "east", map[string]string{"region": "us-east"}))
	require.NoError(t, east.Err)
	assert.Equal(t, "us-east", east.Object.GetLabels()["region"])
	var stages []string
	for _, c := range east.Changes() {
		if len(stages) == 0 || stages[len(stages)-1] != c.By {
			stages = append(stages, c.By)
		}
	}
	assert.Equal(t, []string{generic.StageName, kinds.StageName, "customtransform services: spec.remove[3]", "region"}, stages)
	assert.Equal(t, []string{"region"}, east.Deps.Properties)

	bare := p.Render(context.Background(), prep, mustWEC(t, "bare", nil))
	require.Error(t, bare.Err)
	assert.Equal(t, "wec bare: Service shop/web: region: .metadata.labels.region: the WEC has no region", bare.Err.Error())
	assert.Nil(t, bare.Object)
	_, has := prep.Object().GetLabels()["region"]
	assert.False(t, has, "renders never write into the prepared object")
}

func TestNewPipelineProblems(t *testing.T) {
	t.Run("bad per-WEC stage", func(t *testing.T) {
		for _, s := range []transform.Stage{{Name: "x"}, {Transform: regionLabel}} {
			p, _, err := kubestellar.NewPipeline(kubestellar.Options{PerWEC: []transform.Stage{s}})
			assert.Nil(t, p)
			assert.ErrorIs(t, err, kubestellar.ErrOptions)
			assert.Contains(t, err.Error(), "PerWEC[0] needs both a name and a transform")
		}
	})
	t.Run("invalid CustomTransform entries leave a usable pipeline", func(t *testing.T) {
		cts := readDocs(t, "../../testdata/transform/customtransform-invalid/customtransforms.yaml")
		p, rep, err := kubestellar.NewPipeline(kubestellar.Options{CustomTransforms: cts})
		require.NotNil(t, p)
		require.Error(t, err)
		assert.ErrorIs(t, err, customtransform.ErrInvalid)
		var ce *customtransform.Error
		require.True(t, errors.As(err, &ce))
		assert.Equal(t, []string{"partly-valid"}, rep.CustomTransforms)
		prep := p.Prepare(context.Background(), readDocs(t, "../../testdata/transform/customtransform-invalid/input.yaml")[0])
		require.NoError(t, prep.Err)
		_, has, _ := unstructured.NestedFieldNoCopy(prep.Object().Object, "spec", "replicas")
		assert.False(t, has)
	})
	t.Run("several CustomTransforms warn", func(t *testing.T) {
		cts := readDocs(t, "../../testdata/transform/customtransform-several/customtransforms.yaml")
		_, rep, err := kubestellar.NewPipeline(kubestellar.Options{CustomTransforms: cts})
		require.NoError(t, err)
		assert.Len(t, rep.Warnings, 3)
	})
}

// TestConcurrentUse renders every golden input for several WECs in parallel (run with -race)
// and checks each result against a sequential Prepare of the same object.
func TestConcurrentUse(t *testing.T) {
	objs, cts := allGoldenInputs(t)
	mapper, err := resources.New(resources.Options{Objects: objs})
	require.NoError(t, err)
	p, _, _ := kubestellar.NewPipeline(kubestellar.Options{
		CustomTransforms: cts, Mapper: mapper,
		PerWEC: []transform.Stage{transform.Named("region", regionLabel)},
	})
	var wecs []*customization.WEC
	for _, r := range []string{"a", "b", "c", "d", "e", "f"} {
		wecs = append(wecs, mustWEC(t, "wec-"+r, map[string]string{"region": r}))
	}
	results := p.RenderAll(context.Background(), objs, wecs)
	require.Len(t, results, len(objs)*len(wecs))
	for i, r := range results {
		o := objs[i%len(objs)]
		prep := p.Prepare(context.Background(), o)
		if prep.Err != nil {
			require.Error(t, r.Err)
			continue
		}
		require.NoError(t, r.Err)
		want := prep.Object().DeepCopy()
		require.NoError(t, unstructured.SetNestedField(want.Object, wecs[i/len(objs)].Labels()["region"], "metadata", "labels", "region"))
		require.Equal(t, want.Object, r.Object.Object)
	}
}

// TestExpansionGuard: a pipeline without a template expansion stage never ships an object that
// asks for expansion with its templates unexpanded; one with such a stage leaves it to it.
func TestExpansionGuard(t *testing.T) {
	annotated := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "c", "namespace": "n",
			"annotations": map[string]any{kubestellar.ExpandAnnotation: "true"}},
		"data": map[string]any{"wec": "{{ .clusterName }}"},
	}}
	plain := annotated.DeepCopy()
	plain.SetAnnotations(map[string]string{kubestellar.ExpandAnnotation: "false"})

	p, _, err := kubestellar.NewPipeline(kubestellar.Options{PerWEC: []transform.Stage{transform.Named("other", regionLabel)}})
	require.NoError(t, err)
	prep := p.Prepare(context.Background(), annotated)
	require.Error(t, prep.Err)
	assert.ErrorIs(t, prep.Err, kubestellar.ErrNoExpander)
	assert.Contains(t, prep.Err.Error(), ".metadata.annotations.control.kubestellar.io/expand-templates")
	res := p.Render(context.Background(), prep, mustWEC(t, "w", nil))
	assert.ErrorIs(t, res.Err, kubestellar.ErrNoExpander, "no WEC receives the literal template")
	require.NoError(t, p.Prepare(context.Background(), plain).Err, "only the exact value true opts in")

	stub := transform.Named(kubestellar.ExpanderStageName, transform.Func(func(*transform.Env, *transform.Object) error { return nil }))
	p, _, err = kubestellar.NewPipeline(kubestellar.Options{PerWEC: []transform.Stage{stub}})
	require.NoError(t, err)
	require.NoError(t, p.Prepare(context.Background(), annotated).Err, "an expansion stage is present: no guard")

	p, _, err = kubestellar.NewPipeline(kubestellar.Options{LiteralTemplates: true})
	require.NoError(t, err)
	prep = p.Prepare(context.Background(), annotated)
	require.NoError(t, prep.Err, "the caller asked for literal templates")
	res = p.Render(context.Background(), prep, mustWEC(t, "w", nil))
	require.NoError(t, res.Err)
	assert.Equal(t, "{{ .clusterName }}", res.Object.Object["data"].(map[string]any)["wec"])
}
