package statusloop

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
)

// fakeLeadership is a Leadership a test flips.
type fakeLeadership struct {
	leader  atomic.Bool
	changes chan struct{}
}

func newFakeLeadership() *fakeLeadership { return &fakeLeadership{changes: make(chan struct{}, 1)} }

func (l *fakeLeadership) Leader() bool             { return l.leader.Load() }
func (l *fakeLeadership) Changes() <-chan struct{} { return l.changes }

// set changes leadership and signals it the way the contract says: a non-blocking send.
func (l *fakeLeadership) set(v bool) {
	l.leader.Store(v)
	select {
	case l.changes <- struct{}{}:
	default:
	}
}

// TestLeadership: a replica that is not the leader reads every WEC's feedback and combines it
// but writes nothing to the WDS (no status, label, CombinedStatus or StatusCollector status);
// gaining leadership writes the current state at once, without any new feedback; losing it
// stops the writes while the state keeps following the feedback, and gaining it again writes
// what changed meanwhile.
func TestLeadership(t *testing.T) {
	lead := newFakeLeadership()
	f := newLedFixture(t, lead, wecsAndReplicas(t))
	obj := f.createDeployment("web")
	ref := transform.RefOf(obj.Object)
	cs := string(obj.GetUID()) + ".uid-pol"

	// Multi-WEC from both WECs with the collector: status, label and a CombinedStatus.
	require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: obj,
		Request:  placement.StatusRequest{MultiWEC: true, M: []string{f.wec1, f.wec2}},
		Policies: []combine.Policy{{Name: "pol", UID: "uid-pol", WECs: []string{f.wec1, f.wec2}, Collectors: []string{"wecs-replicas"}}}}))
	collector := "lead-" + f.ns
	f.createCollector(collector)
	f.ctl.SetCollectors([]*combine.Collector{wecsAndReplicas(t)}, []CollectorStatus{{Name: collector, Generation: 1, Errors: []string{"an error to write"}}})
	f.deliver(f.wec1, "web")
	f.deliver(f.wec2, "web")
	f.report(f.wec1, "web", "", whole(map[string]any{"replicas": int64(2)}))
	f.report(f.wec2, "web", "", whole(map[string]any{"replicas": int64(3)}))
	f.settle()
	assert.Equal(t, [4]int64{0, 0, 0, 0}, counts(f.ctl.Stats()), "a follower writes nothing")
	got := f.get("web")
	st, _ := got.Object["status"].(map[string]any)
	assert.Empty(t, st, "no status written by a follower")
	assert.Empty(t, got.GetLabels()[multiLabel], "no status label written by a follower")
	assert.NotNil(t, f.ctl.StatusRequest(ref, f.wec1), "a follower keeps the placement (feedback rules stay)")

	// Gaining leadership writes the state combined so far, with no new feedback.
	lead.set(true)
	f.waitCombined(cs, 2, 5)
	f.waitStatus("web", func(st map[string]any, labels map[string]string) bool {
		return labels[multiLabel] == "true" && len(st) > 0
	})
	written := f.ctl.Stats()
	assert.Positive(t, written.StatusWrites)
	assert.Equal(t, int64(1), written.CombinedApplies)
	require.Eventually(t, func() bool { return f.ctl.Stats().CollectorWrites == 1 }, waitFor, tick)
	f.settle()
	written = f.ctl.Stats()

	// Losing it stops the writes; the state still follows the feedback.
	lead.set(false)
	f.settle()
	f.report(f.wec2, "web", "", whole(map[string]any{"replicas": int64(7)}))
	f.settle()
	assert.Equal(t, counts(written), counts(f.ctl.Stats()), "nothing written after leadership is lost")
	f.waitCombined(cs, 2, 5) // unchanged in the WDS

	// Gaining it again writes what changed meanwhile.
	lead.set(true)
	f.waitCombined(cs, 2, 9)
}
