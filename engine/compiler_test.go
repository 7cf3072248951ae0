package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/rules"
)

// ruleFor is a CustomizationRule labelling the Deployments named name.
func ruleFor(name, value string) map[string]any {
	return map[string]any{"apiVersion": "wecforge.io/v1alpha1", "kind": "CustomizationRule",
		"metadata": map[string]any{"name": "r-" + name},
		"spec": map[string]any{
			"match":   map[string]any{"resources": []any{map[string]any{"group": "apps", "kind": "Deployment"}}, "names": []any{name}},
			"actions": []any{map[string]any{"labels": map[string]any{"add": map[string]any{"v": value}}}},
		}}
}

func customTransform(name, group, resource string, remove ...string) map[string]any {
	rm := []any{}
	for _, r := range remove {
		rm = append(rm, r)
	}
	return map[string]any{"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "CustomTransform",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"apiGroup": group, "resource": resource, "remove": rm}}
}

func deployment(name string) map[string]any {
	return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": name, "namespace": "ns"}}
}

func configMap(name string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name, "namespace": "ns"}}
}

// hundred is 100 rules r-d0…r-d99 and a CustomTransform on configmaps.
func hundred() []engine.Document {
	var out []engine.Document
	for i := range 100 {
		out = append(out, engine.Document{Source: fmt.Sprintf("live/r-d%d", i), Object: ruleFor(fmt.Sprintf("d%d", i), "1")})
	}
	return append(out, engine.Document{Source: "live/ct", Object: customTransform("cm", "", "configmaps", "$.data.secret")})
}

func TestCompilerRecompilesOnlyTheChangedRule(t *testing.T) {
	c := engine.NewCompiler(engine.Config{})
	docs := hundred()
	e, ch, err := c.Compile(docs)
	require.NoError(t, err)
	assert.Len(t, e.Rules(), 100)
	assert.True(t, ch.Everything(), "the first compile affects everything")
	assert.Equal(t, 100, c.RulesCompiled())

	// The same documents again: the same engine, nothing compiled, nothing changed.
	again, ch, err := c.Compile(docs)
	require.NoError(t, err)
	assert.Same(t, e, again)
	assert.True(t, ch.Empty())
	assert.Equal(t, 100, c.RulesCompiled())

	// A status or resourceVersion update compiles nothing and changes nothing.
	docs[7].Object["status"] = map[string]any{"errors": []any{}}
	docs[7].Object["metadata"].(map[string]any)["resourceVersion"] = "12"
	_, ch, err = c.Compile(docs)
	require.NoError(t, err)
	assert.True(t, ch.Empty())
	assert.Equal(t, 100, c.RulesCompiled())

	// One rule of a hundred edited: one compile; only its Deployment is affected.
	docs[42] = engine.Document{Source: docs[42].Source, Object: ruleFor("d42", "2")}
	e, ch, err = c.Compile(docs)
	require.NoError(t, err)
	assert.Equal(t, 101, c.RulesCompiled())
	assert.Len(t, e.Rules(), 100)
	assert.False(t, ch.Empty())
	assert.False(t, ch.Everything())
	assert.Equal(t, []string{"CustomizationRule.wecforge.io/r-d42"}, ch.Documents())
	assert.True(t, ch.Affects(deployment("d42")))
	assert.False(t, ch.Affects(deployment("d41")))
	assert.False(t, ch.Affects(configMap("d42")))

	// A rule moved to other objects affects the objects of both versions.
	moved := ruleFor("d43", "1")
	moved["metadata"] = map[string]any{"name": "r-d42"}
	docs[42] = engine.Document{Source: docs[42].Source, Object: moved}
	_, ch, err = c.Compile(docs)
	require.NoError(t, err)
	assert.True(t, ch.Affects(deployment("d42")), "the old version matched it")
	assert.True(t, ch.Affects(deployment("d43")), "the new version matches it")
	assert.False(t, ch.Affects(deployment("d44")))
}

func TestCompilerInvalidRuleCompilesOnceAndLeavesTheOthers(t *testing.T) {
	c := engine.NewCompiler(engine.Config{})
	docs := hundred()
	bad := ruleFor("d5", "1")
	bad["spec"].(map[string]any)["actions"] = []any{map[string]any{"replicas": map[string]any{"value": "nope("}}}
	docs[5] = engine.Document{Source: "live/r-d5", Object: bad}
	e, _, err := c.Compile(docs)
	require.Error(t, err)
	assert.ErrorIs(t, err, engine.ErrDocument)
	assert.ErrorIs(t, err, rules.ErrCompile)
	assert.Contains(t, err.Error(), "live/r-d5")
	assert.Len(t, e.Rules(), 99)
	assert.Equal(t, 100, c.RulesCompiled(), "each document compiled once: the valid ones are not compiled again")

	// Compiled again unchanged: the invalid document's error is reused, not recomputed.
	_, ch, err := c.Compile(docs)
	require.Error(t, err)
	assert.True(t, ch.Empty())
	assert.Equal(t, 100, c.RulesCompiled())

	// Fixing it affects only its objects.
	docs[5] = engine.Document{Source: "live/r-d5", Object: ruleFor("d5", "3")}
	e, ch, err = c.Compile(docs)
	require.NoError(t, err)
	assert.Len(t, e.Rules(), 100)
	assert.True(t, ch.Affects(deployment("d5")))
	assert.False(t, ch.Affects(deployment("d6")))
}

func TestCompilerDuplicateRuleNames(t *testing.T) {
	c := engine.NewCompiler(engine.Config{})
	docs := []engine.Document{{Source: "a", Object: ruleFor("x", "1")}, {Source: "b", Object: ruleFor("x", "2")}}
	e, _, err := c.Compile(docs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "b: rule r-x: metadata.name: duplicate rule name (also defined in a)")
	assert.Equal(t, []string{"r-x"}, e.Rules())
}

func TestCompilerCustomTransformChange(t *testing.T) {
	c := engine.NewCompiler(engine.Config{})
	docs := hundred()
	_, _, err := c.Compile(docs)
	require.NoError(t, err)
	docs[100] = engine.Document{Source: "live/ct", Object: customTransform("cm", "", "configmaps", "$.data.other")}
	e, ch, err := c.Compile(docs)
	require.NoError(t, err)
	assert.Equal(t, []string{"cm"}, e.CustomTransforms())
	assert.True(t, ch.Affects(configMap("any")))
	assert.False(t, ch.Affects(deployment("d1")))
	assert.Equal(t, 100, c.RulesCompiled())

	// An invalid entry: the CustomTransform still applies (its valid entries); the error names it.
	docs[100] = engine.Document{Source: "live/ct", Object: customTransform("cm", "", "configmaps", "$.data.other", "$[")}
	e, ch, err = c.Compile(docs)
	require.Error(t, err)
	var de *engine.DocumentError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "live/ct", de.Source)
	assert.Equal(t, []string{"cm"}, e.CustomTransforms())
	assert.True(t, ch.Affects(configMap("any")))

	// Removing it affects its resource's objects only.
	_, ch, err = c.Compile(docs[:100])
	require.NoError(t, err)
	assert.True(t, ch.Affects(configMap("any")))
	assert.False(t, ch.Affects(deployment("d1")))
}

func TestCompilerCRDChangeAffectsEverything(t *testing.T) {
	crd := func(version string) map[string]any {
		return map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
			"metadata": map[string]any{"name": "widgets.example.com"},
			"spec": map[string]any{"group": "example.com", "scope": "Namespaced",
				"names":    map[string]any{"plural": "widgets", "kind": "Widget"},
				"versions": []any{map[string]any{"name": version, "served": true, "storage": true}}}}
	}
	c := engine.NewCompiler(engine.Config{})
	_, _, err := c.Compile([]engine.Document{{Object: crd("v1")}})
	require.NoError(t, err)
	_, ch, err := c.Compile([]engine.Document{{Object: crd("v2")}})
	require.NoError(t, err)
	assert.True(t, ch.Everything())
	assert.True(t, strings.HasPrefix(ch.Documents()[0], "CustomResourceDefinition.apiextensions.k8s.io/widgets"))
}
