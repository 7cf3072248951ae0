package placement_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/rules/placement"
)

func evaluate(t *testing.T, docs string, objects []placement.Object, known func(string, bool, string) bool) *placement.Result {
	t.Helper()
	ps, bs := parseDocs(t, docs)
	r, err := placement.Evaluate(placement.Input{Policies: ps, Bindings: bs, Clusters: fleet, Objects: objects, KnownResource: known})
	require.NoError(t, err)
	return r
}

func TestModulationMerging(t *testing.T) {
	r := evaluate(t, policyHead+`metadata: {name: a}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync:
  - {resources: [deployments], statusCollectors: [replicas], wantSingletonReportedState: true}
  - {objectNames: [nginx-deployment], statusCollectors: [age, replicas]}
  - {resources: [secrets], createOnly: true}
---
`+policyHead+`metadata: {name: b}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{resources: [deployments], wantMultiWECReportedState: true}]`, nginx, nil)

	p, ok := r.Delivered(1, "cluster1")
	require.True(t, ok)
	require.Len(t, p.By, 2)
	// Within policy a, clauses 0 and 1 select the Deployment: flags ORed, collectors unioned;
	// clause 2 does not select it and adds nothing.
	assert.Equal(t, placement.By{Kind: "BindingPolicy", Name: "a", Clauses: []int{0, 1}, Modulation: placement.Modulation{
		WantSingletonReportedState: true, StatusCollectors: []string{"age", "replicas"}}}, p.By[0])
	assert.Equal(t, placement.By{Kind: "BindingPolicy", Name: "b", Clauses: []int{0}, Modulation: placement.Modulation{
		WantMultiWECReportedState: true}}, p.By[1])
	// The delivery merges across policies.
	assert.Equal(t, placement.Modulation{WantSingletonReportedState: true, WantMultiWECReportedState: true,
		StatusCollectors: []string{"age", "replicas"}}, p.Modulation)
	assert.Equal(t, "bindingpolicy/a", p.By[0].String())

	// S = WECs of policies asking singleton, M = WECs of those asking multi-WEC (docs/placement.md,
	// status return): S = {cluster1}, M = {cluster1, cluster2}; both asked and |S ∪ M| = 2 →
	// aggregate.
	st := r.Status(1)
	assert.Equal(t, placement.StatusRequest{Singleton: true, MultiWEC: true, S: []string{"cluster1"}, M: []string{"cluster1", "cluster2"}}, st)
	assert.Equal(t, placement.StatusDecision{Action: placement.StatusAggregate, WECs: []string{"cluster1", "cluster2"}}, st.Decide())
	// The Namespace is not selected: it asks nothing.
	assert.Equal(t, placement.StatusDecision{Action: placement.StatusClear, WECs: []string{}}, r.Status(0).Decide())

	_, ok = r.Delivered(1, "cluster3")
	assert.False(t, ok, "neither policy selects cluster3")
}

func TestStatusDecide(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		req          placement.StatusRequest
		want         placement.StatusDecision
	}{
		{"singleton on one WEC", "only singleton asked and |S| = 1: copy",
			placement.StatusRequest{Singleton: true, S: []string{"a"}},
			placement.StatusDecision{Action: placement.StatusCopy, WECs: []string{"a"}}},
		{"singleton on two WECs", "only singleton asked and |S| ≠ 1: clear, and say the expectation is unmet",
			placement.StatusRequest{Singleton: true, S: []string{"a", "b"}},
			placement.StatusDecision{Action: placement.StatusClear, WECs: []string{}, SingletonUnmet: true}},
		{"multi on one WEC", "only multi-WEC asked and |M| = 1: copy",
			placement.StatusRequest{MultiWEC: true, M: []string{"a"}},
			placement.StatusDecision{Action: placement.StatusCopy, WECs: []string{"a"}}},
		{"multi on two WECs", "only multi-WEC asked and |M| > 1: aggregate",
			placement.StatusRequest{MultiWEC: true, M: []string{"a", "b"}},
			placement.StatusDecision{Action: placement.StatusAggregate, WECs: []string{"a", "b"}}},
		{"both on one WEC", "both asked and |S ∪ M| = 1: copy",
			placement.StatusRequest{Singleton: true, MultiWEC: true, S: []string{"a"}, M: []string{"a"}},
			placement.StatusDecision{Action: placement.StatusCopy, WECs: []string{"a"}}},
		{"nothing asked", "neither flag: clear",
			placement.StatusRequest{}, placement.StatusDecision{Action: placement.StatusClear, WECs: []string{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.req.Decide(), tc.reason)
		})
	}
}

func TestWarnings(t *testing.T) {
	known := func(group string, anyGroup bool, resource string) bool {
		return resource == "deployments" || resource == "namespaces" || resource == "configmaps"
	}
	r := evaluate(t, policyHead+`metadata: {name: deploy-edge}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{resources: [deployments, deployment]}]
---
`+policyHead+`metadata: {name: deploy-all-create-only}
spec:
  clusterSelectors: [{matchLabels: {name: cluster2}}]
  downsync: [{resources: [deployments], createOnly: true}]
---
`+policyHead+`metadata: {name: nowhere}
spec:
  downsync: [{resources: [namespaces]}]
---
`+policyHead+`metadata: {name: nothing}
spec:
  clusterSelectors: [{}]
  downsync: [{objectNames: [missing]}]
---
apiVersion: control.kubestellar.io/v1alpha1
kind: Binding
metadata: {name: manual}
spec:
  workload: {clusterScope: [{resource: namespaces, name: nginx}]}
  destinations: [{clusterId: cluster1}, {clusterId: cluster9}]
---
apiVersion: control.kubestellar.io/v1alpha1
kind: Binding
metadata: {name: nowhere}
spec:
  destinations: [{clusterId: cluster1}]`,
		append(append([]placement.Object{}, nginx...), obj("configmaps", "nginx/lonely", ""), obj("configmaps", "nginx/lonely", "x=y")), known)

	ws := r.Warnings()
	byCode := map[placement.WarningCode][]placement.Warning{}
	for _, w := range ws {
		byCode[w.Code] = append(byCode[w.Code], w)
		assert.NotEmpty(t, w.Message)
		assert.NotContains(t, w.Message, "%!")
	}
	require.Len(t, byCode[placement.DuplicateObject], 1, "%v", ws)
	assert.Equal(t, "configmaps nginx/lonely", byCode[placement.DuplicateObject][0].Object)

	require.Len(t, byCode[placement.UnknownResource], 1, "%v", ws)
	assert.Equal(t, "bindingpolicy/deploy-edge", byCode[placement.UnknownResource][0].Document)
	assert.Contains(t, byCode[placement.UnknownResource][0].Message, `"deployment"`)

	require.Len(t, byCode[placement.SelectsNoWEC], 1, "%v", ws)
	assert.Equal(t, "bindingpolicy/nowhere", byCode[placement.SelectsNoWEC][0].Document)
	noObject := []string{}
	for _, w := range byCode[placement.SelectsNoObject] {
		noObject = append(noObject, w.Document)
	}
	assert.Equal(t, []string{"bindingpolicy/nothing"}, noObject)

	require.Len(t, byCode[placement.UnknownDestination], 1, "%v", ws)
	assert.Equal(t, []string{"cluster9"}, byCode[placement.UnknownDestination][0].WECs)

	require.Len(t, byCode[placement.ObjectNotSelected], 1, "%v", ws)
	assert.Equal(t, "configmaps nginx/lonely", byCode[placement.ObjectNotSelected][0].Object)

	// deploy-edge updates on cluster1 and cluster2, deploy-all-create-only is create-only on
	// cluster2: they disagree on cluster2 only.
	require.Len(t, byCode[placement.CreateOnlyDisagreement], 1, "%v", ws)
	co := byCode[placement.CreateOnlyDisagreement][0]
	assert.Equal(t, []string{"cluster2"}, co.WECs)
	assert.Equal(t, []string{"bindingpolicy/deploy-all-create-only", "bindingpolicy/deploy-edge"}, co.Documents)

	// The Deployment reaches cluster1 and cluster2; the Namespace nginx only cluster1 (by the
	// Binding manual).
	require.Len(t, byCode[placement.NamespaceNotDelivered], 1, "%v", ws)
	assert.Equal(t, []string{"cluster2"}, byCode[placement.NamespaceNotDelivered][0].WECs)

	// The Binding named like the policy "nowhere" is ignored, with a notice.
	require.Len(t, r.Notices(), 1)
	assert.Equal(t, placement.BindingShadowed, r.Notices()[0].Code)
	for _, d := range r.Documents() {
		assert.False(t, d.Kind == placement.BindingKind && d.Name == "nowhere", "the shadowed Binding is not placed")
	}
}

func TestSummaries(t *testing.T) {
	objs := append([]placement.Object{obj("bindingpolicies.control.kubestellar.io", "p", "")}, nginx...)
	objs = append(objs, obj("configmaps", "nginx/other", ""))
	r := evaluate(t, policyHead+`metadata: {name: p}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{objectSelectors: [{matchLabels: {app.kubernetes.io/name: nginx}}]}, {resources: [bindingpolicies]}]`, objs, nil)
	docs := r.Documents()
	require.Len(t, docs, 1)
	assert.Equal(t, []string{"cluster1", "cluster2"}, docs[0].WECs)
	assert.Equal(t, []int{1, 2}, docs[0].Objects, "sorted by key: the core group (namespaces) before apps")
	assert.Equal(t, []int{3}, r.Unbound())
	ex := r.Excluded()
	require.Len(t, ex, 1)
	assert.Equal(t, 0, ex[0].Object, "the BindingPolicy itself is never delivered, even when a clause selects it")
	assert.NotEmpty(t, ex[0].Reason)
	assert.Equal(t, []placement.Placement{}, r.ForWEC("unknown"))
}

func TestEvaluateInputErrors(t *testing.T) {
	p, _ := parseDocs(t, policyHead+"metadata: {name: p}\nspec: {}")
	for _, tc := range []struct {
		name string
		in   placement.Input
	}{
		{"repeated cluster", placement.Input{Clusters: []placement.Cluster{cluster("a", ""), cluster("a", "")}}},
		{"cluster without name", placement.Input{Clusters: []placement.Cluster{{}}}},
		{"object without resource", placement.Input{Objects: []placement.Object{{Key: placement.Key{Name: "x"}}}}},
		{"repeated policy", placement.Input{Policies: append(p, p...)}},
		{"nil policy", placement.Input{Policies: []*placement.Policy{nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := placement.Evaluate(tc.in)
			assert.Nil(t, r)
			assert.True(t, errors.Is(err, placement.ErrInput), "%v", err)
		})
	}
}

func TestNoMutation(t *testing.T) {
	docs := decodeAll(t, policyHead+`metadata: {name: p}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{objectSelectors: [{matchLabels: {app.kubernetes.io/name: nginx}}], statusCollectors: [b, a]}]`)
	before := decodeAll(t, policyHead+`metadata: {name: p}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{objectSelectors: [{matchLabels: {app.kubernetes.io/name: nginx}}], statusCollectors: [b, a]}]`)
	p, err := placement.ParseBindingPolicy(docs[0])
	require.NoError(t, err)
	assert.Equal(t, before, docs)
	objs := []placement.Object{obj("configmaps", "n/x", "app.kubernetes.io/name=nginx")}
	r, err := placement.Evaluate(placement.Input{Policies: []*placement.Policy{p}, Clusters: fleet, Objects: objs})
	require.NoError(t, err)
	objs[0].Labels["app.kubernetes.io/name"] = "changed"
	fleet2 := fleet[0].Labels
	assert.Equal(t, "edge", fleet2["location-group"])
	pl, ok := r.Delivered(0, "cluster1")
	require.True(t, ok, "the result keeps its own copy of the labels")
	pl.By[0].Modulation.StatusCollectors[0] = "mutated"
	again, _ := r.Delivered(0, "cluster1")
	assert.Equal(t, []string{"a", "b"}, again.By[0].Modulation.StatusCollectors, "returned slices are the caller's")
}

// TestUnmetSingletons: singleton state asked by a policy delivering to two WECs is unmet (|S| =
// 2) and reported for that policy only; with multi-WEC state asked too it is an aggregate, not
// an error; a policy asking nothing is never named.
func TestUnmetSingletons(t *testing.T) {
	r := evaluate(t, policyHead+`metadata: {name: single}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{resources: [deployments], wantSingletonReportedState: true}]
---
`+policyHead+`metadata: {name: plain}
spec:
  clusterSelectors: [{matchLabels: {name: cluster3}}]
  downsync: [{resources: [deployments]}]`, nginx, nil)
	assert.Equal(t, []placement.UnmetSingleton{{Object: nginx[1].Key, Qualified: 2, Policies: []string{"single"}}}, r.UnmetSingletons())

	r = evaluate(t, policyHead+`metadata: {name: single}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{resources: [deployments], wantSingletonReportedState: true, wantMultiWECReportedState: true}]`, nginx, nil)
	assert.Empty(t, r.UnmetSingletons(), "both asked over two WECs aggregates")

	r = evaluate(t, policyHead+`metadata: {name: single}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{resources: [deployments], wantSingletonReportedState: true}]`, nginx, nil)
	assert.Empty(t, r.UnmetSingletons(), "exactly one WEC: a copy")
}
