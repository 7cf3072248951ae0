package transform_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

func deployment(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": name, "namespace": "shop", "labels": map[string]any{"app": name}},
		"spec": map[string]any{
			"replicas": int64(1),
			"template": map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"name": "app", "image": "nginx"},
			}}},
		},
	}}
}

func wec(t testing.TB, name, zone string) *customization.WEC {
	t.Helper()
	w, err := customization.New(name, map[string]string{"zone": zone}, nil, nil)
	require.NoError(t, err)
	return w
}

func setter(path string, value any) transform.Transform {
	p := jsonpath.MustParse(path)
	return transform.Func(func(_ *transform.Env, obj *transform.Object) error {
		_, err := obj.Set(p, value)
		return err
	})
}

// zoneStage writes the WEC's zone label into the pod template and counts its calls.
type zoneStage struct{ prepares, renders atomic.Int64 }

func (z *zoneStage) Transform(env *transform.Env, obj *transform.Object) error {
	z.renders.Add(1)
	zone, _ := env.WEC.Lookup("zone")
	env.Deps.AddProperty("zone")
	_, err := obj.Set(jsonpath.MustParse("$.spec.template.spec.nodeSelector.zone"), zone)
	return err
}

func (z *zoneStage) Prepare(_ *transform.Env, _ *transform.Object) (transform.Transform, error) {
	z.prepares.Add(1)
	return z, nil
}

func TestPrepareOnceRenderMany(t *testing.T) {
	var shared atomic.Int64
	zone := &zoneStage{}
	p := transform.NewPipeline(
		[]transform.Stage{transform.Named("count", transform.Func(func(*transform.Env, *transform.Object) error {
			shared.Add(1)
			return nil
		}))},
		[]transform.Stage{transform.Named("zone", zone)},
	)
	objs := []*unstructured.Unstructured{deployment("a"), deployment("b"), deployment("c")}
	wecs := []*customization.WEC{wec(t, "w1", "z1"), wec(t, "w2", "z2"), wec(t, "w3", "z3"), wec(t, "w4", "z4")}
	res := p.RenderAll(context.Background(), objs, wecs)
	require.Len(t, res, 12)
	assert.EqualValues(t, 3, shared.Load(), "WEC-independent stages run once per object")
	assert.EqualValues(t, 3, zone.prepares.Load(), "Preparers run once per object")
	assert.EqualValues(t, 12, zone.renders.Load(), "per-WEC stages run once per pair")
	for i, r := range res {
		w, o := wecs[i/len(objs)], objs[i%len(objs)]
		require.NoError(t, r.Err)
		assert.Equal(t, w.Name(), r.WEC, "RenderAll orders by WEC, then object")
		assert.Equal(t, o.GetName(), r.Ref.Name)
		zoneValue, _, _ := unstructured.NestedString(r.Object.Object, "spec", "template", "spec", "nodeSelector", "zone")
		assert.Equal(t, w.Labels()["zone"], zoneValue)
		assert.Equal(t, []string{"zone"}, r.Deps.Properties)
	}
	for _, o := range objs {
		assert.Equal(t, deployment(o.GetName()), o, "inputs are never modified")
	}
}

func TestTraceOldToNew(t *testing.T) {
	p := transform.NewPipeline(
		[]transform.Stage{transform.Named("scale", setter("$.spec.replicas", int64(2)))},
		[]transform.Stage{transform.Named("label", setter("$.metadata.labels.wec", "yes")), transform.Named("same", setter("$.spec.replicas", int64(2)))},
	)
	prep := p.Prepare(context.Background(), deployment("web"))
	require.NoError(t, prep.Err)
	require.Len(t, prep.Trace(), 1)
	res := p.Render(context.Background(), prep, wec(t, "w1", "z"))
	require.NoError(t, res.Err)
	require.Len(t, res.Changes(), 2, "writing an equal value records nothing")
	assert.Equal(t, transform.Change{Path: ".spec.replicas", By: "scale", Kind: transform.ChangeSet, Old: int64(1), New: int64(2)}, res.Changes()[0])
	assert.Equal(t, transform.Change{Path: ".metadata.labels.wec", By: "label", Kind: transform.ChangeAdd, New: "yes"}, res.Changes()[1])
	assert.Equal(t, []string{".spec.replicas", ".metadata.labels.wec"}, res.Changes().Paths())
	// A second render starts again from the prepared object.
	again := p.Render(context.Background(), prep, wec(t, "w2", "z"))
	assert.Equal(t, res.Changes(), again.Changes())
	assert.Len(t, prep.Trace(), 1, "renders never append to the prepared trace")
	// The WEC-independent part is the prepared trace itself, shared by every WEC's result;
	// only the per-WEC part is the pair's own.
	assert.Equal(t, prep.Trace(), res.ObjectChanges)
	assert.Same(t, &prep.Trace()[0], &res.ObjectChanges[0])
	assert.Same(t, &res.ObjectChanges[0], &again.ObjectChanges[0])
	assert.Equal(t, []string{".metadata.labels.wec"}, res.WECChanges.Paths())
	all := res.Changes()
	all[0].By = "edited"
	assert.Equal(t, "scale", prep.Trace()[0].By, "Changes() of a result with both parts is a new slice")
}

func TestRenderErrors(t *testing.T) {
	cause := errors.New("boom")
	tests := []struct {
		name      string
		shared    transform.Transform
		perWEC    transform.Transform
		want      string
		by, path  string
		preparing bool
	}{
		{name: "plain error", perWEC: transform.Func(func(*transform.Env, *transform.Object) error { return cause }),
			want: "wec w1: Deployment.apps shop/web: stage: boom", by: "stage"},
		{name: "path error", perWEC: transform.Func(func(*transform.Env, *transform.Object) error {
			return &transform.PathError{Path: ".spec.x", Err: cause}
		}), want: "wec w1: Deployment.apps shop/web: stage: .spec.x: boom", by: "stage", path: ".spec.x"},
		{name: "render error keeps its author", perWEC: transform.Func(func(*transform.Env, *transform.Object) error {
			return &transform.RenderError{By: "rule r: spec.actions[0]", Path: ".spec.y", Err: cause}
		}), want: "wec w1: Deployment.apps shop/web: rule r: spec.actions[0]: .spec.y: boom", by: "rule r: spec.actions[0]", path: ".spec.y"},
		{name: "wrapped path error", perWEC: transform.Func(func(*transform.Env, *transform.Object) error {
			return fmt.Errorf("context: %w", &transform.PathError{Path: ".a", Err: cause})
		}), want: "wec w1: Deployment.apps shop/web: stage: .a: boom", by: "stage", path: ".a"},
		{name: "WEC-independent failure", shared: transform.Func(func(*transform.Env, *transform.Object) error { return cause }),
			want: "wec w1: Deployment.apps shop/web: stage: boom", by: "stage", preparing: true},
		{name: "set through a scalar", perWEC: setter("$.metadata.name.x", "y"),
			want: "wec w1: Deployment.apps shop/web: stage: cannot set .metadata.name.x: .metadata.name is a string, not a map or list", by: "stage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var shared, perWEC []transform.Stage
			if tc.shared != nil {
				shared = []transform.Stage{transform.Named("stage", tc.shared)}
			}
			if tc.perWEC != nil {
				perWEC = []transform.Stage{transform.Named("stage", tc.perWEC)}
			}
			p := transform.NewPipeline(shared, perWEC)
			prep := p.Prepare(context.Background(), deployment("web"))
			if tc.preparing {
				require.Error(t, prep.Err)
				var re *transform.RenderError
				require.True(t, errors.As(prep.Err, &re))
				assert.Empty(t, re.WEC, "a WEC-independent failure names no WEC")
			} else {
				require.NoError(t, prep.Err)
			}
			res := p.Render(context.Background(), prep, wec(t, "w1", "z"))
			require.Error(t, res.Err)
			assert.Nil(t, res.Object)
			assert.Equal(t, tc.want, res.Err.Error())
			var re *transform.RenderError
			require.True(t, errors.As(res.Err, &re))
			assert.Equal(t, "w1", re.WEC)
			assert.Equal(t, "Deployment.apps shop/web", re.Object.String())
			assert.Equal(t, tc.by, re.By)
			assert.Equal(t, tc.path, re.Path)
			assert.ErrorIs(t, res.Err, transform.ErrRender)
		})
	}
}

func TestOneFailingWECDoesNotAffectOthers(t *testing.T) {
	p := transform.NewPipeline(nil, []transform.Stage{transform.Named("zone", transform.Func(func(env *transform.Env, obj *transform.Object) error {
		zone, _ := env.WEC.Lookup("zone")
		if zone == "bad" {
			return errors.New("bad zone")
		}
		_, err := obj.Set(jsonpath.MustParse("$.metadata.labels.zone"), zone)
		return err
	}))})
	res := p.RenderAll(context.Background(), []*unstructured.Unstructured{deployment("a")},
		[]*customization.WEC{wec(t, "w1", "ok"), wec(t, "w2", "bad"), wec(t, "w3", "fine")})
	require.NoError(t, res[0].Err)
	require.Error(t, res[1].Err)
	require.NoError(t, res[2].Err)
	assert.Equal(t, "fine", res[2].Object.GetLabels()["zone"])
}

func TestPreparer(t *testing.T) {
	t.Run("nil bound transform is skipped", func(t *testing.T) {
		var calls atomic.Int64
		skip := preparerFunc(func(*transform.Env, *transform.Object) (transform.Transform, error) {
			calls.Add(1)
			return nil, nil
		})
		p := transform.NewPipeline(nil, []transform.Stage{transform.Named("skip", skip)})
		prep := p.Prepare(context.Background(), deployment("a"))
		res := p.Render(context.Background(), prep, wec(t, "w1", "z"))
		require.NoError(t, res.Err)
		assert.EqualValues(t, 1, calls.Load())
	})
	t.Run("Prepare sees the WEC-independent result and its error fails every pair", func(t *testing.T) {
		failing := preparerFunc(func(_ *transform.Env, obj *transform.Object) (transform.Transform, error) {
			v, _ := obj.Get(jsonpath.Location{{Key: "spec"}, {Key: "replicas"}})
			return nil, fmt.Errorf("replicas is %v", v)
		})
		p := transform.NewPipeline([]transform.Stage{transform.Named("scale", setter("$.spec.replicas", int64(5)))},
			[]transform.Stage{transform.Named("templates", failing)})
		prep := p.Prepare(context.Background(), deployment("a"))
		require.Error(t, prep.Err)
		res := p.Render(context.Background(), prep, wec(t, "w9", "z"))
		assert.Equal(t, "wec w9: Deployment.apps shop/a: templates: replicas is 5", res.Err.Error())
	})
}

type preparerFunc func(*transform.Env, *transform.Object) (transform.Transform, error)

func (f preparerFunc) Prepare(env *transform.Env, obj *transform.Object) (transform.Transform, error) {
	return f(env, obj)
}

func (f preparerFunc) Transform(*transform.Env, *transform.Object) error {
	return errors.New("Transform must not be called on a Preparer the pipeline bound")
}

func TestWarnings(t *testing.T) {
	p := transform.NewPipeline(
		[]transform.Stage{transform.Named("a", transform.Func(func(env *transform.Env, _ *transform.Object) error {
			env.Warn("shared %d", 1)
			return nil
		}))},
		[]transform.Stage{transform.Named("b", transform.Func(func(env *transform.Env, _ *transform.Object) error {
			env.Warn("for %s", env.WEC.Name())
			return nil
		}))},
	)
	prep := p.Prepare(context.Background(), deployment("a"))
	assert.Equal(t, []string{"shared 1"}, prep.Warnings)
	r1 := p.Render(context.Background(), prep, wec(t, "w1", "z"))
	r2 := p.Render(context.Background(), prep, wec(t, "w2", "z"))
	assert.Equal(t, []string{"shared 1", "for w1"}, r1.Warnings)
	assert.Equal(t, []string{"shared 1", "for w2"}, r2.Warnings)
	assert.Equal(t, []string{"shared 1"}, prep.Warnings, "renders never append to the prepared warnings")
}

func TestCanceledContext(t *testing.T) {
	p := transform.NewPipeline(nil, []transform.Stage{transform.Named("zone", &zoneStage{})})
	prep := p.Prepare(context.Background(), deployment("a"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := p.Render(ctx, prep, wec(t, "w1", "z"))
	require.Error(t, res.Err)
	assert.ErrorIs(t, res.Err, context.Canceled)
	assert.Equal(t, "w1", res.WEC)
}

func TestPrepareNil(t *testing.T) {
	p := transform.NewPipeline(nil, nil)
	prep := p.Prepare(context.Background(), nil)
	require.NoError(t, prep.Err)
	assert.Equal(t, map[string]any{}, prep.Object().Object)
}

// TestConcurrentRenders shares one Prepared between many goroutines writing into the same
// nested maps; -race and the per-WEC values prove the copies are independent.
func TestConcurrentRenders(t *testing.T) {
	zone := &zoneStage{}
	p := transform.NewPipeline(
		[]transform.Stage{transform.Named("scale", setter("$.spec.replicas", int64(3)))},
		[]transform.Stage{
			transform.Named("zone", zone),
			transform.Named("image", setter("$.spec.template.spec.containers[?@.name=='app'].image", "nginx:2")),
			transform.Named("label", setter("$.metadata.labels.rendered", "true")),
		},
	)
	var objs []*unstructured.Unstructured
	for i := range 20 {
		objs = append(objs, deployment(fmt.Sprintf("d%02d", i)))
	}
	var wecs []*customization.WEC
	for i := range 16 {
		wecs = append(wecs, wec(t, fmt.Sprintf("w%02d", i), fmt.Sprintf("z%02d", i)))
	}
	res := p.RenderAll(context.Background(), objs, wecs)
	require.Len(t, res, len(objs)*len(wecs))
	for i, r := range res {
		require.NoError(t, r.Err)
		w := wecs[i/len(objs)]
		z, _, _ := unstructured.NestedString(r.Object.Object, "spec", "template", "spec", "nodeSelector", "zone")
		require.Equal(t, w.Labels()["zone"], z)
		c, _, _ := unstructured.NestedSlice(r.Object.Object, "spec", "template", "spec", "containers")
		require.Equal(t, "nginx:2", c[0].(map[string]any)["image"])
	}
	for i, o := range objs {
		require.Equal(t, deployment(fmt.Sprintf("d%02d", i)), o)
	}
}

// TestPrepareGoTypedValues: objects built in Go code may hold int or []string; Prepare must not
// panic on them (unstructured's DeepCopy does) and must not modify them.
func TestPrepareGoTypedValues(t *testing.T) {
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "c", "uid": "x"},
		"data":     map[string]any{"n": 3, "l": []string{"a"}, "m": map[string]string{"k": "v"}},
	}}
	p := transform.NewPipeline([]transform.Stage{transform.Named("uid", transform.Func(func(_ *transform.Env, obj *transform.Object) error {
		obj.Remove(jsonpath.MustParse("$.metadata.uid"))
		_, err := obj.Set(jsonpath.MustParse("$.data.n"), int64(4))
		return err
	}))}, nil)
	var prep *transform.Prepared
	require.NotPanics(t, func() { prep = p.Prepare(context.Background(), in) })
	require.NoError(t, prep.Err)
	assert.Equal(t, int64(4), prep.Object().Object["data"].(map[string]any)["n"])
	assert.Equal(t, 3, in.Object["data"].(map[string]any)["n"])
	assert.Equal(t, "x", string(in.GetUID()))
}
