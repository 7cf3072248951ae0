package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	ocminformers "open-cluster-management.io/api/client/cluster/informers/externalversions"

	"github.com/wecforge/wecforge/registry"
)

// TestInventoryWithSharedInformers builds two Inventories, one after the other, on the same
// shared informer factories (cluster-wide, as a controller would have them): the factories are
// started by the test, the selector is applied by the Inventory, ConfigMaps outside the
// properties namespace are ignored, and a stopped Inventory leaves the informers to the next.
func TestInventoryWithSharedInformers(t *testing.T) {
	hub := admin(t)
	ctx := testContext(t)
	ocmFactory := ocminformers.NewSharedInformerFactory(hub.ocm, 0)
	kubeFactory := informers.NewSharedInformerFactory(hub.kube, 0)
	shared := registry.SharedInformers{
		ManagedClusters: ocmFactory.Cluster().V1().ManagedClusters(),
		ConfigMaps:      kubeFactory.Core().V1().ConfigMaps(),
	}
	_, err := registry.NewInventoryWithInformers(registry.SharedInformers{}, registry.InventoryOptions{})
	require.Error(t, err)
	_, err = registry.NewInventoryWithInformers(shared, registry.InventoryOptions{ClusterSelector: "a in (("})
	require.Error(t, err, "a bad selector fails at construction")

	createCluster(t, hub, "shared-in", map[string]string{"shared-test": "yes"})
	createCluster(t, hub, "shared-out", map[string]string{"shared-test": "no"})
	factoriesCtx, stopFactories := context.WithCancel(ctx)
	defer stopFactories()

	start := func() (<-chan registry.Event, *registry.Inventory, func()) {
		events := make(chan registry.Event, 64)
		inv, err := registry.NewInventoryWithInformers(shared, registry.InventoryOptions{
			ClusterSelector: "shared-test=yes",
			Handler:         func(ev registry.Event) { events <- ev },
		})
		require.NoError(t, err)
		ocmFactory.Start(factoriesCtx.Done())
		kubeFactory.Start(factoriesCtx.Done())
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- inv.Run(runCtx) }()
		require.True(t, inv.WaitForSync(ctx))
		return events, inv, func() { cancel(); require.NoError(t, <-done) }
	}

	events, inv, stop := start()
	ev := waitEvent(t, events, "shared-in", registry.Added)
	assert.Equal(t, "shared-in", ev.New.Name())
	_, ok := inv.Get("shared-out")
	assert.False(t, ok, "the selector applies to shared informers too")

	// A ConfigMap of the WEC's name outside the properties namespace changes nothing.
	_, err = hub.kube.CoreV1().ConfigMaps(metav1.NamespaceDefault).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "shared-in"}, Data: map[string]string{"zone": "nope"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = registry.SetProperties(ctx, hub.kube, "shared-in", map[string]string{"zone": "z1"})
	require.NoError(t, err)
	ev = waitEvent(t, events, "shared-in", registry.Updated)
	assert.Equal(t, []string{"zone"}, ev.Delta.ConfigMap)
	w, _ := inv.Get("shared-in")
	assert.Equal(t, "z1", w.ConfigMapData()["zone"])
	stop()

	// The informers keep running for their other users; a new Inventory on them sees the
	// current state, and relabelling out of the selector is a deletion.
	events, inv, stop = start()
	defer stop()
	waitEvent(t, events, "shared-in", registry.Added)
	_, err = registry.Label(ctx, hub.ocm, "shared-in", map[string]string{"shared-test": "no"})
	require.NoError(t, err)
	waitEvent(t, events, "shared-in", registry.Deleted)
	_, ok = inv.Get("shared-in")
	assert.False(t, ok)
	assert.Empty(t, eventsFor(events, "shared-out", 300*time.Millisecond))

	require.NoError(t, hub.kube.CoreV1().ConfigMaps(metav1.NamespaceDefault).Delete(ctx, "shared-in", metav1.DeleteOptions{}))
	for _, name := range []string{"shared-in", "shared-out"} {
		require.NoError(t, registry.Deregister(ctx, hub.kube, hub.ocm, name, registry.DeregisterOptions{}))
	}
}
