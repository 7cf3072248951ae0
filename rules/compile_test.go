package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/rules/templates"
)

// doc parses one YAML document for a test.
func doc(t testing.TB, source, text string) Document {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(text), &m))
	return Document{Source: source, Object: m}
}

// ruleDoc wraps a spec in a CustomizationRule named r.
func ruleDoc(spec string) string {
	return "apiVersion: wecforge.io/v1alpha1\nkind: CustomizationRule\nmetadata: {name: r}\nspec:\n" + indent(spec)
}

func indent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func errorLines(err error) []string {
	var out []string
	for _, e := range flatten(err) {
		out = append(out, e.Error())
	}
	return out
}

const okAction = "actions:\n- replicas: {value: 1}\n"

func TestCompileRejectsMalformedRules(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		doc    string // a whole document; when it has no apiVersion, a spec wrapped by ruleDoc
		want   []string
	}{
		{"bad CEL syntax", "a parse error names line and column",
			"match: {condition: \"object.spec.replicas >\"}\n" + okAction,
			[]string{`x#1: rule r: spec.match.condition: 1:23: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}`}},
		{"condition not bool", "a condition's type is checked at compile time",
			"match: {condition: \"object.metadata.name + 'x'\"}\n" + okAction,
			[]string{`x#1: rule r: spec.match.condition: must be a bool expression, but its type is string`}},
		{"cluster condition not bool", "cluster.name is typed",
			"clusters: {condition: \"cluster.name\"}\n" + okAction,
			[]string{`x#1: rule r: spec.clusters.condition: must be a bool expression, but its type is string`}},
		{"replicas not int", "replicas.value must be an int",
			"actions:\n- replicas: {value: \"'three'\"}",
			[]string{`x#1: rule r: spec.actions[0].replicas.value: must be an int expression, but its type is string`}},
		{"unknown variable", "variables are checked in order",
			"variables:\n- {name: a, expression: \"variables.b + 1\"}\n- {name: b, expression: \"1\"}\n" + okAction,
			[]string{`x#1: rule r: spec.variables[0].expression: 1:10: unknown variable "b" (variables defined before this point: none)`}},
		{"unknown variable in action", "actions see every variable",
			"variables:\n- {name: a, expression: \"1\"}\nactions:\n- set: {path: $.x, value: \"variables.c\"}",
			[]string{`x#1: rule r: spec.actions[0].set.value: 1:10: unknown variable "c" (variables defined before this point: a)`}},
		{"variables in match", "match.condition sees only object",
			"match: {condition: \"variables.a > 1\"}\n" + okAction,
			[]string{`x#1: rule r: spec.match.condition: 1:10: variables are not visible here (this expression sees only object)`}},
		{"cluster in match", "match.condition sees only object",
			"match: {condition: \"cluster.name == 'x'\"}\n" + okAction,
			[]string{`x#1: rule r: spec.match.condition: 1:1: cluster is not visible here (this expression sees only object)`}},
		{"unknown identifier", "the checker's message with position",
			"actions:\n- set: {path: $.x, value: \"objet.spec\"}",
			[]string{`x#1: rule r: spec.actions[0].set.value: 1:1: undeclared reference to 'objet' (in container '')`}},
		{"unknown cluster field", "cluster is a typed object",
			"clusters: {condition: \"cluster.lables['a'] == 'b'\"}\n" + okAction,
			[]string{`x#1: rule r: spec.clusters.condition: 1:8: undefined field 'lables'`}},
		{"bad path", "a path error names its byte offset",
			"actions:\n- set: {path: \"$.spec[\", value: \"1\"}",
			[]string{`x#1: rule r: spec.actions[0].set.path: invalid JSONPath "$.spec[" at position 6: unclosed [`}},
		{"path without $", "paths start with $",
			"actions:\n- remove: {path: spec.x}",
			[]string{`x#1: rule r: spec.actions[0].remove.path: invalid JSONPath "spec.x" at position 0: a path must start with $`}},
		{"whole-object path", "$ alone is rejected",
			"actions:\n- remove: {path: $}",
			[]string{`x#1: rule r: spec.actions[0].remove.path: invalid JSONPath "$" at position 0: $ alone identifies the whole object; name a field below it`}},
		{"bad patch op", "ops are checked",
			"actions:\n- jsonPatch: [{op: merge, path: /a, value: 1}]",
			[]string{`x#1: rule r: spec.actions[0].jsonPatch[0].op: unknown op "merge" (known: add, remove, replace, move, copy, test)`}},
		{"bad pointer", "pointers are parsed at compile time",
			"actions:\n- jsonPatch: [{op: add, path: a/b, value: 1}, {op: remove, path: /a~2}]",
			[]string{`x#1: rule r: spec.actions[0].jsonPatch[0].path: invalid JSON pointer "a/b": it must start with /`,
				`x#1: rule r: spec.actions[0].jsonPatch[1].path: invalid JSON pointer "/a~2" at position 2: ~ must be followed by 0 or 1`}},
		{"patch without value", "add needs a value",
			"actions:\n- jsonPatch: [{op: add, path: /a}, {op: copy, path: /b}, {op: remove, path: /c, value: 1}]",
			[]string{`x#1: rule r: spec.actions[0].jsonPatch[0]: add needs value or valueExpression`,
				`x#1: rule r: spec.actions[0].jsonPatch[1].from: required for copy`,
				`x#1: rule r: spec.actions[0].jsonPatch[2]: remove takes only a path`}},
		{"move into own child", "RFC 6902 forbids it",
			"actions:\n- jsonPatch: [{op: move, from: /a, path: /a/b}]",
			[]string{`x#1: rule r: spec.actions[0].jsonPatch[0].path: cannot move /a into its own child /a/b`}},
		{"merge patch not a map", "a merge patch is an object",
			"actions:\n- mergePatch: [1, 2]",
			[]string{`x#1: rule r: spec.actions[0].mergePatch: must be a map (a merge patch of the object), not a list`}},
		{"template syntax", "templates are parsed at compile time",
			"actions:\n- set: {path: $.x, template: \"{{ .a \"}",
			[]string{`x#1: rule r: spec.actions[0].set.template: template syntax error at line 1: unclosed action`}},
		{"unknown field", "decoding is strict",
			"actions:\n- set: {path: $.x, vale: \"1\"}",
			[]string{`x#1: rule r: spec.actions[0].set.vale: unknown field (known fields: path, value, template)`,
				`x#1: rule r: spec.actions[0].set: needs value (a CEL expression) or template (a string)`}},
		{"unknown spec field", "decoding is strict",
			"priorty: 1\n" + okAction,
			[]string{`x#1: rule r: spec.priorty: unknown field (known fields: priority, onError, match, clusters, variables, actions)`}},
		{"negative priority", "lower applies first; 0 is the lowest",
			"priority: -1\n" + okAction,
			[]string{`x#1: rule r: spec.priority: must not be negative (lower priorities apply first; 0 is the lowest)`}},
		{"fractional priority", "priorities are integers",
			"priority: 1.5\n" + okAction,
			[]string{`x#1: rule r: spec.priority: must be an integer, not 1.5`}},
		{"bad onError", "Fail or Ignore",
			"onError: Retry\n" + okAction,
			[]string{`x#1: rule r: spec.onError: must be Fail or Ignore, not Retry`}},
		{"empty actions", "a rule does something",
			"actions: []",
			[]string{`x#1: rule r: spec.actions: must not be empty: a rule needs at least one action`}},
		{"missing actions", "a rule does something",
			"priority: 1",
			[]string{`x#1: rule r: spec.actions: required: a rule needs at least one action`}},
		{"two kinds in one action", "one action, one kind",
			"actions:\n- {remove: {path: $.a}, replicas: {value: 1}}",
			[]string{`x#1: rule r: spec.actions[0]: an action has exactly one of set, remove, jsonPatch, mergePatch, image, labels, annotations, replicas, not remove and replicas`}},
		{"unknown action", "unknown keys are named",
			"actions:\n- delete: {path: $.a}",
			[]string{`x#1: rule r: spec.actions[0].delete: unknown field (known fields: set, remove, jsonPatch, mergePatch, image, labels, annotations, replicas)`}},
		{"set value not a string", "CEL values are strings",
			"actions:\n- set: {path: $.a, value: 3}",
			[]string{`x#1: rule r: spec.actions[0].set.value: must be a CEL expression string, not a number (quote a literal: "3", "'text'")`}},
		{"set value and template", "one source",
			"actions:\n- set: {path: $.a, value: \"1\", template: x}",
			[]string{`x#1: rule r: spec.actions[0].set: give value (a CEL expression) or template (a string), not both`}},
		{"bad label key", "keys are validated",
			"actions:\n- labels: {add: {\"bad key\": x}}",
			[]string{`x#1: rule r: spec.actions[0].labels.add.bad key: invalid label key "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`}},
		{"bad literal label value", "literal values are validated",
			"actions:\n- labels: {add: {a: \"has space\"}}",
			[]string{`x#1: rule r: spec.actions[0].labels.add.a: invalid label value "has space": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`}},
		{"bad image tag", "literal image parts are validated",
			"actions:\n- image: {tag: \"v1:bad\"}",
			[]string{`x#1: rule r: spec.actions[0].image.tag: wrong result type: invalid image tag "v1:bad"`}},
		{"image without parts", "image changes something",
			"actions:\n- image: {containers: [app]}",
			[]string{`x#1: rule r: spec.actions[0].image: needs at least one of registry, repository, tag, digest`}},
		{"bad label selector", "operators are validated",
			"clusters: {labelSelector: {matchExpressions: [{key: a, operator: Near}]}}\n" + okAction,
			[]string{`x#1: rule r: spec.clusters.labelSelector: "Near" is not a valid label selector operator`}},
		{"resource without kind", "kind is required",
			"match: {resources: [{group: apps}]}\n" + okAction,
			[]string{`x#1: rule r: spec.match.resources[0].kind: required (use "*" for any kind)`}},
		{"duplicate variable", "names are unique",
			"variables:\n- {name: a, expression: \"1\"}\n- {name: a, expression: \"2\"}\n" + okAction,
			[]string{`x#1: rule r: spec.variables[1].name: duplicate variable "a"`}},
		{"bad variable name", "names are CEL identifiers",
			"variables:\n- {name: my-var, expression: \"1\"}\n" + okAction,
			[]string{`x#1: rule r: spec.variables[0].name: invalid variable name "my-var": must match [A-Za-z_][A-Za-z0-9_]*`}},
		{"replicas out of range", "replicas are non-negative",
			"actions:\n- replicas: {value: -2}",
			[]string{`x#1: rule r: spec.actions[0].replicas.value: replicas must be between 0 and 2147483647, not -2`}},
		{"wrong apiVersion and kind", "the identity is checked",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r}\nspec:\n" + indent(okAction),
			[]string{`x#1: rule r: apiVersion: must be wecforge.io/v1alpha1, not "v1"`, `x#1: rule r: kind: must be CustomizationRule, not "ConfigMap"`}},
		{"no apiVersion and kind", "a document without TypeMeta is named in words (no %!q)",
			"apiVersion: null\nmetadata: {name: r}\nspec:\n" + indent(okAction),
			[]string{`x#1: rule r: apiVersion: must be wecforge.io/v1alpha1, not missing (a caller that knows the type must set it)`,
				`x#1: rule r: kind: must be CustomizationRule, not missing (a caller that knows the type must set it)`}},
		{"missing name", "metadata.name is required",
			"apiVersion: wecforge.io/v1alpha1\nkind: CustomizationRule\nmetadata: {}\nspec:\n" + indent(okAction),
			[]string{`x#1: metadata.name: required`}},
		{"invalid name", "names are DNS subdomains",
			"apiVersion: wecforge.io/v1alpha1\nkind: CustomizationRule\nmetadata: {name: Bad_Name}\nspec:\n" + indent(okAction),
			[]string{`x#1: rule Bad_Name: metadata.name: invalid name "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
		{"namespaced", "rules are cluster-scoped",
			"apiVersion: wecforge.io/v1alpha1\nkind: CustomizationRule\nmetadata: {name: r, namespace: x}\nspec:\n" + indent(okAction),
			[]string{`x#1: rule r: metadata.namespace: must be empty: CustomizationRule is cluster-scoped`}},
		{"patch without path", "missing fields are required",
			"actions:\n- jsonPatch: [{op: add, value: 1}]",
			[]string{`x#1: rule r: spec.actions[0].jsonPatch[0].path: required (a string)`}},
		{"variable without expression", "missing fields are required",
			"variables:\n- {name: a}\n" + okAction,
			[]string{`x#1: rule r: spec.variables[0].expression: required (a string)`}},
		{"null spec", "spec is required",
			"apiVersion: wecforge.io/v1alpha1\nkind: CustomizationRule\nmetadata: {name: r}\nspec: null\n",
			[]string{`x#1: rule r: spec: required (a map)`}},
		{"wrong type", "types are checked",
			"match: {namespaces: team-a}\n" + okAction,
			[]string{`x#1: rule r: spec.match.namespaces: must be a list, not a string`}},
	}
	require.GreaterOrEqual(t, len(tests), 25)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.doc
			if !strings.HasPrefix(text, "apiVersion:") {
				text = ruleDoc(text)
			}
			set, err := Compile([]Document{doc(t, "x#1", text)})
			require.Error(t, err, tc.reason)
			assert.Nil(t, set)
			assert.ErrorIs(t, err, ErrCompile)
			assert.Equal(t, tc.want, errorLines(err), tc.reason)
			var ce *CompileError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "x#1", ce.Source)
		})
	}
}

func TestCompileReportsEveryProblemAtOnce(t *testing.T) {
	docs := []Document{
		doc(t, "a.yaml#1", ruleDoc("priority: -1\nactions: []")),
		doc(t, "a.yaml#2", ruleDoc(okAction)),
		doc(t, "b.yaml#1", ruleDoc("actions:\n- set: {path: $.x, value: \"1 +\"}")),
	}
	_, err := Compile(docs)
	require.Error(t, err)
	lines := errorLines(err)
	require.Len(t, lines, 5)
	assert.Equal(t, "a.yaml#1: rule r: spec.priority: must not be negative (lower priorities apply first; 0 is the lowest)", lines[0])
	assert.Equal(t, "a.yaml#1: rule r: spec.actions: must not be empty: a rule needs at least one action", lines[1])
	assert.Equal(t, "a.yaml#2: rule r: metadata.name: duplicate rule name (also defined in a.yaml#1)", lines[2])
	assert.Contains(t, lines[3], "b.yaml#1: rule r: spec.actions[0].set.value: 1:4: Syntax error")
	assert.Equal(t, "b.yaml#1: rule r: metadata.name: duplicate rule name (also defined in a.yaml#1)", lines[4])
}

func TestCompileErrorCarriesPositions(t *testing.T) {
	_, err := Compile([]Document{doc(t, "p", ruleDoc("actions:\n- set: {path: \"$.a..b\", value: \"1\"}\n- set: {path: $.a, value: \"\\n  x +\"}"))})
	require.Error(t, err)
	var got []*CompileError
	for _, e := range flatten(err) {
		var ce *CompileError
		require.ErrorAs(t, e, &ce)
		got = append(got, ce)
	}
	require.Len(t, got, 2)
	assert.Equal(t, "spec.actions[0].set.path", got[0].Field)
	assert.Equal(t, &Pos{Offset: 3}, got[0].Pos)
	assert.Equal(t, "spec.actions[1].set.value", got[1].Field)
	require.NotNil(t, got[1].Pos)
	assert.Equal(t, 2, got[1].Pos.Line)
	assert.Equal(t, "r", got[1].Rule)
}

func TestCompileWarnsAboutConflicts(t *testing.T) {
	mk := func(name, spec string) Document {
		return doc(t, name, strings.Replace(ruleDoc(spec), "name: r", "name: "+name, 1))
	}
	tests := []struct {
		name string
		docs []Document
		want []string
	}{
		{"same path same priority", []Document{
			mk("a", "actions:\n- replicas: {value: 1}"),
			mk("b", "actions:\n- set: {path: \"$['spec'].replicas\", value: \"2\"}"),
		}, []string{"rules a and b have the same priority 0 and may both write .spec.replicas for the same objects; b applies last and wins"}},
		{"parent path", []Document{
			mk("a", "actions:\n- mergePatch: {spec: {template: {x: 1}}}"),
			mk("b", "actions:\n- remove: {path: $.spec.template}"),
		}, []string{"rules a and b have the same priority 0 and may both write .spec.template.x for the same objects; b applies last and wins"}},
		{"different priorities", []Document{
			mk("a", "actions:\n- replicas: {value: 1}"),
			mk("b", "priority: 1\nactions:\n- replicas: {value: 2}"),
		}, nil},
		{"disjoint kinds", []Document{
			mk("a", "match: {resources: [{group: apps, kind: Deployment}]}\nactions:\n- replicas: {value: 1}"),
			mk("b", "match: {resources: [{group: apps, kind: StatefulSet}]}\nactions:\n- replicas: {value: 2}"),
		}, nil},
		{"wildcard kind overlaps", []Document{
			mk("a", "match: {resources: [{group: apps, kind: Deployment}]}\nactions:\n- labels: {add: {x: a}}"),
			mk("b", "match: {resources: [{group: apps, kind: \"*\"}]}\nactions:\n- jsonPatch: [{op: remove, path: /metadata/labels/x}]"),
		}, []string{"rules a and b have the same priority 0 and may both write .metadata.labels.x for the same objects; b applies last and wins"}},
		{"disjoint names", []Document{
			mk("a", "match: {names: [web]}\nactions:\n- replicas: {value: 1}"),
			mk("b", "match: {names: [db]}\nactions:\n- replicas: {value: 2}"),
		}, nil},
		{"images", []Document{
			mk("a", "actions:\n- image: {containers: [app], tag: v1}"),
			mk("b", "actions:\n- image: {tag: v2}"),
		}, []string{"rules a and b have the same priority 0 and may both write the images of containers app for the same objects; b applies last and wins"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile(tc.docs)
			require.NoError(t, err)
			assert.Equal(t, tc.want, s.Warnings())
		})
	}
}

func TestCompileOrdersRulesByPriorityThenName(t *testing.T) {
	var docs []Document
	for _, np := range []struct{ name, prio string }{{"c", "1"}, {"b", "0"}, {"a", "1"}, {"d", "0"}} {
		docs = append(docs, doc(t, np.name, strings.Replace(ruleDoc("priority: "+np.prio+"\n"+okAction), "name: r", "name: "+np.name, 1)))
	}
	s, err := Compile(docs)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "d", "a", "c"}, s.Names())
	assert.Equal(t, 4, s.Len())
}

func TestCompileOptions(t *testing.T) {
	d := doc(t, "x", ruleDoc("actions:\n- set: {path: $.a, template: \"{{ .a }}\"}"))
	s, err := Compile([]Document{d}, CostLimit(5), TemplateLimits(templates.Limits{MaxStringBytes: 10}))
	require.NoError(t, err)
	assert.Equal(t, uint64(5), s.costLimit)
	s, err = Compile([]Document{d}, CostLimit(0))
	require.NoError(t, err)
	assert.Equal(t, DefaultCostLimit, s.costLimit)
}

func TestCompileEmptyAndNilDocuments(t *testing.T) {
	s, err := Compile(nil)
	require.NoError(t, err)
	assert.Equal(t, 0, s.Len())
	_, err = Compile([]Document{{Source: "e"}})
	require.Error(t, err)
	assert.Equal(t, []string{"e: empty document"}, errorLines(err))
	assert.True(t, errors.Is(err, ErrCompile))
}

func TestComprehensionVariablesShadowTopLevelNames(t *testing.T) {
	s, err := Compile([]Document{doc(t, "x", ruleDoc(`match: {condition: "[1, 2].exists(cluster, cluster > 1) && [3].all(variables, variables > 0)"}
`+okAction))})
	require.NoError(t, err)
	assert.Equal(t, 1, s.Len())
}
