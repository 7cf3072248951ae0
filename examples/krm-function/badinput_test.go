package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// resourceList wraps items (YAML list entries, indented by two) with a WECVariant whose spec
// is spec.
func resourceList(spec, items string) string {
	return "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n" +
		"  apiVersion: fn.wecforge.io/v1alpha1\n  kind: WECVariant\n  metadata: {name: fn}\n  spec: " + spec + "\n" +
		"items:\n" + items
}

const (
	deployment = "- {apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop}, spec: {replicas: 1}}\n"
	edge1      = "- {apiVersion: cluster.open-cluster-management.io/v1, kind: ManagedCluster, metadata: {name: edge-1, labels: {tier: edge}}}\n"
)

// decodeOutput parses what the function wrote: it must always be a ResourceList.
func decodeOutput(t *testing.T, out []byte) ([]*yaml.RNode, framework.Results) {
	t.Helper()
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(out)}
	items, err := rw.Read()
	require.NoError(t, err, "stdout is not YAML:\n%s", out)
	require.Equal(t, kio.ResourceListKind, rw.WrappingKind, "stdout is not a ResourceList:\n%s", out)
	var rs framework.Results
	if rw.Results != nil {
		require.NoError(t, rw.Results.Document().Decode(&rs))
	}
	return items, rs
}

// TestBadInput feeds each kind of bad input and checks that the function exits 1, writes a
// ResourceList holding no items and an error result whose message says what is wrong (and
// the field, when there is one), and says the same on stderr.
func TestBadInput(t *testing.T) {
	type badInput struct {
		name, input string
		// message is part of the error result's message; field its field.path.
		message, field string
		reason         string
	}
	cases := []badInput{
		{name: "empty input", input: "",
			message: "malformed ResourceList: the input is not a ResourceList", reason: "nothing on stdin"},
		{name: "not YAML", input: "kind: ResourceList\nitems: [\n",
			message: "malformed ResourceList: failed to read ResourceList input", reason: "the framework's reader fails"},
		{name: "two documents", input: "kind: ResourceList\nitems: []\n---\nkind: ResourceList\nitems: []\n",
			message: "the input is not a ResourceList", reason: "a stream of two lists is not one ResourceList"},
		{name: "item not a mapping", input: resourceList("{wec: edge-1}", "- 42\n"),
			message: "malformed ResourceList: wrong node kind: expected MappingNode but got ScalarNode", reason: "a scalar item (kyaml's reader says so)"},
		{name: "items a mapping", input: resourceList("{wec: edge-1}", "  a: b\n"),
			message: "malformed ResourceList: wrong node kind", reason: "items must be a list of objects"},
		{name: "no functionConfig", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + deployment,
			message: "functionConfig: the functionConfig names no WEC", reason: "nothing names the WEC"},
		{name: "functionConfig of another kind",
			input:   "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig: {apiVersion: v1, kind: ConfigMap, data: {wec: edge-1}}\nitems: []\n",
			message: `functionConfig: apiVersion is the string "v1", kind is the string "ConfigMap": want apiVersion fn.wecforge.io/v1alpha1, kind WECVariant`, reason: "only a WECVariant configures the function"},
		{name: "spec.wec empty", input: resourceList(`{wec: ""}`, deployment),
			message: "names no WEC: spec.wec is empty", field: "spec.wec", reason: "an empty name names nothing"},
		{name: "spec.wec a number", input: resourceList("{wec: 7}", deployment),
			message: "spec.wec is the number 7, not a string", field: "spec.wec", reason: "wrong type"},
		{name: "spec.wec invalid name", input: resourceList("{wec: Edge_1}", deployment),
			message: `"Edge_1" is not a valid WEC name`, field: "spec.wec", reason: "a ManagedCluster could not have that name"},
		{name: "unknown spec field", input: resourceList("{wec: edge-1, lables: {a: b}}", deployment),
			message: "unknown field (known: annotations, labels, properties, wec)", field: "spec.lables", reason: "a typo is not ignored"},
		{name: "label value not a string", input: resourceList("{wec: edge-1, labels: {replicas: 3}}", deployment),
			message: "is the number 3, not a string: quote it", field: "spec.labels.replicas", reason: "wrong type"},
		{name: "invalid label value", input: resourceList("{wec: edge-1, labels: {region: 'us east'}}", deployment),
			message: `invalid label value "us east"`, field: "spec.labels.region", reason: "placement selects on labels the API server would refuse"},
		{name: "property key not an identifier", input: resourceList("{wec: edge-1, properties: {my-key: x}}", deployment),
			message: "not a property key", field: "spec.properties.my-key", reason: "it could never be read, so it is not dropped in silence"},
		{name: "labels a list", input: resourceList("{wec: edge-1, labels: [a]}", deployment),
			message: "is a list, not a mapping of strings", field: "spec.labels", reason: "wrong type"},
		{name: "spec.wec names no ManagedCluster", input: resourceList("{wec: edge-9}", edge1+deployment),
			message: `names no WEC: there is no ManagedCluster "edge-9" among the items (they hold edge-1)`, field: "spec.wec", reason: "a typo in the WEC name"},
		{name: "WEC described twice", input: resourceList("{wec: edge-1, labels: {tier: core}}", edge1+deployment),
			message: `the functionConfig describes WEC "edge-1" itself`, reason: "which labels win would be a guess"},
		{name: "properties twice",
			input:   resourceList("{wec: edge-1, properties: {a: b}}", "- {apiVersion: v1, kind: ConfigMap, metadata: {name: edge-1, namespace: customization-properties}, data: {a: c}}\n"),
			message: "spec.properties gives WEC \"edge-1\" its properties and this ConfigMap does too", reason: "which properties win would be a guess"},
		{name: "orphan properties ConfigMap",
			input:   resourceList("{wec: edge-1}", edge1+"- {apiVersion: v1, kind: ConfigMap, metadata: {name: edge-2, namespace: customization-properties}, data: {a: b}}\n"),
			message: "properties ConfigMap names no WEC", reason: "a misnamed ConfigMap would be ignored"},
		{name: "properties value not a string",
			input:   resourceList("{wec: edge-1}", edge1+"- {apiVersion: v1, kind: ConfigMap, metadata: {name: edge-1, namespace: customization-properties}, data: {replicas: 3}}\n"),
			message: "data.replicas is the number 3, not a string", reason: "ConfigMap values are strings"},
		{name: "ManagedCluster of another group",
			input:   resourceList("{wec: edge-1}", "- {apiVersion: cluster.example.com/v1, kind: ManagedCluster, metadata: {name: edge-1}}\n"),
			message: `ManagedCluster has apiVersion "cluster.example.com/v1", want cluster.open-cluster-management.io/v1`, reason: "a typo in the group would deliver the ManagedCluster as a workload"},
		{name: "rule of another group",
			input:   resourceList("{wec: edge-1}", "- {apiVersion: wecforge.example/v1alpha1, kind: CustomizationRule, metadata: {name: r}}\n"),
			message: `CustomizationRule has apiVersion "wecforge.example/v1alpha1", want wecforge.io/v1alpha1`, reason: "same"},
		{name: "ManagedCluster twice", input: resourceList("{wec: edge-1}", edge1+edge1),
			message: `ManagedCluster "edge-1" is also in items[0]`, reason: "two inventories of one name"},
		{name: "invalid BindingPolicy",
			input:   resourceList("{wec: edge-1}", edge1+"- {apiVersion: control.kubestellar.io/v1alpha1, kind: BindingPolicy, metadata: {name: p}, spec: {downsync: 3}}\n"),
			message: "bindingpolicy p", field: "spec.downsync", reason: "placement documents are compiled strictly"},
	}
	bomb := "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x, namespace: y}\n  bomb:\n    a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i < 9; i++ {
		bomb += fmt.Sprintf("    a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 9), ", "))
	}
	deep := "- {apiVersion: v1, kind: ConfigMap, metadata: {name: x}, deep: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}\n"
	cases = append(cases,
		badInput{name: "alias bomb", input: resourceList("{wec: edge-1}", bomb),
			message: "malformed ResourceList: items[0]: yaml: document contains excessive aliasing", reason: "9^9 values from 90 aliases are refused, not expanded"},
		badInput{name: "deep nesting", input: resourceList("{wec: edge-1}", deep),
			message: "exceeded max depth of 10000", reason: "the reader bounds nesting"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			exit := run(context.Background(), strings.NewReader(tc.input), &stdout, &stderr, maxInput)
			require.Equal(t, 1, exit, "%s\nstderr: %s", tc.reason, stderr.String())
			items, rs := decodeOutput(t, stdout.Bytes())
			assert.Empty(t, items, "nothing is output when the input is bad")
			require.Len(t, rs, 1, "one error result: %v", rs)
			assert.Equal(t, framework.Error, rs[0].Severity)
			assert.Contains(t, rs[0].Message, tc.message, tc.reason)
			if tc.field != "" {
				require.NotNil(t, rs[0].Field, "the result names the field")
				assert.Equal(t, tc.field, rs[0].Field.Path)
			}
			assert.Contains(t, stderr.String(), tc.message, "stderr says it too")
		})
	}
}

// TestInputTooLarge checks the bound on standard input.
func TestInputTooLarge(t *testing.T) {
	in := resourceList("{wec: edge-1}", deployment)
	var stdout, stderr bytes.Buffer
	exit := run(context.Background(), strings.NewReader(in), &stdout, &stderr, int64(len(in)-1))
	require.Equal(t, 1, exit)
	_, rs := decodeOutput(t, stdout.Bytes())
	require.Len(t, rs, 1)
	assert.Contains(t, rs[0].Message, "malformed ResourceList: larger than")
	assert.Equal(t, 0, run(context.Background(), strings.NewReader(in), &stdout, &stderr, int64(len(in))), "exactly the limit is accepted")
}

// TestObjectProblems checks that a workload the engine cannot use (no kind, a duplicate) is
// left out with an error result naming it, while the others are still output.
func TestObjectProblems(t *testing.T) {
	in := resourceList("{wec: edge-1}", deployment+deployment+"- {apiVersion: v1, metadata: {name: nameless-kind}}\n"+
		"- {apiVersion: v1, kind: ConfigMap, metadata: {name: ok, namespace: shop}}\n")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 1, run(context.Background(), strings.NewReader(in), &stdout, &stderr, maxInput))
	items, rs := decodeOutput(t, stdout.Bytes())
	var names []string
	for _, it := range items {
		names = append(names, it.GetName())
	}
	assert.Equal(t, []string{"web", "ok"}, names, "the first Deployment and the ConfigMap are output")
	var msgs []string
	for _, r := range rs {
		if r.Severity == framework.Error {
			msgs = append(msgs, r.Message)
		}
	}
	require.Len(t, msgs, 2, "%v", rs)
	assert.Contains(t, msgs[0], "items[1]: Deployment.apps shop/web: duplicate object: also in items[0]")
	assert.Contains(t, msgs[1], "items[2]: object nameless-kind: no apiVersion and kind")
}
