package statusloop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
)

// TestTooLargeComesBackFieldByField: a WEC reports the whole status too large; the
// controller asks the transport once to deliver again, hands it the fields of the last status
// read, and the status reassembled from the field-by-field feedback is written back.
func TestTooLargeComesBackFieldByField(t *testing.T) {
	f := newFixture(t)
	obj := f.createDeployment("big")
	ref := transform.RefOf(obj.Object)
	req := placement.StatusRequest{Singleton: true, S: []string{f.wec1}}
	require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: obj, Request: req}))
	f.deliver(f.wec1, "big")
	first := map[string]any{"replicas": int64(2), "observedGeneration": int64(1)}
	f.report(f.wec1, "big", "", whole(first))
	f.waitStatus("big", statusIs(first, singletonLabel))
	assert.Empty(t, f.redelivered())

	// The status grew past the agent's limit: no value, the feedback condition False.
	const agentMsg = "rule status failed: the length of the value exceeds the limit 1024"
	f.report(f.wec1, "big", agentMsg)
	sr := f.ctl.StatusRequest(ref, f.wec1)
	require.NotNil(t, sr)
	assert.Equal(t, []string{"observedGeneration", "replicas"}, sr.Fields, "the fields of the last status read")
	assert.Equal(t, transform.ObjectRef{Group: "apps", Kind: "Deployment", Namespace: f.ns, Name: "big"}, sr.Source)
	// The agent repeating itself asks for nothing more.
	f.report(f.wec1, "big", agentMsg+" (again)")
	assert.Equal(t, []string{f.wec1 + " " + ref.String()}, f.redelivered())
	assert.Equal(t, first, f.status("big"), "the last status read stands meanwhile")
	assert.Equal(t, int64(2), f.ctl.Stats().StatusWrites, "the label, then the first status")

	// The transport delivers again: the work now asks field by field.
	f.deliver(f.wec1, "big")
	mw := f.work(f.wec1, "big")
	whole, fields := delivery.FeedbackRequest(&mw.Spec.ManifestConfigs[0])
	assert.False(t, whole)
	assert.Subset(t, fields, []string{"observedGeneration", "replicas", "conditions"})
	f.seen(mw)

	conds := []any{map[string]any{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
		"message": "ok", "lastUpdateTime": "2026-12-02T10:00:00Z", "lastTransitionTime": "2026-12-02T10:00:00Z"}}
	f.report(f.wec1, "big", "", field("replicas", 3), field("observedGeneration", 2), field("conditions", conds))
	want := map[string]any{"replicas": int64(3), "observedGeneration": int64(2), "conditions": conds}
	f.waitStatus("big", statusIs(want, singletonLabel))
	assert.Len(t, f.redelivered(), 1)
	assert.Equal(t, int64(3), f.ctl.Stats().StatusWrites, "one more: the reassembled status")
	assert.Zero(t, f.ctl.Stats().Failures)
	assert.Equal(t, int64(1), f.ctl.Stats().Redeliveries)
}
