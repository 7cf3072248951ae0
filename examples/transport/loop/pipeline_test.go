package loop

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
)

func testdata(name string) string { return filepath.Join("..", "testdata", name) }

func mustWEC(t *testing.T, name, region, zone string) *customization.WEC {
	t.Helper()
	cm := &corev1.ConfigMap{Data: map[string]string{"zone": zone}}
	cm.Name, cm.Namespace = name, customization.PropertiesNamespace
	w, err := customization.New(name, map[string]string{"region": region}, nil, cm)
	require.NoError(t, err)
	return w
}

// TestDemoPipeline renders the README's demo data offline: registry by region, template from
// the properties ConfigMap, CustomTransform removals, and the dependencies that decide what a
// property change re-renders.
func TestDemoPipeline(t *testing.T) {
	cfg, _, err := ReadObjects(testdata("config.yaml"))
	require.NoError(t, err)
	p, warnings, err := BuildPipeline(cfg)
	require.NoError(t, err)
	assert.Empty(t, warnings)
	objs, _, err := ReadObjects(testdata("workload.yaml"))
	require.NoError(t, err)
	require.Len(t, objs, 2)
	before := objs[0].DeepCopy()

	wecs := []*customization.WEC{mustWEC(t, "cluster1", "east", "e1"), mustWEC(t, "cluster2", "west", "w1")}
	res := p.RenderAll(context.Background(), objs, wecs)
	require.Len(t, res, 4)
	assert.Equal(t, before, objs[0], "inputs are never modified")
	for _, r := range res {
		require.NoError(t, r.Err, "%s %s", r.WEC, r.Ref)
	}
	byWEC := map[string]map[string]*unstructured.Unstructured{}
	deps := map[string]customization.Dependencies{}
	for _, r := range res {
		if byWEC[r.WEC] == nil {
			byWEC[r.WEC] = map[string]*unstructured.Unstructured{}
		}
		byWEC[r.WEC][r.Ref.Kind] = r.Object
		deps[r.WEC+"/"+r.Ref.Kind] = r.Deps
	}
	for _, tc := range []struct{ wec, region, zone string }{{"cluster1", "east", "e1"}, {"cluster2", "west", "w1"}} {
		t.Run(tc.wec, func(t *testing.T) {
			dep := byWEC[tc.wec]["Deployment"]
			img, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
			assert.Equal(t, tc.region+".registry.example/team/web:1.0", img[0].(map[string]any)["image"])
			_, found, _ := unstructured.NestedFieldNoCopy(dep.Object, "spec", "revisionHistoryLimit")
			assert.False(t, found, "removed by the CustomTransform")
			assert.NotContains(t, dep.GetAnnotations(), "wds.example/internal")
			cm := byWEC[tc.wec]["ConfigMap"]
			data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
			assert.Equal(t, map[string]string{"greeting": "hello from " + tc.wec + " in zone " + tc.zone, "region": tc.region}, data)
		})
	}
	zoneChange := customization.Delta{ConfigMap: []string{"zone"}, Properties: []string{"zone"}}
	assert.False(t, deps["cluster2/Deployment"].Affected(zoneChange), "the Deployment does not read zone")
	assert.True(t, deps["cluster2/ConfigMap"].Affected(zoneChange))
	regionChange := customization.Delta{Labels: []string{"region"}, Properties: []string{"region"}}
	assert.True(t, deps["cluster1/Deployment"].Affected(regionChange))
}

func TestBuildPipelineRejectsOtherKinds(t *testing.T) {
	_, _, err := BuildPipeline([]*unstructured.Unstructured{{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x"}}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ConfigMap x")
}

func TestParseResources(t *testing.T) {
	got, err := ParseResources("deployments.v1.apps, configmaps.v1,,widgets.v1alpha1.example.com")
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, "apps", got[0].Group)
	assert.Equal(t, "", got[1].Group)
	assert.Equal(t, "example.com", got[2].Group)
	for _, bad := range []string{"", "deployments", ".v1"} {
		_, err := ParseResources(bad)
		assert.Error(t, err, bad)
	}
}

// TestBuildPipelineCustomTransformOnCRDKind is the drift the one assembly fixes: a CRD among
// the configuration teaches the transport its resource, so a CustomTransform aimed at it
// applies instead of failing every object of that kind with "unknown kind".
func TestBuildPipelineCustomTransformOnCRDKind(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clusterlogforwarders.logging.openshift.io
spec:
  group: logging.openshift.io
  scope: Namespaced
  names: {plural: clusterlogforwarders, singular: clusterlogforwarder, kind: ClusterLogForwarder}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: CustomTransform
metadata:
  name: clf
spec:
  apiGroup: logging.openshift.io
  resource: clusterlogforwarders
  remove: ["$.spec.serviceAccountName"]
`), 0o600))
	obj := filepath.Join(dir, "clf.yaml")
	require.NoError(t, os.WriteFile(obj, []byte(`apiVersion: logging.openshift.io/v1
kind: ClusterLogForwarder
metadata: {name: instance, namespace: openshift-logging}
spec: {serviceAccountName: collector, replicas: 2, enabled: yes}
`), 0o600))

	docs, warns, err := ReadObjects(cfg)
	require.NoError(t, err)
	assert.Empty(t, warns)
	p, _, err := BuildPipeline(docs)
	require.NoError(t, err)
	objs, warns, err := ReadObjects(obj)
	require.NoError(t, err)
	require.Len(t, warns, 1, "the YAML 1.1 boolean yes is reported with its file and line")
	assert.Contains(t, warns[0].String(), "clf.yaml")

	prep := p.Prepare(context.Background(), objs[0])
	require.NoError(t, prep.Err)
	spec := prep.Object().Object["spec"].(map[string]any)
	assert.NotContains(t, spec, "serviceAccountName")
	assert.Equal(t, int64(2), spec["replicas"], "integral numbers are int64")
	assert.Equal(t, true, spec["enabled"], "read as kubectl reads it")
}
