package loop

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/delivery"
)

type hubClients struct {
	kube kubernetes.Interface
	ocm  clusterclient.Interface
	work workclient.Interface
}

func addWEC(t *testing.T, ctx context.Context, h hubClients, name string, lbls, props map[string]string) {
	t.Helper()
	_, err := h.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = h.ocm.ClusterV1().ManagedClusters().Create(ctx, &clusterv1.ManagedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls},
		Spec:       clusterv1.ManagedClusterSpec{HubAcceptsClient: true},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	if props != nil {
		_, err = registry.SetProperties(ctx, h.kube, name, props)
		require.NoError(t, err)
	}
}

// delivered decodes the objects of wec's ManifestWorks by "Kind name", with the works'
// resourceVersions.
func delivered(t *testing.T, ctx context.Context, h hubClients, wec string) (map[string]*unstructured.Unstructured, map[string]string) {
	t.Helper()
	list, err := h.work.WorkV1().ManifestWorks(wec).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	objs, rvs := map[string]*unstructured.Unstructured{}, map[string]string{}
	for _, w := range list.Items {
		rvs[w.Name] = w.ResourceVersion
		for _, m := range w.Spec.Workload.Manifests {
			u := &unstructured.Unstructured{}
			require.NoError(t, json.Unmarshal(m.Raw, &u.Object))
			objs[u.GetKind()+" "+u.GetName()] = u
		}
	}
	return objs, rvs
}

func greeting(u *unstructured.Unstructured) string {
	if u == nil {
		return ""
	}
	s, _, _ := unstructured.NestedString(u.Object, "data", "greeting")
	return s
}

// TestControllerIncremental runs the loop against a real API server standing in for the hub
// and checks what it writes: per-WEC content, no write for an unrelated change, one pair and
// one ManifestWork for a property edit, removal when a WEC stops matching or disappears, and a
// failing WEC keeping its works.
func TestControllerIncremental(t *testing.T) {
	cfg := requireHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var h hubClients
	var err error
	h.kube, err = kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	h.ocm, err = clusterclient.NewForConfig(cfg)
	require.NoError(t, err)
	h.work, err = workclient.NewForConfig(cfg)
	require.NoError(t, err)

	addWEC(t, ctx, h, "east1", map[string]string{"region": "east"}, map[string]string{"zone": "e1"})
	addWEC(t, ctx, h, "west1", map[string]string{"region": "west"}, map[string]string{"zone": "w1"})
	addWEC(t, ctx, h, "other", map[string]string{"region": "south"}, map[string]string{"zone": "s1"})

	config, _, err := ReadObjects(testdata("config.yaml"))
	require.NoError(t, err)
	p, _, err := BuildPipeline(config)
	require.NoError(t, err)
	objs, _, err := ReadObjects(testdata("namespace.yaml"), testdata("workload.yaml"))
	require.NoError(t, err)
	d, err := delivery.New(h.work, delivery.Options{})
	require.NoError(t, err)
	sel, err := labels.Parse("region in (east,west)")
	require.NoError(t, err)
	c, err := New(Config{Kube: h.kube, OCM: h.ocm, Deliverer: d, Pipeline: p, Source: Static(objs),
		Clusters: sel, SourceKey: "demo", Log: testr.New(t)})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	defer func() {
		stop()
		require.NoError(t, <-done)
	}()

	eventually := func(what string, cond func() bool) {
		t.Helper()
		require.Eventually(t, cond, time.Minute, 20*time.Millisecond, what)
	}
	eventually("both target WECs delivered", func() bool {
		e, _ := delivered(t, ctx, h, "east1")
		w, _ := delivered(t, ctx, h, "west1")
		return len(e) == 3 && len(w) == 3
	})
	east, eastRV := delivered(t, ctx, h, "east1")
	west, _ := delivered(t, ctx, h, "west1")
	assert.Equal(t, "hello from east1 in zone e1", greeting(east["ConfigMap web-settings"]))
	assert.Equal(t, "hello from west1 in zone w1", greeting(west["ConfigMap web-settings"]))
	img, _, _ := unstructured.NestedSlice(west["Deployment web"].Object, "spec", "template", "spec", "containers")
	assert.Equal(t, "west.registry.example/team/web:1.0", img[0].(map[string]any)["image"])
	other, _ := delivered(t, ctx, h, "other")
	assert.Empty(t, other, "not targeted")
	assert.Equal(t, []string{"east1", "west1"}, c.Delivered())

	t.Run("property edit re-renders one pair and writes one work", func(t *testing.T) {
		n := len(c.History())
		_, err := registry.UpdateProperties(ctx, h.kube, "west1", map[string]string{"zone": "w2"})
		require.NoError(t, err)
		eventually("west1 updated", func() bool {
			w, _ := delivered(t, ctx, h, "west1")
			return greeting(w["ConfigMap web-settings"]) == "hello from west1 in zone w2"
		})
		// The record is kept after the works are written: wait for it too.
		var rec *Record
		eventually("west1's record kept", func() bool {
			for _, r := range c.History()[n:] {
				if r.Cause == "wec west1" {
					rec = &r
				}
			}
			return rec != nil
		})
		require.NotNil(t, rec)
		assert.Equal(t, 1, rec.Rendered)
		assert.Equal(t, 2, rec.Skipped, "the Namespace and the Deployment do not read zone")
		assert.Equal(t, 1, rec.Writes)
		_, rv := delivered(t, ctx, h, "east1")
		assert.Equal(t, eastRV, rv)
	})

	t.Run("an unread property changes nothing", func(t *testing.T) {
		n := len(c.History())
		_, err := registry.UpdateProperties(ctx, h.kube, "east1", map[string]string{"unused": "x"})
		require.NoError(t, err)
		eventually("event processed", func() bool {
			for _, r := range c.History()[n:] {
				if r.Cause == "wec east1" {
					assert.Zero(t, r.Rendered)
					assert.Zero(t, r.Writes)
					return true
				}
			}
			return false
		})
		_, rv := delivered(t, ctx, h, "east1")
		assert.Equal(t, eastRV, rv)
	})

	t.Run("a failing pair keeps its last good version", func(t *testing.T) {
		_, err := registry.UpdateProperties(ctx, h.kube, "east1", nil, "zone")
		require.NoError(t, err)
		eventually("failure recorded", func() bool {
			errs := c.Errors()
			return len(errs) == 1 && errs[0].WEC == "east1" && errs[0].Object.Name == "web-settings" && errs[0].Kept
		})
		assert.ErrorContains(t, c.Errors()[0], "zone")
		objs, rv := delivered(t, ctx, h, "east1")
		assert.Equal(t, eastRV, rv, "the ConfigMap keeps its version; nothing else changed")
		assert.Equal(t, "hello from east1 in zone e1", greeting(objs["ConfigMap web-settings"]))
		_, err = registry.UpdateProperties(ctx, h.kube, "east1", map[string]string{"zone": "e1"})
		require.NoError(t, err)
		eventually("failure cleared", func() bool { return len(c.Errors()) == 0 })
	})

	t.Run("relabel and deletion remove works", func(t *testing.T) {
		_, err := registry.Label(ctx, h.ocm, "east1", map[string]string{"region": "north"})
		require.NoError(t, err)
		require.NoError(t, h.ocm.ClusterV1().ManagedClusters().Delete(ctx, "west1", metav1.DeleteOptions{}))
		eventually("works removed", func() bool {
			e, _ := delivered(t, ctx, h, "east1")
			w, _ := delivered(t, ctx, h, "west1")
			return len(e) == 0 && len(w) == 0
		})
		assert.Empty(t, c.Delivered())
		_, err = registry.Label(ctx, h.ocm, "other", map[string]string{"region": "east"})
		require.NoError(t, err)
		eventually("newly targeted WEC delivered", func() bool {
			o, _ := delivered(t, ctx, h, "other")
			return greeting(o["ConfigMap web-settings"]) == "hello from other in zone s1"
		})
	})
}
