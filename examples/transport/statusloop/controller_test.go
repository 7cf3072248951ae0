package statusloop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/examples/transport/statusback"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
)

const (
	singletonLabel = combine.SingletonStatusLabel
	multiLabel     = combine.MultiWECStatusLabel
)

// wecsAndReplicas is a StatusCollector: COUNT of WECs, SUM of returned.status.replicas.
func wecsAndReplicas(t *testing.T) *combine.Collector {
	t.Helper()
	c, err := combine.ParseCollector(map[string]any{
		"apiVersion": combine.APIVersion, "kind": combine.Kind,
		"metadata": map[string]any{"name": "wecs-replicas"},
		"spec": map[string]any{"combinedFields": []any{
			map[string]any{"name": "wecs", "type": "COUNT"},
			map[string]any{"name": "replicas", "type": "SUM", "subject": "returned.status.replicas"},
		}},
	})
	require.NoError(t, err)
	return c
}

// statusIs returns a waitStatus predicate: status equals want and label is the only status
// label.
func statusIs(want map[string]any, label string) func(map[string]any, map[string]string) bool {
	return func(st map[string]any, labels map[string]string) bool {
		if len(st) == 0 {
			st = map[string]any{}
		}
		for _, l := range []string{singletonLabel, multiLabel} {
			if (labels[l] == "true") != (l == label) {
				return false
			}
		}
		return assert.ObjectsAreEqual(want, st)
	}
}

// counts is the part of Stats the scripted test follows.
func counts(s Stats) [4]int64 {
	return [4]int64{s.StatusWrites, s.CombinedApplies, s.CombinedDeletes, s.CollectorWrites}
}

// TestScriptedSequence drives one Deployment through singleton, multi-WEC with a
// StatusCollector, one WEC scaling, the collector leaving the policy, and an unmet singleton
// request, and checks after every step the WDS's content and the exact number of writes:
// a step that changes an output writes it once, a step that changes none writes nothing.
func TestScriptedSequence(t *testing.T) {
	f := newFixture(t, wecsAndReplicas(t))
	obj := f.createDeployment("web")
	ref := transform.RefOf(obj.Object)
	key := func(s ...string) []string { return s }

	// 1. Singleton from wec1: before the WEC reports, {} and the label; then its status.
	require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: obj,
		Request: placement.StatusRequest{Singleton: true, S: key(f.wec1)}}))
	assert.Nil(t, f.ctl.StatusRequest(ref, f.wec2), "wec2's status is not wanted")
	f.deliver(f.wec1, "web")
	f.waitStatus("web", statusIs(map[string]any{}, singletonLabel))
	assert.Equal(t, [4]int64{1, 0, 0, 0}, counts(f.ctl.Stats()), "the label only")

	s1 := map[string]any{"replicas": int64(2), "updatedReplicas": int64(2), "observedGeneration": int64(1)}
	f.report(f.wec1, "web", "", whole(s1))
	f.waitStatus("web", statusIs(s1, singletonLabel))
	assert.Equal(t, [4]int64{2, 0, 0, 0}, counts(f.ctl.Stats()))

	// Idle: the same report again, and the written object handed back by the transport.
	f.report(f.wec1, "web", "", whole(s1))
	require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: f.get("web"),
		Request: placement.StatusRequest{Singleton: true, S: key(f.wec1)}}))
	f.settle()
	assert.Equal(t, [4]int64{2, 0, 0, 0}, counts(f.ctl.Stats()), "nothing changed, nothing written")

	// 2. Multi-WEC over wec1 and wec2 with the collector.
	policy := combine.Policy{Name: "web-bp", UID: "bp-uid-1", WECs: key(f.wec1, f.wec2), Collectors: key("wecs-replicas")}
	multi := placement.StatusRequest{MultiWEC: true, M: key(f.wec1, f.wec2)}
	require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: f.get("web"), Request: multi, Policies: []combine.Policy{policy}}))
	require.NotNil(t, f.ctl.StatusRequest(ref, f.wec2))
	f.deliver(f.wec2, "web")
	f.waitStatus("web", statusIs(s1, multiLabel))
	csName := string(obj.GetUID()) + ".bp-uid-1"
	assert.Equal(t, [4]int64{3, 1, 0, 0}, counts(f.ctl.Stats()), "labels swapped (status unchanged: one reported WEC), CombinedStatus created")

	f.report(f.wec2, "web", "", whole(map[string]any{"replicas": int64(1), "updatedReplicas": int64(1), "observedGeneration": int64(1)}))
	agg := map[string]any{"replicas": int64(1), "updatedReplicas": int64(1), "observedGeneration": int64(1)}
	f.waitStatus("web", statusIs(agg, multiLabel))
	f.waitCombined(csName, 2, 3)
	assert.Equal(t, [4]int64{4, 2, 0, 0}, counts(f.ctl.Stats()))

	// 3. wec1 scales up: the minimum does not move (no status write), the SUM does.
	f.report(f.wec1, "web", "", whole(map[string]any{"replicas": int64(4), "updatedReplicas": int64(4), "observedGeneration": int64(2)}))
	f.waitCombined(csName, 2, 5)
	assert.Equal(t, agg, f.status("web"))
	assert.Equal(t, [4]int64{4, 3, 0, 0}, counts(f.ctl.Stats()))

	cs := f.combined(csName)
	assert.Equal(t, map[string]string{
		combine.LabelAPIGroup: "apps", combine.LabelResource: "deployments", combine.LabelNamespace: f.ns,
		combine.LabelName: "web", combine.LabelBindingPolicy: "web-bp",
	}, cs.GetLabels())
	require.Len(t, cs.GetOwnerReferences(), 1)
	assert.Equal(t, metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: obj.GetUID()}, cs.GetOwnerReferences()[0])

	// 4. The policy stops naming the collector: the CombinedStatus goes.
	policy.Collectors = nil
	require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: f.get("web"), Request: multi, Policies: []combine.Policy{policy}}))
	require.Eventually(t, func() bool { return f.ctl.Stats().CombinedDeletes == 1 }, waitFor, tick)
	f.settle()
	_, err := f.dyn.Resource(statusback.CombinedStatusResource).Namespace(f.ns).Get(f.ctx, csName, metav1.GetOptions{})
	require.Error(t, err)
	assert.Equal(t, [4]int64{4, 3, 1, 0}, counts(f.ctl.Stats()))

	// 5. Singleton asked of two WECs: cleared, labels removed, the error exposed.
	require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: f.get("web"),
		Request: placement.StatusRequest{Singleton: true, S: key(f.wec1, f.wec2)}}))
	f.waitStatus("web", statusIs(map[string]any{}, ""))
	assert.Equal(t, [4]int64{5, 3, 1, 0}, counts(f.ctl.Stats()))
	errs := f.ctl.SingletonErrors()
	require.Len(t, errs, 1)
	assert.Equal(t, 2, errs[0].Qualified)
	assert.ErrorIs(t, errs[0], combine.ErrSingletonCount)

	// 6. Forgotten: the error clears; later reports write nothing.
	f.ctl.DeletePlacement(ref)
	f.report(f.wec1, "web", "", whole(s1))
	assert.Equal(t, []string{"web: 2 qualified", "web: cleared"}, f.singletonEvents())
	assert.Empty(t, f.ctl.SingletonErrors())
	assert.Equal(t, [4]int64{5, 3, 1, 0}, counts(f.ctl.Stats()))
	assert.Zero(t, f.ctl.Stats().Failures)
	assert.Empty(t, f.redelivered())
}

// TestFeedbackBeforePlacement: statuses that arrive before the transport hands the object
// over are kept and used once it does.
func TestFeedbackBeforePlacement(t *testing.T) {
	f := newFixture(t)
	obj := f.createDeployment("early")
	// Deliver with a request of the transport's own making (the controller knows nothing yet).
	ref := transform.RefOf(obj.Object)
	f.deliverWith(f.wec1, "early", &delivery.StatusRequest{Source: ref})
	st := map[string]any{"replicas": int64(3), "observedGeneration": int64(1)}
	f.report(f.wec1, "early", "", whole(st))
	assert.Equal(t, int64(0), f.ctl.Stats().StatusWrites)

	require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: obj,
		Request: placement.StatusRequest{Singleton: true, S: []string{f.wec1}}}))
	f.waitStatus("early", statusIs(st, singletonLabel))
	assert.Equal(t, int64(1), f.ctl.Stats().StatusWrites, "status and label in one go")
}

// status returns Deployment name's status in the WDS.
func (f *fixture) status(name string) map[string]any {
	f.t.Helper()
	st, _, _ := unstructured.NestedMap(f.get(name).Object, "status")
	return st
}
