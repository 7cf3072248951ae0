package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
)

func createCluster(t *testing.T, c clients, name string, labels map[string]string) {
	t.Helper()
	mc := &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	_, err := c.ocm.ClusterV1().ManagedClusters().Create(testContext(t), mc, metav1.CreateOptions{})
	require.NoError(t, err)
}

// TestInventory checks the snapshots and events an Inventory derives from ManagedClusters and
// properties ConfigMaps.
func TestInventory(t *testing.T) {
	hub := admin(t)
	ctx := testContext(t)

	// Present before the inventory starts: reported as Added with its properties.
	createCluster(t, hub, "inv-pre", map[string]string{"region": "eu"})
	_, err := registry.SetProperties(ctx, hub.kube, "inv-pre", map[string]string{"zone": "z1"})
	require.NoError(t, err)
	// A ConfigMap without a ManagedCluster is no WEC.
	_, err = registry.SetProperties(ctx, hub.kube, "inv-orphan", map[string]string{"zone": "z9"})
	require.NoError(t, err)

	events := make(chan registry.Event, 256)
	inv, err := registry.NewInventory(hub.kube, hub.ocm, registry.InventoryOptions{
		Handler:         func(ev registry.Event) { events <- ev },
		ClusterSelector: "inventory-test!=excluded",
	})
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- inv.Run(runCtx) }()
	require.True(t, inv.WaitForSync(ctx))
	assert.Error(t, inv.Run(runCtx), "a second Run is refused")

	w, ok := inv.Get("inv-pre")
	require.True(t, ok)
	v, _ := w.Lookup("zone")
	assert.Equal(t, "z1", v)
	_, ok = inv.Get("inv-orphan")
	assert.False(t, ok)
	ev := waitEvent(t, events, "inv-pre", registry.Added)
	assert.Equal(t, customization.Delta{Labels: []string{"region"}, ConfigMap: []string{"zone"},
		Properties: ev.Delta.Properties}, ev.Delta)
	assert.Contains(t, ev.Delta.Properties, "zone")

	cases := []struct {
		name   string
		wec    string
		change func(t *testing.T)
		want   registry.EventType
		delta  func(t *testing.T, d customization.Delta)
	}{{
		name:   "a ManagedCluster joins its waiting ConfigMap",
		wec:    "inv-orphan",
		change: func(t *testing.T) { createCluster(t, hub, "inv-orphan", nil) },
		want:   registry.Added,
		delta:  func(t *testing.T, d customization.Delta) { assert.Equal(t, []string{"zone"}, d.ConfigMap) },
	}, {
		name: "an annotation changes",
		wec:  "inv-pre",
		change: func(t *testing.T) {
			_, err := hub.ocm.ClusterV1().ManagedClusters().Patch(ctx, "inv-pre", types.MergePatchType,
				[]byte(`{"metadata":{"annotations":{"owner":"team-a"}}}`), metav1.PatchOptions{})
			require.NoError(t, err)
		},
		want:  registry.Updated,
		delta: func(t *testing.T, d customization.Delta) { assert.Equal(t, []string{"owner"}, d.Annotations) },
	}, {
		name: "the properties ConfigMap goes away",
		wec:  "inv-pre",
		change: func(t *testing.T) {
			require.NoError(t, registry.DeleteProperties(ctx, hub.kube, "inv-pre"))
		},
		want: registry.Updated,
		delta: func(t *testing.T, d customization.Delta) {
			assert.Equal(t, []string{"zone"}, d.ConfigMap)
			assert.Empty(t, d.Labels)
		},
	}, {
		name: "a label moves the WEC out of the selector",
		wec:  "inv-orphan",
		change: func(t *testing.T) {
			_, err := registry.Label(ctx, hub.ocm, "inv-orphan", map[string]string{"inventory-test": "excluded"})
			require.NoError(t, err)
		},
		want: registry.Deleted,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.change(t)
			ev := waitEvent(t, events, tc.wec, tc.want)
			if tc.delta != nil {
				tc.delta(t, ev.Delta)
			}
		})
	}

	// Status-only updates (lease, conditions) emit nothing.
	require.NoError(t, agentsim.MarkJoined(ctx, hub.ocm, "inv-pre"))
	_, err = registry.SetProperties(ctx, hub.kube, "inv-unrelated", nil)
	require.NoError(t, err)
	assert.Empty(t, eventsFor(events, "inv-pre", 500*time.Millisecond))

	names := []string{}
	for _, w := range inv.List() {
		names = append(names, w.Name())
	}
	assert.Contains(t, names, "inv-pre")
	assert.NotContains(t, names, "inv-orphan")
	assert.IsIncreasing(t, names)

	cancel()
	require.NoError(t, <-done)
	require.NoError(t, registry.Deregister(ctx, hub.kube, hub.ocm, "inv-pre", registry.DeregisterOptions{}))
	require.NoError(t, registry.Deregister(ctx, hub.kube, hub.ocm, "inv-orphan", registry.DeregisterOptions{}))
	cm, err := registry.GetProperties(ctx, hub.kube, "inv-unrelated")
	require.NoError(t, err)
	assert.Empty(t, cm.Data)
}
