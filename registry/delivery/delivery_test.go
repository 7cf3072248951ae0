package delivery

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	workv1 "open-cluster-management.io/api/work/v1"
)

var nsCounter struct {
	sync.Mutex
	n int
}

// setup returns a Deliverer and work client on the shared API server and a fresh namespace
// standing in for a WEC's namespace on the hub.
func setup(t *testing.T, opts Options) (*Deliverer, workclient.Interface, string) {
	t.Helper()
	cfg := requireEnv(t)
	kube, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	work, err := workclient.NewForConfig(cfg)
	require.NoError(t, err)
	nsCounter.Lock()
	nsCounter.n++
	ns := fmt.Sprintf("wec-%d", nsCounter.n)
	nsCounter.Unlock()
	_, err = kube.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	d, err := New(work, opts)
	require.NoError(t, err)
	return d, work, ns
}

func listWorks(t *testing.T, work workclient.Interface, ns string) map[string]*workv1.ManifestWork {
	t.Helper()
	list, err := work.WorkV1().ManifestWorks(ns).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	out := map[string]*workv1.ManifestWork{}
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out
}

func TestApplyReconcile(t *testing.T) {
	d, work, ns := setup(t, Options{})
	ctx := context.Background()
	objs := []Object{
		{Object: deployment("apps", "web", "registry.east/nginx:1")},
		{Object: configMap("apps", "settings", 10), CreateOnly: true},
	}

	rep, err := d.Apply(ctx, ns, "bp/web", objs, ApplyOptions{})
	require.NoError(t, err)
	require.Len(t, rep.Created, 1)
	assert.Equal(t, 1, rep.Writes())
	works := listWorks(t, work, ns)
	require.Len(t, works, 1)
	created := works[rep.Created[0]]
	require.NotNil(t, created)
	assert.Len(t, created.Spec.Workload.Manifests, 2)
	require.Len(t, created.Spec.ManifestConfigs, 1)
	assert.Equal(t, workv1.UpdateStrategyTypeCreateOnly, created.Spec.ManifestConfigs[0].UpdateStrategy.Type)
	assert.Equal(t, "configmaps", created.Spec.ManifestConfigs[0].ResourceIdentifier.Resource)

	t.Run("no-op render writes nothing", func(t *testing.T) {
		rep, err := d.Apply(ctx, ns, "bp/web", objs, ApplyOptions{})
		require.NoError(t, err)
		assert.Zero(t, rep.Writes())
		assert.Equal(t, []string{created.Name}, rep.Unchanged)
		assert.Equal(t, created.ResourceVersion, listWorks(t, work, ns)[created.Name].ResourceVersion)
	})

	t.Run("changed content updates", func(t *testing.T) {
		changed := []Object{{Object: deployment("apps", "web", "registry.west/nginx:1")}, objs[1]}
		rep, err := d.Apply(ctx, ns, "bp/web", changed, ApplyOptions{})
		require.NoError(t, err)
		assert.Equal(t, []string{created.Name}, rep.Updated)
		got := listWorks(t, work, ns)[created.Name]
		assert.NotEqual(t, created.ResourceVersion, got.ResourceVersion)
		assert.Contains(t, string(got.Spec.Workload.Manifests[1].Raw), "registry.west/nginx:1")
	})

	t.Run("labels added by others survive an update", func(t *testing.T) {
		cur := listWorks(t, work, ns)[created.Name]
		cur.Labels["team"] = "blue"
		_, err := work.WorkV1().ManifestWorks(ns).Update(ctx, cur, metav1.UpdateOptions{})
		require.NoError(t, err)
		rep, err := d.Apply(ctx, ns, "bp/web", objs, ApplyOptions{})
		require.NoError(t, err)
		assert.Equal(t, []string{created.Name}, rep.Updated)
		assert.Equal(t, "blue", listWorks(t, work, ns)[created.Name].Labels["team"])
	})

	t.Run("other keys are untouched", func(t *testing.T) {
		_, err := d.Apply(ctx, ns, "bp/other", []Object{{Object: configMap("x", "y", 1)}}, ApplyOptions{})
		require.NoError(t, err)
		rep, err := d.Delete(ctx, ns, "bp/web")
		require.NoError(t, err)
		assert.Equal(t, []string{created.Name}, rep.Deleted)
		left := listWorks(t, work, ns)
		require.Len(t, left, 1)
		for _, w := range left {
			assert.Equal(t, "bp/other", w.Annotations[SourceKeyAnnotation])
		}
	})
}

func TestApplySplitGrowAndShrink(t *testing.T) {
	d, work, ns := setup(t, Options{MaxBytes: 64 * 1024})
	ctx := context.Background()
	mk := func(n int) []Object {
		var out []Object
		for i := range n {
			out = append(out, Object{Object: configMap("big", fmt.Sprintf("cm-%02d", i), 30*1024)})
		}
		return out
	}
	rep, err := d.Apply(ctx, ns, "big", mk(6), ApplyOptions{})
	require.NoError(t, err)
	assert.Len(t, rep.Created, 3, "two 30 KiB objects per 64 KiB part")
	works := listWorks(t, work, ns)
	require.Len(t, works, 3)
	total := 0
	for _, w := range works {
		total += len(w.Spec.Workload.Manifests)
	}
	assert.Equal(t, 6, total)

	rep, err = d.Apply(ctx, ns, "big", mk(3), ApplyOptions{})
	require.NoError(t, err)
	assert.Len(t, rep.Unchanged, 1, "the first part keeps its two objects")
	assert.Len(t, rep.Updated, 1)
	assert.Len(t, rep.Deleted, 1)
	assert.Len(t, listWorks(t, work, ns), 2)

	rep, err = d.Apply(ctx, ns, "big", mk(8), ApplyOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, len(rep.Unchanged))
	assert.Equal(t, 1, len(rep.Updated))
	assert.Equal(t, 2, len(rep.Created))
	assert.Len(t, listWorks(t, work, ns), 4)
}

func TestApplyErrors(t *testing.T) {
	d, work, ns := setup(t, Options{MaxBytes: 8 * 1024})
	ctx := context.Background()

	_, err := d.Apply(ctx, "no-such-namespace", "k", []Object{{Object: configMap("a", "b", 1)}}, ApplyOptions{})
	require.Error(t, err)
	assert.True(t, apierrors.IsNotFound(err), "namespace missing: %v", err)
	assert.ErrorIs(t, err, ErrNoNamespace)
	var we *WorkError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "create", we.Action)

	rep, err := d.Delete(ctx, "no-such-namespace", "k")
	require.NoError(t, err, "deleting from a missing namespace is a no-op")
	assert.Zero(t, rep.Writes())

	_, err = d.Apply(ctx, ns, "k", []Object{{Object: configMap("a", "small", 1)}, {Object: configMap("a", "huge", 9000)}}, ApplyOptions{})
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "ConfigMap a/huge")
	assert.Empty(t, listWorks(t, work, ns), "nothing is written when planning fails")
}

func TestApplyConcurrentWritersConverge(t *testing.T) {
	d, work, ns := setup(t, Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				img := fmt.Sprintf("img:%d-%d", w, i)
				if _, err := d.Apply(ctx, ns, "race", []Object{{Object: deployment("a", "web", img)}}, ApplyOptions{}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	// A last write wins and a further identical one changes nothing.
	final := []Object{{Object: deployment("a", "web", "img:final")}}
	_, err := d.Apply(ctx, ns, "race", final, ApplyOptions{})
	require.NoError(t, err)
	rep, err := d.Apply(ctx, ns, "race", final, ApplyOptions{})
	require.NoError(t, err)
	assert.Zero(t, rep.Writes())
	works := listWorks(t, work, ns)
	require.Len(t, works, 1)
	for _, w := range works {
		assert.Contains(t, string(w.Spec.Workload.Manifests[0].Raw), "img:final")
	}
}

func TestStatusReadback(t *testing.T) {
	d, work, ns := setup(t, Options{MaxBytes: 4 * 1024})
	ctx := context.Background()
	objs := []Object{{Object: deployment("apps", "web", "nginx")}, {Object: configMap("apps", "settings", 3900)}}
	rep, err := d.Apply(ctx, ns, "bp/web", objs, ApplyOptions{})
	require.NoError(t, err)
	require.Len(t, rep.Created, 2)

	st, err := d.Status(ctx, ns, "bp/web")
	require.NoError(t, err)
	require.Len(t, st.Works, 2)
	assert.False(t, st.Ready())
	assert.Equal(t, metav1.ConditionUnknown, st.Works[0].Applied, "no agent has reported yet")

	// Play the work agent: the first part applied and available, the second failed on its
	// Deployment.
	now := metav1.NewTime(time.Now())
	setStatus := func(name string, applied metav1.ConditionStatus, manifests []workv1.ManifestCondition) {
		mw, err := work.WorkV1().ManifestWorks(ns).Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err)
		mw.Status.Conditions = []metav1.Condition{
			{Type: workv1.WorkApplied, Status: applied, Reason: "AppliedManifestWorkComplete", LastTransitionTime: now, ObservedGeneration: mw.Generation},
			{Type: workv1.WorkAvailable, Status: metav1.ConditionTrue, Reason: "ResourcesAvailable", LastTransitionTime: now, ObservedGeneration: mw.Generation},
		}
		mw.Status.ResourceStatus.Manifests = manifests
		_, err = work.WorkV1().ManifestWorks(ns).UpdateStatus(ctx, mw, metav1.UpdateOptions{})
		require.NoError(t, err)
	}
	setStatus(st.Works[0].Name, metav1.ConditionTrue, nil)
	setStatus(st.Works[1].Name, metav1.ConditionFalse, []workv1.ManifestCondition{{
		ResourceMeta: workv1.ManifestResourceMeta{Ordinal: 0, Group: "apps", Version: "v1", Kind: "Deployment", Resource: "deployments", Namespace: "apps", Name: "web"},
		Conditions: []metav1.Condition{{Type: workv1.ManifestApplied, Status: metav1.ConditionFalse, Reason: "AppliedManifestFailed",
			Message: "namespaces \"apps\" not found", LastTransitionTime: now}},
	}})

	st, err = d.Status(ctx, ns, "bp/web")
	require.NoError(t, err)
	assert.True(t, st.Works[0].Ready())
	assert.False(t, st.Works[1].Ready())
	assert.False(t, st.Ready())
	probs := st.Problems()
	require.Len(t, probs, 1)
	assert.Equal(t, "Deployment.apps apps/web", probs[0].Object.String())
	assert.Equal(t, workv1.ManifestApplied, probs[0].Condition)
	assert.True(t, strings.HasPrefix(probs[0].String(), "Deployment.apps apps/web: Applied=False (AppliedManifestFailed)"), probs[0].String())

	t.Run("a new spec makes old conditions stale", func(t *testing.T) {
		_, err := d.Apply(ctx, ns, "bp/web", []Object{{Object: deployment("apps", "web", "nginx:2")}, objs[1]}, ApplyOptions{})
		require.NoError(t, err)
		st, err := d.Status(ctx, ns, "bp/web")
		require.NoError(t, err)
		var unknown int
		for _, w := range st.Works {
			if w.Applied == metav1.ConditionUnknown {
				unknown++
			}
		}
		assert.Equal(t, 1, unknown, "only the updated part waits for the agent again")
	})

	t.Run("all keys", func(t *testing.T) {
		_, err := d.Apply(ctx, ns, "other", []Object{{Object: configMap("x", "y", 1)}}, ApplyOptions{})
		require.NoError(t, err)
		st, err := d.Status(ctx, ns, "")
		require.NoError(t, err)
		assert.Len(t, st.Works, 3)
	})
}
