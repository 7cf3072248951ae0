package generic_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/internal/testobj"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/generic"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

var decode = testobj.FromYAML

// run applies the generic stage through a pipeline and checks that the input is unchanged.
func run(t *testing.T, in *unstructured.Unstructured) *transform.Prepared {
	t.Helper()
	before := in.DeepCopy()
	p := transform.NewPipeline([]transform.Stage{transform.Named(generic.StageName, generic.New())}, nil)
	prep := p.Prepare(context.Background(), in)
	require.NoError(t, prep.Err)
	require.Equal(t, before, in, "the input must never be modified")
	return prep
}

func TestRemovals(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		in     string
		want   string
	}{{
		name:   "everything",
		reason: "every generic field goes, creationTimestamp and other metadata stay",
		in: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  creationTimestamp: "2026-01-01T00:00:00Z"
  managedFields: [{manager: kubectl}]
  finalizers: [example.com/f]
  generation: 3
  ownerReferences: [{apiVersion: v1, kind: Foo, name: x, uid: u}]
  selfLink: /apis/apps/v1/namespaces/shop/deployments/web
  resourceVersion: "12"
  uid: abc
  generateName: web-
  labels: {app: web}
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: "{}"
    keep: "yes"
spec: {replicas: 1}
status: {replicas: 1}
`,
		want: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels: {app: web}
  annotations: {keep: "yes"}
spec: {replicas: 1}
`,
	}, {
		name:   "annotations emptied",
		reason: "an annotations map left empty by the removal is removed (deviation from KubeStellar)",
		in: `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}"}
`,
		want: `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
`,
	}, {
		name:   "already empty annotations",
		reason: "an empty map the stage did not empty is the user's and stays",
		in: `apiVersion: v1
kind: ConfigMap
metadata: {name: c, annotations: {}, labels: {}}
`,
		want: `apiVersion: v1
kind: ConfigMap
metadata: {name: c, annotations: {}, labels: {}}
`,
	}, {
		name:   "nothing to remove",
		reason: "absent fields are skipped",
		in: `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {status: x}
`,
		want: `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {status: x}
`,
	}, {
		name:   "status below the top level",
		reason: "only top-level status is removed",
		in: `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
spec: {status: keep}
status: drop
`,
		want: `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
spec: {status: keep}
`,
	}, {
		name:   "metadata not a map",
		reason: "bad shapes are left alone rather than crashing",
		in: `apiVersion: v1
kind: ConfigMap
metadata: oops
`,
		want: `apiVersion: v1
kind: ConfigMap
metadata: oops
`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prep := run(t, decode(t, tc.in))
			assert.Equal(t, decode(t, tc.want).Object, prep.Object().Object, tc.reason)
		})
	}
}

func TestTrace(t *testing.T) {
	prep := run(t, decode(t, `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  uid: abc
  annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}"}
status: {x: 1}
`))
	var got []string
	for _, c := range prep.Trace() {
		assert.Equal(t, generic.StageName, c.By)
		assert.Equal(t, transform.ChangeRemove, c.Kind)
		got = append(got, c.Path)
	}
	assert.Equal(t, []string{
		".metadata.uid",
		`.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`,
		".metadata.annotations",
		".status",
	}, got)
	assert.Equal(t, "abc", prep.Trace()[0].Old)
}

func TestRemoveEntry(t *testing.T) {
	loc := func(keys ...string) jsonpath.Location {
		var l jsonpath.Location
		for _, k := range keys {
			l = append(l, jsonpath.Step{Key: k})
		}
		return l
	}
	tests := []struct {
		name    string
		entry   jsonpath.Location
		want    map[string]any
		removed bool
	}{
		{"last entry removes the map", loc("m", "a"), map[string]any{"keep": "x", "n": map[string]any{"a": "1", "b": "2"}}, true},
		{"other entries keep the map", loc("n", "a"), map[string]any{"keep": "x", "m": map[string]any{"a": "1"}, "n": map[string]any{"b": "2"}}, true},
		{"parent not a map", loc("keep", "a"), nil, false},
		{"absent entry", loc("m", "zz"), nil, false},
		{"too short", loc("keep"), nil, false},
		{"index step", jsonpath.Location{{Key: "m"}, {Index: 0, IsIndex: true}}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := map[string]any{"keep": "x", "m": map[string]any{"a": "1"}, "n": map[string]any{"a": "1", "b": "2"}}
			o := transform.NewObject(base)
			assert.Equal(t, tc.removed, generic.RemoveEntry(o, tc.entry))
			if tc.want != nil {
				assert.Equal(t, tc.want, o.Root())
			} else {
				assert.Equal(t, base, o.Root())
			}
		})
	}
}
