package adversarial

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/transform"
)

// hangDeadline only detects hangs: every case ends in well under a second on an idle core.
// It is not a performance claim, and no case asserts a duration.
const hangDeadline = 2 * time.Minute

// TestCatalogue runs every case of testdata/adversarial/cases.yaml and asserts the error
// class it must hit: which limit was charged past (steps or bytes) is deterministic, so
// every run fails the same way. A case that hits its deadline failed as a hang.
func TestCatalogue(t *testing.T) {
	cases, err := Load()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(cases), 30)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), hangDeadline)
			defer cancel()
			err := Run(ctx, c)
			require.Error(t, err, c.Reason)
			require.NoError(t, ctx.Err(), "hung until the deadline: %v", err)
			assert.Equal(t, c.Expect, Classify(err), "%s\n%v", c.Reason, err)
			if c.Expect != "compile" {
				var re *transform.RenderError
				require.True(t, errors.As(err, &re), "a pair's error: %v", err)
				assert.NotEmpty(t, re.By, "names the stage or rule")
			}
		})
	}
}

// The first attack of the issue in full: every WEC of a fleet fails, each with its own
// error, and the error names the WEC, the object, the stage and the field.
func TestSelfCallingTemplateFailsEachPairWithItsName(t *testing.T) {
	cases, err := Load()
	require.NoError(t, err)
	var c Case
	for _, x := range cases {
		if x.Name == "template-self-call-twice-per-level" {
			c = x
		}
	}
	require.NotEmpty(t, c.Name)
	err = Run(context.Background(), c)
	var re *transform.RenderError
	require.True(t, errors.As(err, &re))
	assert.Equal(t, "wec1", re.WEC)
	assert.Equal(t, "ConfigMap", re.Object.Kind)
	assert.Equal(t, "templates", re.By)
	assert.Equal(t, ".data.x", re.Path)
	assert.Contains(t, err.Error(), "100000 steps")
}

// A tree built in Go may share one subtree in many places: 2^60 logical nodes in a few
// hundred bytes of memory. The pipeline measures it, within the limit, before copying it.
func TestSharedSubtreeInputIsMeasuredBeforeCopying(t *testing.T) {
	var v any = "leaf"
	for range 60 {
		v = map[string]any{"a": v, "b": v}
	}
	in := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "dag"}, "data": v}}
	p := transform.NewPipeline(nil, nil)
	prep := p.Prepare(context.Background(), in)
	var be *transform.BudgetError
	require.True(t, errors.As(prep.Err, &be), "%v", prep.Err)
	assert.Equal(t, transform.LimitObjectBytes, be.Kind)
	assert.Contains(t, prep.Err.Error(), "ConfigMap dag: input")

	// Deeper than MaxDepth: a chain, shared or not, is refused the same way.
	v = "leaf"
	for range 300 {
		v = map[string]any{"a": v}
	}
	in.Object["data"] = v
	require.True(t, errors.As(p.Prepare(context.Background(), in).Err, &be))
	assert.Equal(t, transform.LimitDepth, be.Kind)
}

// A custom stage that panics fails its pair with a *PanicError; other pairs render.
func TestPanickingStageFailsOnlyItsPair(t *testing.T) {
	boom := transform.Func(func(env *transform.Env, obj *transform.Object) error {
		if env.WEC.Name() == "bad" {
			panic(fmt.Errorf("stage bug for %s", env.WEC.Name()))
		}
		return nil
	})
	p := transform.NewPipeline(nil, []transform.Stage{transform.Named("custom", boom)})
	good, _ := customization.New("good", nil, nil, nil)
	bad, _ := customization.New("bad", nil, nil, nil)
	res := p.RenderAll(context.Background(), []*unstructured.Unstructured{cm()}, []*customization.WEC{good, bad})
	require.NoError(t, res[0].Err)
	var pe *transform.PanicError
	require.True(t, errors.As(res[1].Err, &pe), "%v", res[1].Err)
	assert.ErrorIs(t, res[1].Err, transform.ErrStagePanic)
	assert.Contains(t, res[1].Err.Error(), "stage bug for bad")
	assert.Contains(t, res[1].Err.Error(), "wec bad")
	assert.Contains(t, res[1].Err.Error(), "custom")
}

// A custom stage's writes are accounted like the built-in stages': a value larger than an
// object may be fails the write, names the stage, and leaves the pair failed.
func TestCustomStageWritesAreAccounted(t *testing.T) {
	huge := transform.Func(func(env *transform.Env, obj *transform.Object) error {
		l := make([]any, 100_000)
		for i := range l {
			l[i] = "0123456789"
		}
		return obj.SetAt(nil, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": l})
	})
	p := transform.NewPipeline(nil, []transform.Stage{transform.Named("custom", huge)})
	w, _ := customization.New("w", nil, nil, nil)
	res := p.Render(context.Background(), p.Prepare(context.Background(), cm()), w)
	assert.Equal(t, "size", Classify(res.Err), "%v", res.Err)
}

// The per-object budget bounds what all WECs' renders of one object produce together.
func TestPerObjectBudget(t *testing.T) {
	set := rules.MustCompile([]rules.Document{{Source: "r", Object: map[string]any{
		"apiVersion": rules.APIVersion, "kind": rules.Kind, "metadata": map[string]any{"name": "r"},
		"spec": map[string]any{"actions": []any{map[string]any{"set": map[string]any{"path": "$.data.x", "value": "cluster.name + '-' + cluster.name"}}}},
	}}})
	p := transform.NewPipeline(nil, []transform.Stage{set.Stage()}, transform.WithLimits(transform.Limits{MaxBytesPerObject: 1000}))
	prep := p.Prepare(context.Background(), cm())
	var failed int
	for i := range 200 {
		w, err := customization.New(fmt.Sprintf("wec-%03d", i), nil, nil, nil)
		require.NoError(t, err)
		res := p.Render(context.Background(), prep, w)
		if res.Err != nil {
			assert.Equal(t, "perObject", Classify(res.Err), "%v", res.Err)
			failed++
		}
	}
	// Each pair grows the object by 22 bytes (a member "x" holding "wec-NNN-wec-NNN"), more
	// than the 17 bytes its CEL result took: 1000 bytes cover 45 pairs, the other 155 fail.
	assert.Equal(t, 155, failed)
}

// Typed nils: a nil *ManagedCluster is an error, a nil WEC fails the pair, a nil input
// object renders as an empty object; none panics.
func TestTypedNils(t *testing.T) {
	_, err := customization.FromManagedCluster((*clusterv1.ManagedCluster)(nil), nil)
	require.ErrorIs(t, err, customization.ErrInvalidWEC)

	set := rules.MustCompile([]rules.Document{{Source: "r", Object: map[string]any{
		"apiVersion": rules.APIVersion, "kind": rules.Kind, "metadata": map[string]any{"name": "r"},
		"spec": map[string]any{"actions": []any{map[string]any{"set": map[string]any{"path": "$.data.x", "value": "cluster.name"}}}},
	}}})
	p := transform.NewPipeline(nil, []transform.Stage{set.Stage()})
	res := p.Render(context.Background(), p.Prepare(context.Background(), cm()), nil)
	require.ErrorIs(t, res.Err, rules.ErrNoWEC)
	assert.NotPanics(t, func() {
		prep := p.Prepare(context.Background(), nil)
		w, _ := customization.New("w", nil, nil, nil)
		_ = p.Render(context.Background(), prep, w)
		_ = p.Prepare(context.Background(), &unstructured.Unstructured{})
		_ = p.RenderAll(context.Background(), []*unstructured.Unstructured{nil, cm()}, []*customization.WEC{nil, w})
	})
}

// A YAML document that expands aliases exponentially ("billion laughs") is refused by the
// decoder the project reads documents with, before any object exists.
func TestYAMLAliasBombIsRefused(t *testing.T) {
	doc := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		doc += fmt.Sprintf("%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", n, n, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = n
	}
	var m map[string]any
	require.Error(t, yaml.Unmarshal([]byte(doc), &m))
}

func cm() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "c", "namespace": "n"}, "data": map[string]any{"a": "b"}}}
}
