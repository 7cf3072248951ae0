package statusloop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/examples/transport/statusback"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
)

// createCollector creates a StatusCollector in the WDS (cluster-scoped, so named per test).
func (f *fixture) createCollector(name string) {
	f.t.Helper()
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": combine.APIVersion, "kind": combine.Kind,
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"combinedFields": []any{map[string]any{"name": "wecs", "type": "COUNT"}}},
	}}
	_, err := f.dyn.Resource(statusback.StatusCollectorResource).Create(f.ctx, obj, metav1.CreateOptions{})
	require.NoError(f.t, err)
}

// TestSetCollectors: a policy naming a collector the controller does not know yet gets a
// CombinedStatus without results (KubeStellar makes one per (object, policy naming a
// collector), with a result per valid collector); once the collector arrives every placed object is recombined and the
// CombinedStatus written, and the collectors' statuses carry their errors. Handing the same
// collectors over again writes nothing.
func TestSetCollectors(t *testing.T) {
	f := newFixture(t)
	obj := f.createDeployment("web")
	good, bad := "wecs-replicas", f.ns+"-bad"
	f.createCollector(good + "-" + f.ns)
	f.createCollector(bad)
	policy := combine.Policy{Name: "bp", UID: "bp-uid", WECs: []string{f.wec1, f.wec2}, Collectors: []string{good}}
	require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: obj,
		Request: placement.StatusRequest{MultiWEC: true, M: []string{f.wec1, f.wec2}}, Policies: []combine.Policy{policy}}))
	f.deliver(f.wec1, "web")
	f.deliver(f.wec2, "web")
	f.report(f.wec1, "web", "", whole(map[string]any{"replicas": int64(2)}))
	f.report(f.wec2, "web", "", whole(map[string]any{"replicas": int64(5)}))
	f.waitStatus("web", statusIs(map[string]any{"replicas": int64(2)}, multiLabel))
	name := string(obj.GetUID()) + ".bp-uid"
	require.Eventually(t, func() bool { return f.ctl.Stats().CombinedApplies == 1 }, waitFor, tick)
	f.settle()
	results, found, _ := unstructured.NestedSlice(f.combined(name).Object, "results")
	assert.Empty(t, results, "the collector is unknown: no result (found=%v)", found)

	statuses := []CollectorStatus{
		{Name: good + "-" + f.ns, Generation: 1},
		{Name: bad, Generation: 3, Errors: []string{"spec.select: select excludes combinedFields"}},
	}
	f.ctl.SetCollectors([]*combine.Collector{wecsAndReplicas(t)}, statuses)
	f.waitCombined(name, 2, 7)
	require.Eventually(t, func() bool { return f.ctl.Stats().CollectorWrites == 2 }, waitFor, tick)
	f.settle()
	got, err := f.dyn.Resource(statusback.StatusCollectorResource).Get(f.ctx, bad, metav1.GetOptions{})
	require.NoError(t, err)
	errs, _, _ := unstructured.NestedStringSlice(got.Object, "status", "errors")
	assert.Equal(t, statuses[1].Errors, errs)
	gen, _, _ := unstructured.NestedInt64(got.Object, "status", "observedGeneration")
	assert.Equal(t, int64(3), gen)

	before := f.ctl.Stats()
	f.ctl.SetCollectors([]*combine.Collector{wecsAndReplicas(t)}, statuses)
	f.settle()
	assert.Equal(t, before, f.ctl.Stats(), "same collectors, same statuses: nothing written")
	assert.Equal(t, Stats{StatusWrites: 2, CombinedApplies: 2, CollectorWrites: 2}, before,
		"status: labels, then the aggregate; the CombinedStatus created, then given its result; two collector statuses")
}
