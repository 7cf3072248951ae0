package validate_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
	"github.com/wecforge/wecforge/transform/validate"
)

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(s), &m))
	return m
}

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, annotations: {example.com/a.b: x}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: "web:1", ports: [{containerPort: 80, protocol: TCP}]}
      - {name: side, image: "side:1"}
`

func TestValidateBuiltin(t *testing.T) {
	v, err := validate.New(validate.Options{})
	require.NoError(t, err)
	tests := []struct {
		name   string
		edit   func(o map[string]any)
		trace  transform.Trace
		want   []validate.Violation
		reason string
	}{{
		name:   "valid",
		edit:   func(map[string]any) {},
		reason: "an object that matches passes",
	}, {
		name:   "string in an integer field",
		edit:   func(o map[string]any) { o["spec"].(map[string]any)["replicas"] = "3" },
		trace:  transform.Trace{{Path: ".spec.replicas", By: "rule r: spec.actions[0].set", Kind: transform.ChangeSet}},
		want:   []validate.Violation{{Path: ".spec.replicas", Message: `expected numeric (int or float), got a string: "3"`, Expected: "numeric (int or float)", By: "rule r: spec.actions[0].set"}},
		reason: "the example of the issue: the writer comes from the trace",
	}, {
		name: "keyed list item located by index",
		edit: func(o map[string]any) { container(o, 1)["image"] = int64(5) },
		trace: transform.Trace{
			{Path: ".spec.template.spec.containers[1].image", By: "templates", Kind: transform.ChangeSet},
			{Path: ".spec.replicas", By: "rule later", Kind: transform.ChangeSet},
		},
		want:   []validate.Violation{{Path: ".spec.template.spec.containers[1].image", Message: "expected string, got a number: 5", Expected: "string", By: "templates"}},
		reason: "the schema names the container by its key; the violation names it by index, as traces do",
	}, {
		name:   "ancestor written",
		edit:   func(o map[string]any) { o["spec"].(map[string]any)["template"].(map[string]any)["spec"] = "oops" },
		trace:  transform.Trace{{Path: ".spec", By: "rule whole", Kind: transform.ChangeSet}, {Path: ".spec.replicas", By: "rule unrelated", Kind: transform.ChangeSet}},
		want:   []validate.Violation{{Path: ".spec.template.spec", Message: `expected map, got a string: "oops"`, Expected: "map", By: "rule whole"}},
		reason: "a change of an ancestor wrote the field",
	}, {
		name:   "undeclared field from the input",
		edit:   func(o map[string]any) { o["spec"].(map[string]any)["replicaz"] = int64(1) },
		trace:  transform.Trace{{Path: ".spec.replicas", By: "rule r", Kind: transform.ChangeSet}},
		want:   []validate.Violation{{Path: ".spec.replicaz", Message: "field not declared in schema"}},
		reason: "a field no change wrote came with the input",
	}, {
		name: "dotted annotation key is a string map",
		edit: func(o map[string]any) {
			o["metadata"].(map[string]any)["annotations"].(map[string]any)["example.com/a.b"] = int64(1)
		},
		want:   []validate.Violation{{Path: `.metadata.annotations["example.com/a.b"]`, Message: "expected string, got a number: 1", Expected: "string"}},
		reason: "map keys with dots are located and quoted as traces quote them",
	}, {
		name: "no-op changes are not writers",
		edit: func(o map[string]any) { o["spec"].(map[string]any)["replicas"] = true },
		trace: transform.Trace{
			{Path: ".spec.replicas", By: "rule w", Kind: transform.ChangeSet},
			{Path: ".spec.replicas", By: "rule n", Kind: transform.ChangeNoop},
		},
		want:   []validate.Violation{{Path: ".spec.replicas", Message: "expected numeric (int or float), got a boolean: true", Expected: "numeric (int or float)", By: "rule w"}},
		reason: "a no-op looked but wrote nothing",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := decode(t, deployment)
			tc.edit(obj)
			before := (&unstructured.Unstructured{Object: obj}).DeepCopy().Object
			err := v.Validate(obj, tc.trace)
			assert.Equal(t, before, obj, "the object must not be modified")
			if tc.want == nil {
				require.NoError(t, err, tc.reason)
				return
			}
			var ve *validate.Error
			require.ErrorAs(t, err, &ve, tc.reason)
			assert.ErrorIs(t, err, validate.ErrInvalid)
			assert.Equal(t, tc.want, ve.Violations, tc.reason)
			assert.Equal(t, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, ve.GVK)
			assert.Equal(t, "Deployment.apps shop/web", ve.Object.String())
			fromInput := true
			for _, v := range tc.want {
				fromInput = fromInput && v.By == ""
			}
			assert.Equal(t, fromInput, ve.FromInput(), "FromInput: no violation has a writer")
		})
	}
}

func container(o map[string]any, i int) map[string]any {
	return o["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[i].(map[string]any)
}

func TestValidateNoSchema(t *testing.T) {
	v, err := validate.New(validate.Options{})
	require.NoError(t, err)
	for _, tc := range []struct{ name, doc string }{
		{"unknown kind", "{apiVersion: serving.knative.dev/v1, kind: Service, metadata: {name: s}, spec: {anything: [1, 2]}}"},
		{"unknown version of a built-in group", "{apiVersion: apps/v9, kind: Deployment, metadata: {name: d}, spec: {replicas: x}}"},
		{"no type meta", "{metadata: {name: x}, spec: {replicas: x}}"},
		{"empty", "{}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Validate(decode(t, tc.doc), nil)
			var ns *validate.NoSchemaError
			require.ErrorAs(t, err, &ns, "a kind without a schema is never a false error")
			assert.ErrorIs(t, err, validate.ErrNoSchema)
			assert.NotErrorIs(t, err, validate.ErrInvalid)
		})
	}
	v2, err := validate.New(validate.Options{NoBuiltin: true})
	require.NoError(t, err)
	assert.False(t, v2.Known(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}))
	assert.ErrorIs(t, v2.Validate(decode(t, deployment), nil), validate.ErrNoSchema)
	assert.ErrorIs(t, v.Validate(nil, nil), validate.ErrNoSchema, "a nil object has no kind")
}

func TestResultAndStage(t *testing.T) {
	v, err := validate.New(validate.Options{})
	require.NoError(t, err)
	setReplicas := transform.Named("rule replicas: spec.actions[0].set", transform.Func(func(env *transform.Env, obj *transform.Object) error {
		p := mustPath(t, "$.spec.replicas")
		_, err := obj.Set(p, env.WEC.Name()) // a string: wrong
		return err
	}))
	wec, err := customization.New("east", nil, nil, nil)
	require.NoError(t, err)
	in := &unstructured.Unstructured{Object: decode(t, deployment)}

	p := transform.NewPipeline(nil, []transform.Stage{setReplicas})
	res := p.Render(context.Background(), p.Prepare(context.Background(), in), wec)
	require.NoError(t, res.Err)
	err = v.Result(&res)
	var re *transform.RenderError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "east", re.WEC)
	assert.Equal(t, validate.StageName, re.By)
	assert.Equal(t, ".spec.replicas", re.Path)
	assert.ErrorIs(t, err, validate.ErrInvalid)
	assert.ErrorIs(t, err, transform.ErrRender)
	assert.Equal(t, `wec east: Deployment.apps shop/web: validate: .spec.replicas: does not match the schema of Deployment.apps/v1: .spec.replicas: expected numeric (int or float), got a string: "east" (written by rule replicas: spec.actions[0].set)`, err.Error())

	// The same check as the last stage of a pipeline.
	p2 := transform.NewPipeline(nil, []transform.Stage{setReplicas, v.Stage()})
	res2 := p2.Render(context.Background(), p2.Prepare(context.Background(), in), wec)
	assert.Nil(t, res2.Object, "the failed pair's object is left out")
	assert.Equal(t, err.Error(), res2.Err.Error())

	// A pair that failed already, or a valid one, gives nil.
	assert.NoError(t, v.Result(&transform.Result{Err: errors.New("x")}))
	assert.NoError(t, v.Result(nil))
	ok := transform.NewPipeline(nil, nil)
	res3 := ok.Render(context.Background(), ok.Prepare(context.Background(), in), wec)
	assert.NoError(t, v.Result(&res3))
}

func mustPath(t testing.TB, s string) *jsonpath.Path {
	t.Helper()
	p, err := jsonpath.Parse(s)
	require.NoError(t, err)
	return p
}

func TestConcurrent(t *testing.T) {
	v, err := validate.New(validate.Options{CRDs: []*unstructured.Unstructured{{Object: decode(t, widgetCRD)}}})
	require.NoError(t, err)
	bad := decode(t, deployment)
	bad["spec"].(map[string]any)["replicas"] = "3"
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				assert.ErrorIs(t, v.Validate(bad, nil), validate.ErrInvalid)
				assert.NoError(t, v.Validate(decode(t, widget), nil))
				assert.ErrorIs(t, v.Validate(decode(t, "{apiVersion: x/v1, kind: Y}"), nil), validate.ErrNoSchema)
			}
		})
	}
	wg.Wait()
}
