package loop

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/wecforge/wecforge/registry/delivery"
)

// causes returns how many records of each cause the loop has so far.
func causes(c *Controller) map[string]int {
	out := map[string]int{}
	for _, r := range c.History() {
		out[r.Cause]++
	}
	return out
}

// TestLoopMetrics drives a loop through a known sequence and reads the counters back: two
// target WECs and three objects render six pairs and create two ManifestWorks; one changed
// object renders two pairs and updates both works; a label nothing reads renders nothing and
// skips three pairs; a WEC leaving the target set deletes its one work. The workqueue's series
// carry its name.
func TestLoopMetrics(t *testing.T) {
	m := NewMetrics()
	src := newSource(cm("a"), cm("b"), cm("c"))
	h := startLoop(t, Config{RelabelGrace: time.Millisecond, ShrinkConfirmAfter: time.Hour, Metrics: m},
		[]runtime.Object{
			mc("east1", map[string]string{"region": "east"}),
			mc("east2", map[string]string{"region": "east"}),
			mc("west1", map[string]string{"region": "west"}),
		}, nil, src)
	writes := func(action string) float64 { return testutil.ToFloat64(m.writes.WithLabelValues(action)) }
	rendered := func() float64 { return testutil.ToFloat64(m.renders) }

	eventually(t, "initial changes processed", func() bool {
		c := causes(h.c)
		return c["objects"] >= 1 && c["sweep"] == 1 && c["wec east1"] >= 1 && c["wec east2"] >= 1 && c["wec west1"] >= 1
	})
	eventually(t, "both WECs delivered", func() bool { return writes(ActionCreate) == 2 })
	eventually(t, "3 objects x 2 target WECs rendered", func() bool { return rendered() == 6 })
	assert.Zero(t, writes(ActionUpdate))
	assert.Zero(t, writes(ActionDelete))

	changed := cm("b")
	changed.Object["data"] = map[string]any{"k": "changed"}
	n := len(h.c.History())
	src.set(cm("a"), changed, cm("c"))
	eventually(t, "both works updated", func() bool { return writes(ActionUpdate) == 2 })
	eventually(t, "the change is recorded", func() bool { return len(h.c.History()) > n })
	eventually(t, "the changed object rendered again for each WEC", func() bool { return rendered() == 8 })

	skipped := testutil.ToFloat64(m.skipped)
	before := causes(h.c)["wec east1"]
	h.relabelTo(t, "east1", map[string]string{"region": "east", "tier": "gold"})
	eventually(t, "label change processed", func() bool { return causes(h.c)["wec east1"] > before })
	assert.Equal(t, skipped+3, testutil.ToFloat64(m.skipped), "no render reads the new label")
	assert.Equal(t, 8.0, rendered(), "nothing else was rendered")

	h.relabel(t, "east2", "west")
	eventually(t, "east2's work deleted", func() bool { return writes(ActionDelete) == 1 })
	assert.Equal(t, 2.0, writes(ActionCreate))
	assert.Equal(t, 2.0, writes(ActionUpdate))
	assert.Zero(t, testutil.ToFloat64(m.errors.WithLabelValues(ErrorRender)))
	assert.Zero(t, testutil.ToFloat64(m.errors.WithLabelValues(ErrorDelivery)))

	families, err := m.Registry().Gather()
	require.NoError(t, err)
	byName := map[string]bool{}
	for _, f := range families {
		byName[f.GetName()] = true
		if f.GetName() == "workqueue_adds_total" {
			require.Len(t, f.GetMetric(), 1)
			require.Len(t, f.GetMetric()[0].GetLabel(), 1)
			assert.Equal(t, QueueName, f.GetMetric()[0].GetLabel()[0].GetValue())
			assert.Positive(t, f.GetMetric()[0].GetCounter().GetValue())
		}
		if f.GetName() == "transport_change_duration_seconds" {
			assert.GreaterOrEqual(t, f.GetMetric()[0].GetHistogram().GetSampleCount(), uint64(len(h.c.History())))
		}
		if f.GetName() == "transport_wec_delivery_duration_seconds" {
			assert.GreaterOrEqual(t, f.GetMetric()[0].GetHistogram().GetSampleCount(), uint64(3))
		}
	}
	for _, name := range []string{"workqueue_adds_total", "workqueue_depth", "workqueue_work_duration_seconds",
		"transport_change_duration_seconds", "transport_wec_delivery_duration_seconds",
		"transport_owned_wecs", "transport_leader", "transport_takeovers_total", "transport_fenced_total"} {
		assert.True(t, byName[name], name)
	}
	assert.True(t, slices.Contains(h.c.Delivered(), "east1"))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.leader), "a single replica is the leader")
	assert.Zero(t, testutil.ToFloat64(m.owned), "a single replica does not count owned WECs")
	assert.Zero(t, testutil.ToFloat64(m.takeovers))
	assert.Zero(t, testutil.ToFloat64(m.fenced))
}

// TestMetricsNil: a loop without metrics runs, and a nil *Metrics records nothing.
func TestMetricsNil(t *testing.T) {
	var m *Metrics
	m.rendered(1, 1)
	m.wrote(delivery.Report{Created: []string{"w"}})
	m.failed(ErrorRender)
	m.failingPairs(1)
	m.processed(time.Second)
	m.delivered(time.Second)
	m.ownership(3, true)
	m.tookOver()
	m.fence()
	assert.Nil(t, m.queueProvider())
}

func (h *fakeHub) relabelTo(t *testing.T, wec string, lbls map[string]string) {
	t.Helper()
	m, err := h.ocm.ClusterV1().ManagedClusters().Get(t.Context(), wec, metav1.GetOptions{})
	require.NoError(t, err)
	m.Labels = lbls
	_, err = h.ocm.ClusterV1().ManagedClusters().Update(t.Context(), m, metav1.UpdateOptions{})
	require.NoError(t, err)
}
