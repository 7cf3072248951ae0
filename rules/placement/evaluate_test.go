package placement_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/rules/placement"
)

// fleet is the inventory of KubeStellar's getting-started setup: two edge WECs, plus one core
// WEC that edge selectors must leave out.
var fleet = []placement.Cluster{
	cluster("cluster1", "name=cluster1,location-group=edge"),
	cluster("cluster2", "name=cluster2,location-group=edge"),
	cluster("cluster3", "name=cluster3,location-group=core"),
}

// nginx is the workload of KubeStellar's example scenario 1 (docs/content/direct/
// example-scenarios.md): a labelled Namespace and a Deployment in it.
var nginx = []placement.Object{
	obj("namespaces", "nginx", "app.kubernetes.io/name=nginx"),
	obj("deployments.apps", "nginx/nginx-deployment", "app.kubernetes.io/name=nginx"),
}

const policyHead = "apiVersion: control.kubestellar.io/v1alpha1\nkind: BindingPolicy\n"

// TestSelection covers every selection rule; each case says why its answer is right and, where
// it follows one, which KubeStellar source it follows.
func TestSelection(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		docs         string
		clusters     []placement.Cluster
		objects      []placement.Object
		want         map[string][]string
	}{{
		name:   "job bound to one cluster by name",
		reason: "test/e2e/ginkgo/multiple_cluster_deployment_test.go binds a Job with clusterSelectors name=cluster1; cluster2 must not get it",
		docs: policyHead + `metadata: {name: job-policy}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{objectSelectors: [{matchLabels: {app: pi}}]}]`,
		objects: []placement.Object{obj("jobs.batch", "default/pi", "app=pi")},
		want:    map[string][]string{"cluster1": {"jobs.batch default/pi"}},
	}, {
		name:   "example scenario 1: edge WECs get the labelled Namespace and Deployment",
		reason: "docs/content/direct/example-scenarios.md: location-group=edge selects cluster1 and cluster2; the objectSelector selects both objects",
		docs: policyHead + `metadata: {name: nginx-bpolicy}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{objectSelectors: [{matchLabels: {app.kubernetes.io/name: nginx}}]}]`,
		objects: nginx,
		want: map[string][]string{
			"cluster1": {"namespaces nginx", "deployments.apps nginx/nginx-deployment"},
			"cluster2": {"namespaces nginx", "deployments.apps nginx/nginx-deployment"},
		},
	}, {
		name:   "cluster selectors are ORed",
		reason: "api/control/v1alpha1/types.go: a WEC is relevant if it passes any of the selectors",
		docs: policyHead + `metadata: {name: p}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}, {matchLabels: {name: cluster3}}]
  downsync: [{resources: [configmaps]}]`,
		objects: []placement.Object{obj("configmaps", "a/cm", "")},
		want:    map[string][]string{"cluster1": {"configmaps a/cm"}, "cluster3": {"configmaps a/cm"}},
	}, {
		name:   "matchLabels and matchExpressions of one selector are ANDed",
		reason: "a standard label selector: every requirement must hold; location-group=edge and name!=cluster1 leaves cluster2",
		docs: policyHead + `metadata: {name: p}
spec:
  clusterSelectors:
  - matchLabels: {location-group: edge}
    matchExpressions: [{key: name, operator: NotIn, values: [cluster1]}]
  downsync: [{resources: [configmaps]}]`,
		objects: []placement.Object{obj("configmaps", "a/cm", "")},
		want:    map[string][]string{"cluster2": {"configmaps a/cm"}},
	}, {
		name:   "no cluster selector selects no WEC",
		reason: "pkg/binding: an empty clusterSelectors list matches nothing (not everything)",
		docs: policyHead + `metadata: {name: p}
spec:
  downsync: [{resources: [configmaps]}]`,
		objects: []placement.Object{obj("configmaps", "a/cm", "")},
		want:    map[string][]string{},
	}, {
		name:   "an empty cluster selector selects every WEC",
		reason: "an empty label selector {} matches every label set",
		docs: policyHead + `metadata: {name: p}
spec:
  clusterSelectors: [{}]
  downsync: [{resources: [configmaps]}]`,
		objects: []placement.Object{obj("configmaps", "a/cm", "")},
		want: map[string][]string{"cluster1": {"configmaps a/cm"}, "cluster2": {"configmaps a/cm"},
			"cluster3": {"configmaps a/cm"}},
	}, {
		name:   "downsync clauses are ORed, fields inside a clause ANDed",
		reason: "api/control/v1alpha1/types.go: an object is selected if it matches at least one clause, and a clause's criteria must all hold",
		docs: policyHead + `metadata: {name: p}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync:
  - {resources: [configmaps], namespaces: [a]}
  - {resources: [secrets], objectNames: [s2]}`,
		objects: []placement.Object{obj("configmaps", "a/cm", ""), obj("configmaps", "b/cm", ""),
			obj("secrets", "a/s1", ""), obj("secrets", "a/s2", "")},
		want: map[string][]string{"cluster1": {"configmaps a/cm", "secrets a/s2"}},
	}, {
		name:   "apiGroup absent matches every group, empty string only core",
		reason: "api/control/v1alpha1/types.go: apiGroup nil matches every group; \"\" is the core group",
		docs: policyHead + `metadata: {name: any}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{objectNames: [x]}]
---
` + policyHead + `metadata: {name: core}
spec:
  clusterSelectors: [{matchLabels: {name: cluster2}}]
  downsync: [{apiGroup: "", objectNames: [x]}]`,
		objects: []placement.Object{obj("configmaps", "a/x", ""), obj("deployments.apps", "a/x", "")},
		want: map[string][]string{"cluster1": {"configmaps a/x", "deployments.apps a/x"},
			"cluster2": {"configmaps a/x"}},
	}, {
		name:   "resources, namespaces and objectNames wildcards",
		reason: "\"*\" in resources, namespaces or objectNames means any; \"*\" in namespaces also admits cluster-scoped objects",
		docs: policyHead + `metadata: {name: p}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{resources: ["*"], namespaces: ["*"], objectNames: ["*"]}]`,
		objects: []placement.Object{obj("namespaces", "a", ""), obj("configmaps", "a/x", ""),
			obj("clusterroles.rbac.authorization.k8s.io", "reader", "")},
		want: map[string][]string{"cluster1": {"clusterroles.rbac.authorization.k8s.io reader",
			"configmaps a/x", "namespaces a"}},
	}, {
		name:   "a namespaces list without * never selects a cluster-scoped object, not even the Namespace",
		reason: "api/control/v1alpha1/types.go: \"*\" is the only way for namespaces to match a cluster-scoped object",
		docs: policyHead + `metadata: {name: p}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{namespaces: [a]}]`,
		objects: []placement.Object{obj("namespaces", "a", ""), obj("configmaps", "a/x", "")},
		want:    map[string][]string{"cluster1": {"configmaps a/x"}},
	}, {
		name:   "namespaceSelectors read the Namespace's labels; cluster-scoped objects pass only {}",
		reason: "api/control/v1alpha1/types.go: a namespaced object needs a selector its Namespace passes; a cluster-scoped one needs an empty selector",
		docs: policyHead + `metadata: {name: by-ns}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{namespaceSelectors: [{matchLabels: {team: a}}]}]
---
` + policyHead + `metadata: {name: by-ns-or-all}
spec:
  clusterSelectors: [{matchLabels: {name: cluster2}}]
  downsync: [{namespaceSelectors: [{matchLabels: {team: a}}, {}]}]`,
		objects: []placement.Object{obj("namespaces", "a", "team=a"), obj("namespaces", "b", "team=b"),
			obj("configmaps", "a/x", ""), obj("configmaps", "b/y", "")},
		want: map[string][]string{"cluster1": {"configmaps a/x"},
			"cluster2": {"configmaps a/x", "configmaps b/y", "namespaces a", "namespaces b"}},
	}, {
		name:   "objectSelectors are ORed and read the object's own labels",
		reason: "api/control/v1alpha1/types.go: at least one objectSelector must match the object's labels",
		docs: policyHead + `metadata: {name: p}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{objectSelectors: [{matchLabels: {app: a}}, {matchExpressions: [{key: tier, operator: Exists}]}]}]`,
		objects: []placement.Object{obj("configmaps", "n/a", "app=a"), obj("configmaps", "n/b", "tier=web"),
			obj("configmaps", "n/c", "app=c")},
		want: map[string][]string{"cluster1": {"configmaps n/a", "configmaps n/b"}},
	}, {
		name:   "control objects and CustomizationRules are never delivered",
		reason: "pkg/binding leaves out control.kubestellar.io and per-cluster kinds; wecforge also keeps its own rules home",
		docs: policyHead + `metadata: {name: everything}
spec:
  clusterSelectors: [{}]
  downsync: [{}]`,
		clusters: []placement.Cluster{cluster("c", "")},
		objects: []placement.Object{obj("bindingpolicies.control.kubestellar.io", "everything", ""),
			obj("customizationrules.wecforge.io", "r", ""), obj("events", "a/e", ""),
			obj("leases.coordination.k8s.io", "a/l", ""), obj("configmaps", "a/x", "")},
		want: map[string][]string{"c": {"configmaps a/x"}},
	}, {
		name:   "a namespaced object's Namespace is not added",
		reason: "KubeStellar delivers a Namespace only when a clause selects it",
		docs: policyHead + `metadata: {name: p}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{resources: [deployments]}]`,
		objects: nginx,
		want:    map[string][]string{"cluster1": {"deployments.apps nginx/nginx-deployment"}},
	}, {
		name:   "a hand-written Binding delivers its entries; version and resourceVersion are ignored",
		reason: "api/control/v1alpha1/types.go: a Binding lists objects by group, version, resource, namespace, name; wecforge matches without the version",
		docs: `apiVersion: control.kubestellar.io/v1alpha1
kind: Binding
metadata: {name: manual}
spec:
  workload:
    clusterScope: [{group: "", version: v1, resource: namespaces, name: nginx, resourceVersion: "7"}]
    namespaceScope: [{group: apps, version: v1beta1, resource: deployments, namespace: nginx, name: nginx-deployment, createOnly: true}]
  destinations: [{clusterId: cluster3}]`,
		objects: nginx,
		want:    map[string][]string{"cluster3": {"deployments.apps nginx/nginx-deployment !", "namespaces nginx"}},
	}, {
		name:   "a Binding named like a BindingPolicy is ignored in favour of the policy",
		reason: "the Binding is the policy's resolved form; the policy among the inputs is the truth",
		docs: policyHead + `metadata: {name: p}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{resources: [namespaces]}]
---
apiVersion: control.kubestellar.io/v1alpha1
kind: Binding
metadata: {name: p}
spec:
  workload: {clusterScope: [{resource: namespaces, name: nginx}]}
  destinations: [{clusterId: cluster2}]`,
		objects: nginx,
		want:    map[string][]string{"cluster1": {"namespaces nginx"}},
	}, {
		name:   "two policies on one object deliver it once; createOnly wins",
		reason: "wecforge delivers each object at most once per WEC (two ManifestWorks would fight); create-only never overwrites the WEC",
		docs: policyHead + `metadata: {name: a}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{resources: [deployments], createOnly: true}]
---
` + policyHead + `metadata: {name: b}
spec:
  clusterSelectors: [{}]
  downsync: [{resources: [deployments]}]`,
		objects: nginx[1:],
		want: map[string][]string{"cluster1": {"deployments.apps nginx/nginx-deployment !"},
			"cluster2": {"deployments.apps nginx/nginx-deployment !"},
			"cluster3": {"deployments.apps nginx/nginx-deployment"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ps, bs := parseDocs(t, tc.docs)
			clusters := tc.clusters
			if clusters == nil {
				clusters = fleet
			}
			r, err := placement.Evaluate(placement.Input{Policies: ps, Bindings: bs, Clusters: clusters, Objects: tc.objects})
			require.NoError(t, err)
			got := perWEC(r)
			for w, l := range tc.want {
				assert.ElementsMatch(t, l, got[w], "WEC %s: %s", w, tc.reason)
			}
			for w, l := range got {
				if _, ok := tc.want[w]; !ok {
					assert.Empty(t, l, "WEC %s: %s", w, tc.reason)
				}
			}
		})
	}
}
