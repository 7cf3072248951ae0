package rules

import (
	"context"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

// FuzzCompileRenderBudget compiles an arbitrary rule spec and renders it under small limits,
// with a budget oracle: a rendered object fits the object-size and depth limits (measured
// independently with transform.SizeOf); a budget failure is a RenderError naming the rule
// and wraps a BudgetError or CostError; and a pair that renders under the small limits
// renders the same object under limits ten times larger.
func FuzzCompileRenderBudget(f *testing.F) {
	for _, s := range []string{
		"actions:\n- set: {path: $.spec.x, value: \"lists.range(1000).map(i, object)\"}",
		"actions:\n- jsonPatch: [{op: copy, from: /spec, path: /t}, {op: copy, from: /t, path: /spec/a}, {op: copy, from: /t, path: /spec/b}]",
		"actions:\n- set: {path: $.spec.x, value: \"'%s%s'.format([object.metadata.name, cluster.name])\"}",
		"variables:\n- {name: v, expression: \"[object, object]\"}\nactions:\n- set: {path: $.spec.x, value: \"[variables.v, variables.v]\"}",
		"actions:\n- set: {path: $.a.b.c.d.e.f, template: \"{{ range 100 }}{{ $.region }}{{ end }}\"}",
		"actions:\n- mergePatch: {spec: {a: {b: {c: [1, 2, 3]}}}}",
		"actions:\n- labels: {add: {x: \"{{ .region }}\"}}",
	} {
		f.Add(s)
	}
	wec, err := customization.New("wec1", map[string]string{"region": "eu"}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	small := transform.Limits{MaxSteps: 200_000, MaxBytes: 20_000, MaxObjectBytes: 8_000, MaxDepth: 12}
	large := transform.Limits{MaxSteps: 2_000_000, MaxBytes: 200_000, MaxObjectBytes: 80_000, MaxDepth: 120}
	f.Fuzz(func(t *testing.T, spec string) {
		var m map[string]any
		if yaml.Unmarshal([]byte(spec), &m) != nil || m == nil {
			return
		}
		set, err := Compile([]Document{{Source: "fuzz", Object: map[string]any{
			"apiVersion": APIVersion, "kind": Kind, "metadata": map[string]any{"name": "f"}, "spec": m,
		}}}, CostLimit(uint64(small.MaxSteps)))
		if err != nil {
			return
		}
		objs := []*unstructured.Unstructured{deployment()}
		ps := transform.NewPipeline(nil, []transform.Stage{set.Stage()}, transform.WithLimits(small))
		pl := transform.NewPipeline(nil, []transform.Stage{set.Stage()}, transform.WithLimits(large))
		rs := ps.RenderAll(context.Background(), objs, []*customization.WEC{wec})[0]
		if rs.Err != nil {
			var re *transform.RenderError
			if !errors.As(rs.Err, &re) {
				t.Fatalf("not a RenderError: %T %v", rs.Err, rs.Err)
			}
			var be *transform.BudgetError
			if errors.As(rs.Err, &be) && re.By == "" {
				t.Fatalf("a budget error that names no stage or rule: %v", rs.Err)
			}
			return
		}
		size := transform.SizeOf(rs.Object.Object, small.MaxObjectBytes, small.MaxDepth)
		if size.Over || size.TooDeep {
			t.Fatalf("rendered object outside the limits: %+v", size)
		}
		rl := pl.RenderAll(context.Background(), objs, []*customization.WEC{wec})[0]
		if rl.Err != nil || !transform.Equal(rl.Object.Object, rs.Object.Object) {
			t.Fatalf("a larger budget changed the result: %v", rl.Err)
		}
	})
}
