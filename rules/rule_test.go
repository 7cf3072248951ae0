package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompileRuleThenNewSetEqualsCompile(t *testing.T) {
	mk := func(name, spec string) Document {
		return doc(t, name, strings.Replace(ruleDoc(spec), "name: r", "name: "+name, 1))
	}
	docs := []Document{
		mk("c", "priority: 1\nactions:\n- replicas: {value: 1}"),
		mk("a", "actions:\n- replicas: {value: 1}"),
		mk("b", "actions:\n- set: {path: \"$['spec'].replicas\", value: \"2\"}"),
	}
	whole, err := Compile(docs)
	require.NoError(t, err)
	var rs []*Rule
	for _, d := range docs {
		r, err := CompileRule(d)
		require.NoError(t, err)
		rs = append(rs, r)
	}
	set, err := NewSet(rs)
	require.NoError(t, err)
	assert.Equal(t, whole.Names(), set.Names())
	assert.Equal(t, whole.Warnings(), set.Warnings())
	assert.Equal(t, whole.costLimit, set.costLimit)
	assert.Equal(t, "c", rs[0].Name())
	assert.Equal(t, docs[0].Source, rs[0].Source())
	// The same compiled rules form a second set: nothing is compiled again or shared mutably.
	again, err := NewSet(rs[1:])
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, again.Names())
	assert.Equal(t, []string{"a", "b", "c"}, set.Names())
}

func TestCompileRuleReportsItsProblems(t *testing.T) {
	d := doc(t, "bad", strings.Replace(ruleDoc("actions:\n- replicas: {value: \"nope(\"}"), "name: r", "name: bad", 1))
	r, err := CompileRule(d)
	require.Error(t, err)
	assert.Nil(t, r)
	var ce *CompileError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, d.Source, ce.Source)
	assert.True(t, errors.Is(err, ErrCompile))
}

func TestNewSetRejectsDuplicatesAndMixedCostLimits(t *testing.T) {
	d := doc(t, "x", ruleDoc(okAction))
	a, err := CompileRule(d)
	require.NoError(t, err)
	b, err := CompileRule(Document{Source: "other.yaml#1", Object: d.Object})
	require.NoError(t, err)
	_, err = NewSet([]*Rule{a, b})
	var ce *CompileError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "other.yaml#1", ce.Source)
	assert.Contains(t, err.Error(), "duplicate rule name (also defined in "+d.Source+")")

	cheap, err := CompileRule(doc(t, "y", strings.Replace(ruleDoc(okAction), "name: r", "name: cheap", 1)), CostLimit(5))
	require.NoError(t, err)
	_, err = NewSet([]*Rule{a, cheap})
	assert.ErrorIs(t, err, ErrOptionsDiffer)

	_, err = NewSet([]*Rule{nil})
	assert.Error(t, err)
	empty, err := NewSet(nil)
	require.NoError(t, err)
	assert.Equal(t, 0, empty.Len())
}

func TestRuleMatches(t *testing.T) {
	spec := "match:\n  resources: [{group: apps, kind: Deployment}]\n  namespaces: [prod]\n" +
		"  labelSelector: {matchLabels: {tier: web}}\n" + okAction
	r, err := CompileRule(doc(t, "m", ruleDoc(spec)))
	require.NoError(t, err)
	obj := func(kind, ns string, labels map[string]any) map[string]any {
		return map[string]any{"apiVersion": "apps/v1", "kind": kind,
			"metadata": map[string]any{"name": "w", "namespace": ns, "labels": labels}}
	}
	web := map[string]any{"tier": "web"}
	assert.True(t, r.Matches(obj("Deployment", "prod", web)))
	assert.False(t, r.Matches(obj("StatefulSet", "prod", web)), "kind")
	assert.False(t, r.Matches(obj("Deployment", "dev", web)), "namespace")
	assert.False(t, r.Matches(obj("Deployment", "prod", map[string]any{"tier": "db"})), "labels")
	assert.False(t, r.Matches(obj("Deployment", "prod", nil)), "no labels")

	all, err := CompileRule(doc(t, "all", ruleDoc(okAction)))
	require.NoError(t, err)
	assert.True(t, all.Matches(obj("ConfigMap", "", nil)))
	assert.True(t, all.Matches(map[string]any{}), "an object without identity still reaches a rule matching everything")
	assert.NotPanics(t, func() { r.Matches(map[string]any{"metadata": "x"}) })
}
