package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/wecforge/wecforge/internal/e2e"
	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/delivery"
)

const (
	repackWEC = "repack1"
	repackNS  = "repack"
	repackKey = "repack-e2e"
)

// repackObjects is a Namespace (annotated with nsPad bytes) and four ConfigMaps in it, the
// first of cm0Size bytes, the others of 20 KiB.
func repackObjects(nsPad, cm0Size int) []delivery.Object {
	ns := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": repackNS, "annotations": map[string]any{"pad": strings.Repeat("n", nsPad)}},
	}}
	out := []delivery.Object{{Object: ns}}
	for i := range 4 {
		size := 20 * 1024
		if i == 0 {
			size = cm0Size
		}
		out = append(out, delivery.Object{Object: &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": fmt.Sprintf("cm%d", i), "namespace": repackNS},
			"data":     map[string]any{"blob": strings.Repeat(string(rune('a'+i)), size)},
		}}})
	}
	return out
}

// TestE2ERepack delivers a set split over two ManifestWorks to a WEC running OCM's own work
// agent, then grows a ConfigMap and then the Namespace so that each must move to another
// part. A watch on the WEC's API server sees no DELETED event and every UID (the Namespace's
// included) stays the same: the receiving part is Applied before the giving part lets go.
func TestE2ERepack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	env := e2e.New(t)
	start := time.Now()
	var hub *e2e.Hub
	var spoke *e2e.Spoke
	var wg sync.WaitGroup
	var hubErr, spokeErr error
	wg.Go(func() { hub, hubErr = env.StartHub(ctx) })
	wg.Go(func() { spoke, spokeErr = env.StartSpoke(ctx, repackWEC) })
	wg.Wait()
	require.NoError(t, hubErr)
	require.NoError(t, spokeErr)

	agent, err := spoke.StartRegistrationAgent(bootstrapKubeconfigAs(t, ctx, hub.Kube, hub, repackWEC), "agent-"+repackWEC, "hub-kubeconfig-secret")
	require.NoError(t, err)
	require.NoError(t, env.Eventually(ctx, "accept "+repackWEC, 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err := registry.Accept(ctx, hub.Kube, hub.OCM, repackWEC, registry.AcceptOptions{})
		if errors.Is(err, registry.ErrNoCSR) || apierrors.IsNotFound(err) {
			return false, err
		}
		return err == nil, err
	}))
	_, err = spoke.StartWorkAgent(ctx, agent)
	require.NoError(t, err)
	require.NoError(t, env.Eventually(ctx, repackWEC+" Available", 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		st, err := registry.GetStatus(ctx, hub.OCM, repackWEC)
		return err == nil && st.Ready(), err
	}))
	t.Logf("MEASURE repack planes joined after %s", time.Since(start).Round(100*time.Millisecond))

	d, err := delivery.New(hub.Work, delivery.Options{MaxBytes: 64 * 1024, MoveTimeout: time.Minute, MovePollInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	rep, err := d.Apply(ctx, repackWEC, repackKey, repackObjects(10, 20*1024), delivery.ApplyOptions{})
	require.NoError(t, err)
	require.Len(t, rep.Created, 2, "a split set: %s", rep)
	waitReady(t, ctx, env, d)

	// Every object on the WEC, with its UID; then watch from there.
	uids := map[string]types.UID{}
	nsObj, err := spoke.Kube.CoreV1().Namespaces().Get(ctx, repackNS, metav1.GetOptions{})
	require.NoError(t, err)
	uids["Namespace "+repackNS] = nsObj.UID
	cms, err := spoke.Kube.CoreV1().ConfigMaps(repackNS).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, c := range cms.Items {
		if strings.HasPrefix(c.Name, "cm") {
			uids["ConfigMap "+c.Name] = c.UID
		}
	}
	require.Len(t, uids, 5)
	nsWatch, err := spoke.Kube.CoreV1().Namespaces().Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", repackNS).String(), ResourceVersion: nsObj.ResourceVersion})
	require.NoError(t, err)
	defer nsWatch.Stop()
	cmWatch, err := spoke.Kube.CoreV1().ConfigMaps(repackNS).Watch(ctx, metav1.ListOptions{ResourceVersion: cms.ResourceVersion})
	require.NoError(t, err)
	defer cmWatch.Stop()
	var mu sync.Mutex
	var events []string
	collect := func(w watch.Interface) {
		for ev := range w.ResultChan() {
			if o, ok := ev.Object.(metav1.Object); ok {
				mu.Lock()
				events = append(events, fmt.Sprintf("%s %s", ev.Type, o.GetName()))
				mu.Unlock()
			}
		}
	}
	go collect(nsWatch)
	go collect(cmWatch)

	steps := []struct {
		what      string
		objs      []delivery.Object
		moved     string
		check     func(ctx context.Context) (bool, error)
		wantParts int
	}{
		{what: "ConfigMap cm0 grows out of its part", objs: repackObjects(10, 40*1024), moved: "cm0", wantParts: 2,
			check: func(ctx context.Context) (bool, error) {
				c, err := spoke.Kube.CoreV1().ConfigMaps(repackNS).Get(ctx, "cm0", metav1.GetOptions{})
				return err == nil && len(c.Data["blob"]) == 40*1024, err
			}},
		{what: "the Namespace grows out of its part", objs: repackObjects(26*1024, 40*1024), moved: repackNS, wantParts: 3,
			check: func(ctx context.Context) (bool, error) {
				n, err := spoke.Kube.CoreV1().Namespaces().Get(ctx, repackNS, metav1.GetOptions{})
				return err == nil && len(n.Annotations["pad"]) == 26*1024, err
			}},
	}
	for _, s := range steps {
		begin := time.Now()
		rep, err := d.Apply(ctx, repackWEC, repackKey, s.objs, delivery.ApplyOptions{})
		require.NoError(t, err, s.what)
		t.Logf("%s: %s in %s", s.what, rep, time.Since(begin).Round(10*time.Millisecond))
		require.NoError(t, env.Eventually(ctx, s.what+" on the WEC", time.Minute, 100*time.Millisecond, s.check))
		waitReady(t, ctx, env, d)
		st, err := d.Status(ctx, repackWEC, repackKey)
		require.NoError(t, err)
		assert.Len(t, st.Works, s.wantParts, s.what)
		holders := 0
		list, err := hub.Work.WorkV1().ManifestWorks(repackWEC).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		for _, w := range list.Items {
			for _, m := range w.Spec.Workload.Manifests {
				if strings.Contains(string(m.Raw), `"name":"`+s.moved+`"`) {
					holders++
				}
			}
		}
		assert.Equal(t, 1, holders, "%s ends in exactly one part", s.moved)
	}
	// Give the agent a status-sync period to act on anything left (it deletes within ~1 s).
	time.Sleep(6 * time.Second)

	nsObj, err = spoke.Kube.CoreV1().Namespaces().Get(ctx, repackNS, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, uids["Namespace "+repackNS], nsObj.UID, "the Namespace was never re-created")
	assert.Nil(t, nsObj.DeletionTimestamp)
	for i := range 4 {
		c, err := spoke.Kube.CoreV1().ConfigMaps(repackNS).Get(ctx, fmt.Sprintf("cm%d", i), metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, uids["ConfigMap "+c.Name], c.UID, "%s was never re-created", c.Name)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, ev := range events {
		assert.False(t, strings.HasPrefix(ev, string(watch.Deleted)), "the WEC saw %s", ev)
	}
	t.Logf("watch events on the WEC: %d, none DELETED", len(events))
	t.Logf("MEASURE TestE2ERepack total %s", time.Since(start).Round(100*time.Millisecond))
}

// waitReady waits until the pair's works are Applied and Available for their current spec.
func waitReady(t *testing.T, ctx context.Context, env *e2e.Env, d *delivery.Deliverer) {
	t.Helper()
	require.NoError(t, env.Eventually(ctx, "works Applied and Available", 2*time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		st, err := d.Status(ctx, repackWEC, repackKey)
		return err == nil && st.Ready(), err
	}))
}
