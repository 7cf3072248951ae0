package templates_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

func deployment(ann string) *unstructured.Unstructured {
	md := map[string]any{"name": "web", "namespace": "shop"}
	if ann != "" {
		md["annotations"] = map[string]any{templates.ExpandAnnotation: ann}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": md,
		"spec": map[string]any{
			"replicas": int64(2),
			"template": map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"name": "app", "image": "web:{{ .tag }}", "env": []any{
					map[string]any{"name": "A", "value": "{{ .region }}"},
					map[string]any{"name": "B", "value": "{{ .region }}"},
					map[string]any{"name": "C", "value": "{{ .tag }}"},
				}},
				map[string]any{"name": "side", "image": "envoy", "args": []any{"--x", "y"}},
			}}},
		},
	}}
}

func TestPrepare(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		obj    *unstructured.Unstructured
		want   string // fmt.Sprint of the bound transform; "" for nil
	}{
		{name: "opted in", reason: "4 leaves, 3 distinct strings: the repeated one is parsed once", obj: deployment("true"),
			want: "templates: 4 leaves, 3 distinct templates"},
		{name: "no annotation", obj: deployment(""), want: ""},
		{name: "annotation not exactly true", obj: deployment("yes"), want: ""},
		{name: "no template strings", reason: "nothing to do: no per-WEC work at all",
			obj: &unstructured.Unstructured{Object: map[string]any{"kind": "ConfigMap", "metadata": map[string]any{
				"name": "x", "annotations": map[string]any{templates.ExpandAnnotation: "true"}}, "data": map[string]any{"a": "b"}}},
			want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := templates.NewExpander(templates.Limits{})
			bound, err := e.Prepare(&transform.Env{Context: context.Background()}, transform.NewObject(tt.obj.Object))
			require.NoError(t, err)
			if tt.want == "" {
				assert.Nil(t, bound, tt.reason)
				return
			}
			require.NotNil(t, bound)
			assert.Equal(t, tt.want, fmt.Sprint(bound), tt.reason)
		})
	}
}

func TestRenderSharesUntouchedSubtrees(t *testing.T) {
	p := transform.NewPipeline(nil, []transform.Stage{templates.NewExpander(templates.Limits{}).Stage()})
	in := deployment("true")
	prep := p.Prepare(context.Background(), in)
	require.NoError(t, prep.Err)
	w := wecSpec{name: "wec1", labels: map[string]string{"region": "eu", "tag": "1.0"}}.build(t)
	res := p.Render(context.Background(), prep, w)
	require.NoError(t, res.Err)

	containers := func(u *unstructured.Unstructured) []any {
		l, _, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "template", "spec", "containers")
		return l.([]any)
	}
	got, base := containers(res.Object), containers(prep.Object())
	assert.Equal(t, "web:1.0", got[0].(map[string]any)["image"])
	assert.Equal(t, "web:{{ .tag }}", base[0].(map[string]any)["image"], "the prepared object is never modified")
	assert.Equal(t, reflect.ValueOf(base[1]).UnsafePointer(), reflect.ValueOf(got[1]).UnsafePointer(),
		"the untouched sidecar is shared, not copied")
	assert.Equal(t, reflect.ValueOf(prep.Object().Object["metadata"]).UnsafePointer(), reflect.ValueOf(res.Object.Object["metadata"]).UnsafePointer())
	assert.Equal(t, []string{"region", "tag"}, res.Deps.Properties)
	assert.Len(t, res.Changes(), 4)
	for _, c := range res.Changes() {
		assert.Equal(t, templates.StageName, c.By)
	}
}

func TestTransformWithoutPipeline(t *testing.T) {
	w := wecSpec{labels: map[string]string{"region": "eu", "tag": "2"}}.build(t)
	in := deployment("true")
	obj := transform.NewObject(in.Object)
	deps := &customization.Dependencies{}
	env := &transform.Env{Context: context.Background(), WEC: w, Deps: deps}
	require.NoError(t, templates.NewExpander(templates.Limits{}).Transform(env, obj))
	v, ok := obj.Get(jsonpath.Location{{Key: "spec"}, {Key: "template"}, {Key: "spec"}, {Key: "containers"}, {Index: 0, IsIndex: true}, {Key: "image"}})
	require.True(t, ok)
	assert.Equal(t, "web:2", v)
	assert.Equal(t, []string{"region", "tag"}, deps.Properties)
	assert.Equal(t, deployment("true"), in, "the input is never modified")

	// Without a WEC the stage fails clearly instead of expanding against nothing.
	err := templates.NewExpander(templates.Limits{}).Transform(&transform.Env{Context: context.Background()}, transform.NewObject(in.Object))
	require.ErrorIs(t, err, templates.ErrNoWEC)
	var re *transform.RenderError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, templates.StageName, re.By)
}

func TestLeafChangedByEarlierStageIsLeftAlone(t *testing.T) {
	imagePath := jsonpath.MustParse("$.spec.template.spec.containers[0].image")
	overwrite := transform.Func(func(env *transform.Env, obj *transform.Object) error {
		_, err := obj.Set(imagePath, "pinned:{{ .tag }}")
		return err
	})
	// A per-WEC stage that is not a Preparer runs before the expander's bound transform.
	p := transform.NewPipeline(nil, []transform.Stage{
		{Name: "pin", Transform: overwrite},
		templates.NewExpander(templates.Limits{}).Stage(),
	})
	w := wecSpec{labels: map[string]string{"region": "eu", "tag": "2"}}.build(t)
	res := p.RenderAll(context.Background(), []*unstructured.Unstructured{deployment("true")}, []*customization.WEC{w})[0]
	require.NoError(t, res.Err)
	got := res.Object.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	assert.Equal(t, "pinned:{{ .tag }}", got["image"], "prepared for another text: not expanded, not clobbered")
	assert.Equal(t, "eu", got["env"].([]any)[0].(map[string]any)["value"])
}

func TestRenderAllConcurrent(t *testing.T) {
	p := transform.NewPipeline(nil, []transform.Stage{templates.NewExpander(templates.Limits{}).Stage()})
	var wecs []*customization.WEC
	for i := range 64 {
		labels := map[string]string{"region": fmt.Sprintf("r%d", i)}
		if i%3 != 0 {
			labels["tag"] = fmt.Sprint(i)
		}
		wecs = append(wecs, wecSpec{name: fmt.Sprintf("w%02d", i), labels: labels}.build(t))
	}
	objs := []*unstructured.Unstructured{deployment("true"), deployment("")}
	results := p.RenderAll(context.Background(), objs, wecs)
	require.Len(t, results, 128)
	for i, r := range results {
		w := i / 2
		if i%2 == 1 || w%3 != 0 {
			require.NoError(t, r.Err, r.WEC)
			continue
		}
		require.ErrorIs(t, r.Err, templates.ErrMissingProperty, r.WEC)
		var re *transform.RenderError
		require.ErrorAs(t, r.Err, &re)
		assert.Equal(t, fmt.Sprintf("w%02d", w), re.WEC)
		assert.Equal(t, ".spec.template.spec.containers[0].env[2].value", re.Path, "first failing leaf in document order")
		assert.Equal(t, "Deployment.apps shop/web", re.Object.String())
		assert.Len(t, r.Warnings, 1, "the image leaf fails too")
	}
}

func TestCancelledContext(t *testing.T) {
	e := templates.NewExpander(templates.Limits{MaxSteps: 1 << 30})
	in := &unstructured.Unstructured{Object: map[string]any{"kind": "ConfigMap", "metadata": map[string]any{
		"name": "x", "annotations": map[string]any{templates.ExpandAnnotation: "true"}},
		"data": map[string]any{"a": "{{ range 100000000 }}{{ end }}", "b": "{{ .nope }}"}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := wecSpec{}.build(t)
	env := &transform.Env{Context: ctx, WEC: w, Deps: &customization.Dependencies{}}
	err := e.Transform(env, transform.NewObject(in.Object))
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, env.Warnings(), "cancellation stops the expansion")
}

// A per-WEC stage before the expansion may change or remove a template leaf: the expansion
// then leaves that leaf alone and still expands the others.
func TestExpansionAfterAnEarlierPerWECStage(t *testing.T) {
	envA := jsonpath.Location{{Key: "spec"}, {Key: "template"}, {Key: "spec"}, {Key: "containers"},
		{Index: 0, IsIndex: true}, {Key: "env"}, {Index: 0, IsIndex: true}, {Key: "value"}}
	envC := append(append(jsonpath.Location{}, envA[:6]...), jsonpath.Step{Index: 2, IsIndex: true})
	earlier := transform.Func(func(_ *transform.Env, obj *transform.Object) error {
		if err := obj.SetAt(envA, "fixed"); err != nil {
			return err
		}
		obj.RemoveAt(envC)
		return nil
	})
	p := transform.NewPipeline(nil, []transform.Stage{
		transform.Named("earlier", earlier), templates.NewExpander(templates.Limits{}).Stage()})
	w, err := customization.New("w1", map[string]string{"region": "eu", "tag": "2.0"}, nil, nil)
	require.NoError(t, err)
	ctx := context.Background()
	res := p.Render(ctx, p.Prepare(ctx, deployment("true")), w)
	require.NoError(t, res.Err)
	c0, _, _ := unstructured.NestedSlice(res.Object.Object, "spec", "template", "spec", "containers")
	app := c0[0].(map[string]any)
	assert.Equal(t, "web:2.0", app["image"])
	assert.Equal(t, []any{
		map[string]any{"name": "A", "value": "fixed"},
		map[string]any{"name": "B", "value": "eu"},
	}, app["env"])
}
