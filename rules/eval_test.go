package rules

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

func mustWEC(t testing.TB, name string, labels map[string]string) *customization.WEC {
	t.Helper()
	w, err := customization.New(name, labels, nil, nil)
	require.NoError(t, err)
	return w
}

func deployment() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "team-a"},
		"spec":     map[string]any{"replicas": int64(1)},
	}}
}

func compileSpec(t testing.TB, spec string, opts ...Option) *Set {
	t.Helper()
	s, err := Compile([]Document{doc(t, "t", ruleDoc(spec))}, opts...)
	require.NoError(t, err)
	return s
}

func render(t testing.TB, s *Set, obj *unstructured.Unstructured, wecs ...*customization.WEC) []transform.Result {
	t.Helper()
	p := transform.NewPipeline(nil, []transform.Stage{s.Stage()})
	return p.RenderAll(context.Background(), []*unstructured.Unstructured{obj}, wecs)
}

func TestVariablesAreEvaluatedAtMostOncePerPair(t *testing.T) {
	// The variable costs about 105,000 units; used three times it must be charged once, so a
	// budget of 200,000 suffices.
	spec := `variables:
- {name: heavy, expression: "lists.range(10000).filter(i, i % 2 == 0).size()"}
actions:
- set: {path: $.spec.a, value: "variables.heavy"}
- set: {path: $.spec.b, value: "variables.heavy + 1"}
- set: {path: $.spec.c, value: "variables.heavy + 2"}`
	res := render(t, compileSpec(t, spec, CostLimit(200_000)), deployment(), mustWEC(t, "w", nil))
	require.NoError(t, res[0].Err)
	spec2 := strings.ReplaceAll(spec, "variables.heavy", "lists.range(10000).filter(i, i % 2 == 0).size()")
	spec2 = strings.Replace(spec2, "variables:\n- {name: heavy, expression: \"lists.range(10000).filter(i, i % 2 == 0).size()\"}\n", "", 1)
	res = render(t, compileSpec(t, spec2, CostLimit(200_000)), deployment(), mustWEC(t, "w", nil))
	require.ErrorIs(t, res[0].Err, ErrCostBudget, "without the variable the same work exceeds the budget")
	var re *transform.RenderError
	require.ErrorAs(t, res[0].Err, &re)
	assert.Equal(t, "rule r: spec.actions[1].set.value", re.By)
}

func TestUnusedVariablesAreNotEvaluated(t *testing.T) {
	s := compileSpec(t, `variables:
- {name: boom, expression: "1 / 0"}
actions:
- replicas: {value: 2}`)
	res := render(t, s, deployment(), mustWEC(t, "w", nil))
	require.NoError(t, res[0].Err)
}

func TestVariableErrorsNameTheVariable(t *testing.T) {
	s := compileSpec(t, `variables:
- {name: boom, expression: "1 / 0"}
actions:
- replicas: {value: "variables.boom"}`)
	res := render(t, s, deployment(), mustWEC(t, "w", nil))
	require.Error(t, res[0].Err)
	assert.Equal(t, "wec w: Deployment.apps team-a/web: rule r: spec.variables[0].expression: division by zero", res[0].Err.Error())
}

func TestRuntimeErrorsAreTyped(t *testing.T) {
	tests := []struct {
		name, spec string
		by, path   string
		is         error
		msg        string
	}{
		{"replicas type", "actions:\n- replicas: {value: \"dyn('3')\"}", "rule r: spec.actions[0].replicas.value", ".spec.replicas", ErrResultType,
			"replicas must be an int, not a string"},
		{"condition type", "match: {condition: \"dyn(object.metadata.name)\"}\nactions:\n- replicas: {value: 1}", "rule r: spec.match.condition", "", ErrResultType,
			"a condition must be a bool, not string"},
		{"json conversion", "actions:\n- set: {path: $.x, value: \"{1: 2}\"}", "rule r: spec.actions[0].set.value", ".x", ErrResultType,
			"map key 1 is a int, JSON needs string keys"},
		{"NaN", "actions:\n- set: {path: $.x, value: \"0.0 / 0.0\"}", "rule r: spec.actions[0].set.value", ".x", ErrResultType, "NaN is not a JSON number"},
		{"patch", "actions:\n- jsonPatch: [{op: remove, path: /nope}]", "rule r: spec.actions[0].jsonPatch[0]", "/nope", ErrPatch, `no member "nope"`},
		{"test op", "actions:\n- jsonPatch: [{op: test, path: /spec/replicas, value: 2}]", "rule r: spec.actions[0].jsonPatch[0]", "/spec/replicas", ErrTestFailed, "the value is 1, not 2"},
		{"budget", "actions:\n- set: {path: $.x, value: \"lists.range(1000).map(i, i).size()\"}", "rule r: spec.actions[0].set.value", ".x", ErrCostBudget, "budget of one object and WEC is 100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := render(t, compileSpec(t, tc.spec, CostLimit(100)), deployment(), mustWEC(t, "w", nil))
			require.Error(t, res[0].Err)
			assert.ErrorIs(t, res[0].Err, tc.is)
			assert.ErrorIs(t, res[0].Err, transform.ErrRender)
			var re *transform.RenderError
			require.ErrorAs(t, res[0].Err, &re)
			assert.Equal(t, "w", re.WEC)
			assert.Equal(t, tc.by, re.By)
			assert.Equal(t, tc.path, re.Path)
			assert.Contains(t, re.Err.Error(), tc.msg)
			assert.Nil(t, res[0].Object, "a failed pair has no object")
		})
	}
}

func TestOneFailingPairNeverStopsOthers(t *testing.T) {
	s := compileSpec(t, `actions:
- replicas: {value: "int(properties.replicas)"}`)
	var wecs []*customization.WEC
	for i := range 40 {
		labels := map[string]string{"replicas": fmt.Sprint(i)}
		if i%3 == 0 {
			labels = nil // no property: this pair fails
		}
		wecs = append(wecs, mustWEC(t, fmt.Sprintf("w%02d", i), labels))
	}
	objs := []*unstructured.Unstructured{deployment(), deployment()}
	objs[1].SetName("api")
	p := transform.NewPipeline(nil, []transform.Stage{s.Stage()})
	res := p.RenderAll(context.Background(), objs, wecs)
	require.Len(t, res, 80)
	for i, r := range res {
		w := i / 2
		if w%3 == 0 {
			require.Error(t, r.Err, r.WEC)
			continue
		}
		require.NoError(t, r.Err)
		assert.Equal(t, int64(w), r.Object.Object["spec"].(map[string]any)["replicas"])
		assert.Equal(t, []string{"replicas"}, r.Deps.Properties)
	}
}

func TestConcurrentRendersShareOneSet(t *testing.T) {
	s := compileSpec(t, `variables:
- {name: size, expression: "cluster.name.size()"}
actions:
- set: {path: $.spec.replicas, value: "variables.size"}
- labels: {add: {wec: "{{ .clusterName }}"}}`)
	p := transform.NewPipeline(nil, []transform.Stage{s.Stage()})
	prep := p.Prepare(context.Background(), deployment())
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			name := strings.Repeat("w", i+1)
			r := p.Render(context.Background(), prep, mustWEC(t, name, nil))
			assert.NoError(t, r.Err)
			assert.Equal(t, int64(i+1), r.Object.Object["spec"].(map[string]any)["replicas"])
			assert.Equal(t, name, r.Object.GetLabels()["wec"])
		})
	}
	wg.Wait()
}

func TestCancelledContextFailsEvenIgnoreRules(t *testing.T) {
	s := compileSpec(t, `onError: Ignore
actions:
- set: {path: $.x, value: "lists.range(100000).map(i, i).size()"}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := transform.NewPipeline(nil, []transform.Stage{s.Stage()})
	prep := p.Prepare(context.Background(), deployment())
	r := p.Render(ctx, prep, mustWEC(t, "w", nil))
	require.ErrorIs(t, r.Err, context.Canceled)

	// Called directly, without the pipeline's own check, the CEL evaluation notices too.
	st := s.Stage().Transform
	env := &transform.Env{Context: ctx, WEC: mustWEC(t, "w", nil)}
	err := st.Transform(env, transform.NewObject(deployment().Object))
	require.ErrorIs(t, err, context.Canceled)
}

func TestStageWithoutWECOrPrepare(t *testing.T) {
	s := compileSpec(t, "match: {resources: [{group: apps, kind: Deployment}]}\nactions:\n- replicas: {value: 3}")
	st := s.Stage()
	assert.Equal(t, "rules", st.Name)
	err := st.Transform.Transform(&transform.Env{Context: context.Background()}, transform.NewObject(deployment().Object))
	require.ErrorIs(t, err, ErrNoWEC)

	// Without Prepare the stage selects rules itself.
	obj := transform.NewObject(deployment().Object)
	env := &transform.Env{WEC: mustWEC(t, "w", nil)}
	require.NoError(t, st.Transform.Transform(env, obj))
	assert.Equal(t, int64(3), obj.Root()["spec"].(map[string]any)["replicas"])

	// Prepare returns nil for an object no rule can match.
	pr := st.Transform.(transform.Preparer)
	svc := map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"}}
	bound, err := pr.Prepare(&transform.Env{}, transform.NewObject(svc))
	require.NoError(t, err)
	assert.Nil(t, bound)
}

func TestIgnoreWarningNamesRuleActionWECAndObject(t *testing.T) {
	s := compileSpec(t, `onError: Ignore
actions:
- labels: {add: {a: b}}
- replicas: {value: "int(properties.missing)"}`)
	res := render(t, s, deployment(), mustWEC(t, "w", nil))
	require.NoError(t, res[0].Err)
	assert.Equal(t, []string{"wec w: Deployment.apps team-a/web: rule r: spec.actions[1].replicas.value: no such key: missing (rule skipped: onError is Ignore)"}, res[0].Warnings)
	assert.Empty(t, res[0].Object.GetLabels(), "the skipped rule's earlier action is rolled back")
	assert.Empty(t, res[0].Changes())
}

func TestObjectIsTheObjectAsTheRuleBegan(t *testing.T) {
	tests := []struct {
		name, spec string
		fork       bool
		want       string
	}{
		{"later action reads object", `actions:
- replicas: {value: 10}
- set: {path: $.metadata.annotations.seen, value: "string(object.spec.replicas)"}`, true, "1"},
		{"variable reads object", `variables:
- {name: r, expression: "object.spec.replicas"}
actions:
- replicas: {value: 10}
- set: {path: $.metadata.annotations.seen, value: "string(variables.r)"}`, true, "1"},
		{"only the first expression reads object", `actions:
- set: {path: $.metadata.annotations.seen, value: "string(object.spec.replicas)"}
- replicas: {value: 10}`, false, "1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := compileSpec(t, tc.spec)
			assert.Equal(t, tc.fork, s.rules[0].fork)
			res := render(t, s, deployment(), mustWEC(t, "w", nil))
			require.NoError(t, res[0].Err)
			assert.Equal(t, tc.want, res[0].Object.GetAnnotations()["seen"])
			assert.Equal(t, int64(10), res[0].Object.Object["spec"].(map[string]any)["replicas"])
		})
	}
}
