package returned

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/transform/resources"
)

// TestInformerStripsWorkload delivers through a real API server, writes the agent's status
// the way the agent does (status subresource), and reads it through the informer: the cache
// holds no manifests, the reader still finds the status under the source identity, and
// LastUpdated is the time of the status write.
func TestInformerStripsWorkload(t *testing.T) {
	cfg := requireEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kube, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	works, err := workclient.NewForConfig(cfg)
	require.NoError(t, err)
	const wec = "informer1"
	_, err = kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: wec}}, metav1.CreateOptions{})
	require.NoError(t, err)
	d, err := delivery.New(works, delivery.Options{Resources: resources.Builtin()})
	require.NoError(t, err)
	_, err = d.Apply(ctx, wec, "bp/web", []delivery.Object{
		{Object: deployment("web-" + wec), Status: &delivery.StatusRequest{Source: webSource}},
	}, delivery.ApplyOptions{})
	require.NoError(t, err)

	list, err := works.WorkV1().ManifestWorks(wec).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	mw := list.Items[0].DeepCopy()
	report(mw, "web-"+wec, synced, raw("status", `{"replicas":2,"observedGeneration":1}`))
	_, err = works.WorkV1().ManifestWorks(wec).UpdateStatus(ctx, mw, metav1.UpdateOptions{})
	require.NoError(t, err)

	inf, err := NewInformer(works, 0)
	require.NoError(t, err)
	stop := make(chan struct{})
	defer close(stop)
	go inf.Run(stop)
	require.True(t, cache.WaitForCacheSync(ctx.Done(), inf.HasSynced))

	var got []Returned
	r := NewReader(nil)
	require.Eventually(t, func() bool {
		got = r.ReadStore(inf.GetStore())
		return len(got) == 1 && got[0].Reported
	}, time.Minute, 50*time.Millisecond)
	assert.Equal(t, Key{Object: webSource, WEC: wec}, got[0].Key)
	assert.Equal(t, map[string]any{"replicas": int64(2), "observedGeneration": int64(1)}, got[0].Status)

	cached := inf.GetStore().List()[0].(*workv1.ManifestWork)
	assert.Empty(t, cached.Spec.Workload.Manifests, "the cache holds no manifests")
	assert.NotEmpty(t, cached.Spec.ManifestConfigs)
	var statusWrite time.Time
	for _, f := range cached.ManagedFields {
		assert.Equal(t, "status", f.Subresource, "only status managedFields are kept")
		assert.Nil(t, f.FieldsV1)
		if f.Time != nil && f.Time.After(statusWrite) {
			statusWrite = f.Time.Time
		}
	}
	require.False(t, statusWrite.IsZero())
	assert.Equal(t, statusWrite, got[0].LastUpdated, "first observation: the work's last status write")
}
