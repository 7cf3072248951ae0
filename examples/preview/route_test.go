package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docsOf parses a multi-document text as file "in.yaml".
func docsOf(t *testing.T, text string) []document {
	t.Helper()
	docs, err := parseDocuments("in.yaml", []byte(text))
	require.NoError(t, err)
	return docs
}

func TestRouteSortsDocumentsByKind(t *testing.T) {
	in, err := route(docsOf(t, `
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata: {name: wec-b, labels: {region: eu}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: wec-a, namespace: customization-properties}
data: {replicas: "3"}
---
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata: {name: wec-a}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: CustomTransform
metadata: {name: ct}
spec: {apiGroup: apps, resource: deployments, remove: [$.spec.paused]}
---
apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: r}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: demo}
---
apiVersion: batch/v1
kind: Job
metadata: {generateName: run-, namespace: demo}
`))
	require.NoError(t, err)

	require.Len(t, in.wecs, 2)
	assert.Equal(t, "wec-a", in.wecs[0].Name(), "WECs are in name order")
	assert.Equal(t, "wec-b", in.wecs[1].Name())
	v, ok := in.wecs[0].Lookup("replicas")
	assert.True(t, ok, "the properties ConfigMap reached its WEC, whatever the document order")
	assert.Equal(t, "3", v)
	assert.False(t, in.wecs[1].HasConfigMap())

	require.Len(t, in.customTransforms, 1)
	require.Len(t, in.rules, 1)
	assert.Equal(t, "in.yaml#4", in.rules[0].Source)
	require.Len(t, in.crds, 1)

	var workloads []string
	for _, w := range in.workloads {
		workloads = append(workloads, w.ref.String())
	}
	assert.Equal(t, []string{
		"CustomResourceDefinition.apiextensions.k8s.io widgets.example.com",
		"ConfigMap demo/app-config",
		"Job.batch demo/run-",
	}, workloads, "a CRD is also a workload; a ConfigMap outside customization-properties is a workload; generateName names an object without a name")
}

func TestRouteErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{
			name: "ManagedCluster of another group",
			text: "apiVersion: example.com/v1\nkind: ManagedCluster\nmetadata: {name: x}\n",
			want: `in.yaml#0 (line 1): ManagedCluster has apiVersion "example.com/v1", want cluster.open-cluster-management.io/v1`,
		},
		{
			name: "ManagedCluster twice",
			text: "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\nmetadata: {name: x}\n---\n" +
				"apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\nmetadata: {name: x}\n",
			want: `in.yaml#1 (line 5): ManagedCluster "x" is defined twice (first in in.yaml#0 (line 1))`,
		},
		{
			name: "ManagedCluster whose name is not a DNS-1123 label",
			text: "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\nmetadata: {name: Not_Valid}\n",
			want: `in.yaml#0 (line 1): ManagedCluster name "Not_Valid" is not a DNS-1123 label (the name is the WEC's, its namespace on the hub and its file under -o): a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
		},
		{
			name: "ManagedCluster whose name is a subdomain but not a label",
			text: "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\nmetadata: {name: a.b}\n",
			want: `in.yaml#0 (line 1): ManagedCluster name "a.b" is not a DNS-1123 label`,
		},
		{
			name: "properties ConfigMap with a non-string value",
			text: "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\nmetadata: {name: x}\n---\n" +
				"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: customization-properties}\ndata: {replicas: 3}\n",
			want: "in.yaml#1 (line 5): properties ConfigMap customization-properties/x: data.replicas is the number 3, not a string: ConfigMap values are strings, quote it",
		},
		{
			name: "properties ConfigMap without a name",
			text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: customization-properties}\n",
			want: "in.yaml#0 (line 1): properties ConfigMap in namespace customization-properties has no metadata.name (it must be named after its WEC)",
		},
		{
			name: "CustomTransform of another group",
			text: "apiVersion: example.com/v1\nkind: CustomTransform\nmetadata: {name: x}\n",
			want: `in.yaml#0 (line 1): CustomTransform has apiVersion "example.com/v1", want control.kubestellar.io/v1alpha1`,
		},
		{
			name: "workload without a name",
			text: "apiVersion: v1\nkind: Secret\nmetadata: {namespace: demo}\n",
			want: "in.yaml#0 (line 1): Secret has neither metadata.name nor metadata.generateName",
		},
		{
			name: "workload twice",
			text: "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: demo}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: demo}\n",
			want: "in.yaml#1 (line 5): Secret demo/s is defined twice (first in in.yaml#0 (line 1))",
		},
		{
			name: "metadata that is not a mapping",
			text: "apiVersion: v1\nkind: Secret\nmetadata: [a]\n",
			want: "in.yaml#0 (line 1): Secret: metadata is not a mapping",
		},
		{
			name: "name that is not a string",
			text: "apiVersion: v1\nkind: Secret\nmetadata: {name: 5}\n",
			want: "in.yaml#0 (line 1): Secret: metadata.name is not a string",
		},
		{
			name: "labels that are not strings",
			text: "apiVersion: v1\nkind: Secret\nmetadata: {name: s, labels: {a: 1}}\n",
			want: "in.yaml#0 (line 1): Secret: metadata.labels must map strings to strings",
		},
		{
			name: "kind that is not a string",
			text: "apiVersion: v1\nkind: 7\n",
			want: "in.yaml#0 (line 1): not a Kubernetes object: kind missing or not a string",
		},
		{
			name: "malformed apiVersion",
			text: "apiVersion: a/b/c\nkind: Secret\nmetadata: {name: s}\n",
			want: `in.yaml#0 (line 1): apiVersion "a/b/c": unexpected GroupVersion string: a/b/c`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := route(docsOf(t, tt.text))
			require.Error(t, err)
			assert.Nil(t, in, "no partial result")
			assert.ErrorIs(t, err, ErrInput)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestRouteReportsEveryProblemInFileOrder(t *testing.T) {
	_, err := route(docsOf(t, `
apiVersion: v1
kind: Secret
metadata: {namespace: demo}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ghost, namespace: customization-properties}
---
kind: Secret
`))
	require.Error(t, err)
	assert.Equal(t, "in.yaml#0 (line 1): Secret has neither metadata.name nor metadata.generateName\n"+
		`in.yaml#1 (line 6): properties ConfigMap customization-properties/ghost names no WEC: there is no ManagedCluster "ghost" among the inputs`+"\n"+
		"in.yaml#2 (line 10): not a Kubernetes object: apiVersion missing or not a string", err.Error())
}

func TestCompareWhereOrdersLinesNumerically(t *testing.T) {
	assert.Negative(t, compareWhere("f#1 (line 9): x", "f#2 (line 10): y"))
	assert.Positive(t, compareWhere("f#2 (line 10): x", "f#1 (line 9): y"))
	assert.Negative(t, compareWhere("a#0 (line 10): x", "b#0 (line 9): y"), "different files compare by name")
	assert.Zero(t, compareWhere("f#1 (line 9): x", "f#1 (line 9): a"), "one document's problems keep their order")
	assert.Negative(t, compareWhere("f#1 (line 9): x", "--wec b"), "located problems first")
	assert.Zero(t, compareWhere("--wec a", "--wec b"))
}

func TestPropertiesConfigMapRejectsUnknownFields(t *testing.T) {
	_, err := propertiesConfigMap(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "x", "namespace": "customization-properties"},
		"spec":     map[string]any{},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown field "spec"`)
}
