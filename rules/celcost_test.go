package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types/ref"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

// long is a value whose size matters to every size-dependent cost.
var long = strings.Repeat("x", 5000)

// costWEC has the properties, labels and name the expressions below read.
func costWEC(t testing.TB) *customization.WEC {
	t.Helper()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: customization.PropertiesNamespace},
		Data:       map[string]string{"long": long},
	}
	w, err := customization.New("w", map[string]string{"replicas": "3", "minReady": "10", "region": "eu-west", "a": "b"}, nil, cm)
	require.NoError(t, err)
	return w
}

// costObject is the object the expressions below see.
func costObject() map[string]any {
	return map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "team-a", "labels": map[string]any{"app": long}},
		"spec": map[string]any{"replicas": int64(2), "s": long, "l": []any{long, int64(1)},
			"m": map[string]any{"a": long}},
	}
}

// compileCostExpr compiles one expression as a clusters condition sees it.
func compileCostExpr(t testing.TB, text string) *expr {
	t.Helper()
	e, err := sharedEnvs()
	require.NoError(t, err)
	p := &problems{}
	x := compileExpr(e.full, p, "f", text, resultAny, DefaultCostLimit, clusterScope)
	require.NotNil(t, x, "%s: %v", text, p)
	return x
}

// evalWithBudget evaluates x for a fresh pair with the given budget and returns the value,
// the error and what was charged.
func evalWithBudget(t testing.TB, ctx context.Context, x *expr, budget uint64) (ref.Val, uint64, error) {
	t.Helper()
	e, err := sharedEnvs()
	require.NoError(t, err)
	env := &transform.Env{Context: ctx, WEC: costWEC(t), Deps: &customization.Dependencies{}}
	ev := &pairEval{ctx: ctx, env: env, budget: budget, limit: budget, adapter: e.adapter}
	ev.begin(&rule{}, costObject())
	v, err := ev.eval(x)
	return v, budget - ev.budget, err
}

// tracked returns x without its untracked program.
func tracked(x *expr) *expr {
	c := *x
	c.fast = nil
	return &c
}

func TestStaticallyBoundedExpressionsRunUntracked(t *testing.T) {
	for _, text := range []string{
		// The rules of the benchmarks and the examples.
		"int(properties.replicas)",
		"int(properties.minReady) * 2",
		`properties.region == "x"`,
		`properties.long != "xxxxxxxxxxxxxxxxxxxxxxxxx"`,
		`properties.long < "y"`,
		`properties.long.startsWith("x")`,
		`cluster.labels["a"]`,
		`cluster.labels["a"] == "b" ? 1 : 2`,
		`cluster.configMap.long == "x"`,
		"cluster.name",
		`"replicas" in properties`,
		`properties.?missing.orValue("d")`,
		// Field selections on dyn values, which the estimator alone undercounts.
		"object.spec.replicas > 1",
		"object.spec.replicas == 1 || object.spec.replicas == 2",
		`object.spec.replicas > 1 ? object.spec.s : "x"`,
		"object.spec.m.a == 'x'",
		"object.spec.l[1]",
		`object["spec"]["replicas"]`,
		"object.?spec.?replicas.orValue(1)",
		"[object.spec.replicas, 1]",
		`{"a": object.spec}`,
		"object.spec.l.slice(0, 1)",
		"math.greatest(object.spec.replicas, 1)",
		"has(object.spec.replicas)",
		"has(object.metadata.labels.app)",
		// Constants, errors.
		"2",
		"{1: 2}",
		"1 / 0",
		"int(properties.region)",
		"object.spec.nope",
	} {
		t.Run(text, func(t *testing.T) {
			x := compileCostExpr(t, text)
			require.NotNil(t, x.fast, "statically bounded: planned untracked")
			assert.LessOrEqual(t, x.fast.max, uint64(staticCostThreshold))

			v, charged, err := evalWithBudget(t, context.Background(), x, DefaultCostLimit)
			assert.Equal(t, x.fast.max, charged, "charged the static bound")
			tv, tcharged, terr := evalWithBudget(t, context.Background(), tracked(x), DefaultCostLimit)
			assert.LessOrEqual(t, tcharged, charged, "the static bound covers the actual cost")
			if terr != nil {
				require.Error(t, err)
				assert.Equal(t, terr.Error(), err.Error(), "same error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tv.Value(), v.Value(), "same value")
		})
	}
}

func TestUnboundedExpressionsAreTracked(t *testing.T) {
	for _, text := range []string{
		// Costs that depend on sizes the estimator cannot know.
		`object.metadata.name + "-" + cluster.name`,
		`properties.region.matches("^eu-.*")`,
		`properties.long.contains("y")`,
		`properties.long.lowerAscii()`,
		`properties.long.split(",")`,
		`cluster.name.indexOf("x")`,
		"object.spec.s == object.spec.m.a",
		// Work or results larger than their static estimate.
		"size(object.spec.s)",
		`"%s".format([object.spec.s])`,
		// Comprehensions, even bounded ones.
		"[1, 2, 3].map(i, i * 2)",
		"lists.range(1000).map(i, i).size()",
		`cluster.labels.exists(k, k == "a")`,
	} {
		t.Run(text, func(t *testing.T) {
			x := compileCostExpr(t, text)
			assert.Nil(t, x.fast)
			_, charged, err := evalWithBudget(t, context.Background(), x, DefaultCostLimit)
			require.NoError(t, err)
			assert.NotZero(t, charged, "charged its actual cost")
		})
	}
}

func TestBudgetBelowTheStaticBoundFallsBackToTracking(t *testing.T) {
	// The bound counts the costlier branch; this pair takes the cheap one.
	const text = "cluster.name == 'w' ? 1 : int(properties.replicas) + int(properties.minReady) + int(properties.replicas)"
	x := compileCostExpr(t, text)
	require.NotNil(t, x.fast)
	_, actual, err := evalWithBudget(t, context.Background(), tracked(x), DefaultCostLimit)
	require.NoError(t, err)
	require.Less(t, actual, x.fast.max)

	// A budget between the actual cost and the bound: tracked, charged the actual cost, as
	// before there was an untracked program.
	v, charged, err := evalWithBudget(t, context.Background(), x, x.fast.max-1)
	require.NoError(t, err)
	assert.Equal(t, int64(1), v.Value())
	assert.Equal(t, actual, charged)

	// A budget below the actual cost fails as it always did.
	_, _, err = evalWithBudget(t, context.Background(), x, actual-1)
	require.ErrorIs(t, err, ErrCostBudget)
	assert.Contains(t, err.Error(), fmt.Sprintf("the budget of one object and WEC is %d", actual-1))

	// Through a whole render too.
	spec := "actions:\n- set: {path: $.x, value: \"" + text + "\"}"
	res := render(t, compileSpec(t, spec, CostLimit(actual)), deployment(), costWEC(t))
	require.NoError(t, res[0].Err)
	assert.Equal(t, int64(1), res[0].Object.Object["x"])
	res = render(t, compileSpec(t, spec, CostLimit(actual-1)), deployment(), costWEC(t))
	require.ErrorIs(t, res[0].Err, ErrCostBudget)
}

func TestVariablesReadByUntrackedExpressionsAreChargedSeparately(t *testing.T) {
	const spec = `variables:
- {name: heavy, expression: "lists.range(100).filter(i, i % 2 == 0).size()"}
- {name: light, expression: "int(properties.replicas)"}
actions:
- set: {path: $.spec.a, value: "variables.heavy + variables.light"}`
	r := compileSpec(t, spec).rules[0]
	heavy, light, value := r.vars[0], r.vars[1], r.actions[0].(*setAction).value
	require.Nil(t, heavy.fast, "a comprehension is tracked")
	require.NotNil(t, light.fast)
	require.NotNil(t, value.fast, "reading a variable is bounded whatever the variable costs")
	_, heavyCost, err := evalWithBudget(t, context.Background(), heavy, DefaultCostLimit)
	require.NoError(t, err)
	require.NotZero(t, heavyCost)

	env := &transform.Env{Context: context.Background(), WEC: costWEC(t), Deps: &customization.Dependencies{}}
	ev := &pairEval{ctx: env.Context, env: env, budget: DefaultCostLimit, limit: DefaultCostLimit}
	ev.begin(r, map[string]any{})
	v, err := ev.eval(value)
	require.NoError(t, err)
	assert.Equal(t, int64(53), v.Value())
	total := heavyCost + light.fast.max + value.fast.max
	assert.Equal(t, total, DefaultCostLimit-ev.budget, "each variable charged once, on its own, plus the expression's bound")

	// The variables use up the budget while the expression runs: the expression's own charge
	// then fails the pair, as a tracked expression's would.
	ev = &pairEval{ctx: env.Context, env: env, budget: total - 1, limit: total - 1}
	ev.begin(r, map[string]any{})
	require.GreaterOrEqual(t, ev.budget, value.fast.max)
	_, err = ev.eval(value)
	require.ErrorIs(t, err, ErrCostBudget)
	assert.Zero(t, ev.budget)

	// Through a whole render, the same sums.
	res := render(t, compileSpec(t, spec, CostLimit(total)), deployment(), costWEC(t))
	require.NoError(t, res[0].Err)
	assert.Equal(t, int64(53), res[0].Object.Object["spec"].(map[string]any)["a"])
	res = render(t, compileSpec(t, spec, CostLimit(total-1)), deployment(), costWEC(t))
	require.ErrorIs(t, res[0].Err, ErrCostBudget)
}

func TestCancelledContextFailsUntrackedExpressions(t *testing.T) {
	x := compileCostExpr(t, "int(properties.replicas)")
	require.NotNil(t, x.fast)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := evalWithBudget(t, ctx, x, DefaultCostLimit)
	require.ErrorIs(t, err, context.Canceled)

	// A whole pair, bypassing the pipeline's own check, fails even with onError Ignore.
	s := compileSpec(t, `onError: Ignore
actions:
- replicas: {value: "int(properties.replicas)"}`)
	require.NotNil(t, s.rules[0].actions[0].(*replicasAction).value.fast)
	env := &transform.Env{Context: ctx, WEC: costWEC(t)}
	err = s.Stage().Transform.Transform(env, transform.NewObject(deployment().Object))
	require.ErrorIs(t, err, context.Canceled)

	// With a live context the same pair succeeds.
	env = &transform.Env{Context: context.Background(), WEC: costWEC(t)}
	obj := transform.NewObject(deployment().Object)
	require.NoError(t, s.Stage().Transform.Transform(env, obj))
	assert.Equal(t, int64(3), obj.Root()["spec"].(map[string]any)["replicas"])
}

// The operations whose work is linear in their operands are charged linearly: size() of a
// string, == on lists and maps (nested ones included) and string.format (by its result).
// Each pair of expressions differs only in the size of what they work on.
func TestLinearOperationsAreChargedLinearly(t *testing.T) {
	for _, c := range []struct{ small, large string }{
		{`size("ab") > 0`, `size(object.spec.s + object.spec.s + object.spec.s) > 0`},
		{"[[1]] == [[1]]", "[object.spec.l, object.spec.l] == [object.spec.l, object.spec.l]"},
		{`{"a": [1]} == {"a": [1]}`, `{"a": object.spec} == {"a": object.spec}`},
		{`"%s".format(["a"]) != ""`, `"%s%s%s".format([object.spec.s, object.spec.s, object.spec.s]) != ""`},
	} {
		t.Run(c.large, func(t *testing.T) {
			_, small, err := evalWithBudget(t, context.Background(), tracked(compileCostExpr(t, c.small)), DefaultCostLimit)
			require.NoError(t, err)
			_, large, err := evalWithBudget(t, context.Background(), tracked(compileCostExpr(t, c.large)), DefaultCostLimit)
			require.NoError(t, err)
			// long is 5,000 bytes: one traversal costs at least 500 units more.
			assert.Greater(t, large, small+500, "charged by size")
		})
	}
}

// string.format's precision is capped at 100 (cel-go's StringsMaxPrecision): a huge
// precision is an error, not a huge string.
func TestFormatPrecisionIsCapped(t *testing.T) {
	// The format string is computed, so only the runtime cap can stop it.
	_, _, err := evalWithBudget(t, context.Background(), compileCostExpr(t, `("%." + string(100000000) + "f").format([1.0])`), DefaultCostLimit)
	require.ErrorContains(t, err, "precision")
	v, _, err := evalWithBudget(t, context.Background(), compileCostExpr(t, `"%.3f".format([1.0])`), DefaultCostLimit)
	require.NoError(t, err)
	assert.Equal(t, "1.000", v.Value())
}
