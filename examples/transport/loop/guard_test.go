package loop

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	clusterfake "open-cluster-management.io/api/client/cluster/clientset/versioned/fake"
	workfake "open-cluster-management.io/api/client/work/clientset/versioned/fake"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/transform/resources"
)

// source is a Source the test edits; every edit is reported as a change.
type source struct {
	mu      sync.Mutex
	objs    []*unstructured.Unstructured
	changed chan struct{}
}

func newSource(objs ...*unstructured.Unstructured) *source {
	return &source{objs: objs, changed: make(chan struct{}, 16)}
}

func (s *source) Objects() ([]*unstructured.Unstructured, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*unstructured.Unstructured, len(s.objs))
	for i, o := range s.objs {
		out[i] = o.DeepCopy()
	}
	return out, nil
}

func (s *source) Run(ctx context.Context, changed func()) error {
	changed()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.changed:
			changed()
		}
	}
}

func (s *source) set(objs ...*unstructured.Unstructured) {
	s.mu.Lock()
	s.objs = objs
	s.mu.Unlock()
	s.changed <- struct{}{}
}

func cm(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": "demo"},
		"data":     map[string]any{"k": "v"},
	}}
}

// fakeHub is a loop on fake hub clients: ManagedClusters, properties ConfigMaps and
// ManifestWorks, with no agent (the tests read the ManifestWorks back).
type fakeHub struct {
	ocm  *clusterfake.Clientset
	work *workfake.Clientset
	d    *delivery.Deliverer
	c    *Controller
	src  *source
}

func mc(name string, lbls map[string]string) *clusterv1.ManagedCluster {
	return &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls}}
}

// startLoop runs a loop selecting region=east over the given clusters and works; it stops
// when the test ends.
func startLoop(t *testing.T, cfg Config, clusters []runtime.Object, works []runtime.Object, src *source, before ...func(*fakeHub)) *fakeHub {
	t.Helper()
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	h := &fakeHub{ocm: clusterfake.NewSimpleClientset(clusters...), work: workfake.NewSimpleClientset(works...), src: src}
	var err error
	dopts := delivery.Options{Resources: resources.Builtin()}
	if f, ok := cfg.Ownership.(delivery.Fencer); ok {
		dopts.Fencer = f // a replica fences its writes with its own ownership
	}
	h.d, err = delivery.New(h.work, dopts)
	require.NoError(t, err)
	if cfg.Pipeline == nil {
		cfg.Pipeline, _, err = BuildPipeline(nil)
		require.NoError(t, err)
	}
	sel, err := labels.Parse("region=east")
	require.NoError(t, err)
	cfg.Kube, cfg.OCM, cfg.Deliverer, cfg.Work, cfg.Source = kubefake.NewClientset(), h.ocm, h.d, h.work, src
	cfg.Clusters, cfg.SourceKey, cfg.Log = sel, "guard", testr.New(t)
	h.c, err = New(cfg)
	require.NoError(t, err)
	for _, f := range before {
		f(h)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.c.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		assert.NoError(t, <-done)
	})
	return h
}

// objects returns the names of the objects in wec's works of the loop's key.
func (h *fakeHub) objects(t *testing.T, wec string) []string {
	t.Helper()
	st, err := h.d.Status(context.Background(), wec, "guard")
	require.NoError(t, err)
	n := 0
	for _, w := range st.Works {
		n += w.Objects
	}
	out := make([]string, 0, n)
	list, err := h.work.WorkV1().ManifestWorks(wec).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	for _, w := range list.Items {
		for _, m := range w.Spec.Workload.Manifests {
			u := &unstructured.Unstructured{}
			require.NoError(t, u.UnmarshalJSON(m.Raw))
			out = append(out, u.GetName())
		}
	}
	return out
}

func (h *fakeHub) deletes() int {
	n := 0
	for _, a := range h.work.Actions() {
		if a.GetVerb() == "delete" {
			n++
		}
	}
	return n
}

func (h *fakeHub) relabel(t *testing.T, wec, region string) {
	t.Helper()
	m, err := h.ocm.ClusterV1().ManagedClusters().Get(context.Background(), wec, metav1.GetOptions{})
	require.NoError(t, err)
	m.Labels = map[string]string{"region": region}
	_, err = h.ocm.ClusterV1().ManagedClusters().Update(context.Background(), m, metav1.UpdateOptions{})
	require.NoError(t, err)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 20*time.Second, 10*time.Millisecond, what)
}

// TestLoopRelabelFlap: a label removed and restored within the grace changes nothing; one that
// lasts past the grace removes the works.
func TestLoopRelabelFlap(t *testing.T) {
	h := startLoop(t, Config{RelabelGrace: 700 * time.Millisecond, ShrinkConfirmAfter: time.Hour},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"})}, nil, newSource(cm("a"), cm("b")))
	eventually(t, "delivered", func() bool { return len(h.objects(t, "east1")) == 2 })
	before := len(h.work.Actions())

	h.relabel(t, "east1", "west")
	time.Sleep(200 * time.Millisecond)
	h.relabel(t, "east1", "east")
	time.Sleep(time.Second) // past the grace of the first relabel
	assert.Zero(t, h.deletes(), "a flap deletes nothing")
	assert.Len(t, h.objects(t, "east1"), 2)
	for _, a := range h.work.Actions()[before:] {
		assert.NotContains(t, []string{"create", "update", "delete"}, a.GetVerb(), "a flap writes nothing")
	}

	h.relabel(t, "east1", "west")
	// Delivered is updated just after the works are deleted: wait for both.
	eventually(t, "works removed after the grace", func() bool {
		return len(h.objects(t, "east1")) == 0 && len(h.c.Delivered()) == 0
	})
}

// TestLoopSourceDeleteIsACause: objects deleted from the source leave the WECs at once, even
// when that empties them.
func TestLoopSourceDeleteIsACause(t *testing.T) {
	src := newSource(cm("a"), cm("b"), cm("c"))
	h := startLoop(t, Config{RelabelGrace: time.Hour, ShrinkConfirmAfter: time.Hour},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"})}, nil, src)
	eventually(t, "delivered", func() bool { return len(h.objects(t, "east1")) == 3 })
	src.set(cm("a"))
	eventually(t, "two removed at once", func() bool { return len(h.objects(t, "east1")) == 1 })
	src.set()
	eventually(t, "emptied at once", func() bool { return len(h.objects(t, "east1")) == 0 })
}

// TestLoopShrinkWithoutCause restarts over works that hold more than the source now lists
// (nothing was seen deleted): the shrink is refused, the objects stay, and it is confirmed
// once it has persisted for ShrinkConfirmAfter.
func TestLoopShrinkWithoutCause(t *testing.T) {
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	work := workfake.NewSimpleClientset()
	d, err := delivery.New(work, delivery.Options{})
	require.NoError(t, err)
	var old []delivery.Object
	for i := range 4 {
		old = append(old, delivery.Object{Object: cm(fmt.Sprintf("o%d", i))})
	}
	prev, err := d.Plan("east1", "guard", old, nil)
	require.NoError(t, err)
	var works []runtime.Object
	for _, w := range prev {
		works = append(works, w)
	}
	start := time.Now()
	h := startLoop(t, Config{RelabelGrace: time.Hour, ShrinkConfirmAfter: 1500 * time.Millisecond},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"})}, works, newSource(cm("o0")))
	eventually(t, "refusal recorded", func() bool {
		for _, r := range h.c.History() {
			if r.Refused == 3 {
				return true
			}
		}
		return false
	})
	assert.Len(t, h.objects(t, "east1"), 4, "nothing removed while refused")
	eventually(t, "confirmed after it persisted", func() bool { return len(h.objects(t, "east1")) == 1 })
	assert.GreaterOrEqual(t, time.Since(start), 1500*time.Millisecond)
}

// TestLoopRestartSweep: works of this source key in WECs that are no longer targets — or no
// longer exist — are removed after the grace; targets and other keys are untouched.
func TestLoopRestartSweep(t *testing.T) {
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	work := workfake.NewSimpleClientset()
	d, err := delivery.New(work, delivery.Options{})
	require.NoError(t, err)
	var works []runtime.Object
	for _, p := range []struct{ wec, key string }{{"east1", "guard"}, {"west1", "guard"}, {"gone1", "guard"}, {"west1", "other"}} {
		ws, err := d.Plan(p.wec, p.key, []delivery.Object{{Object: cm("a")}}, nil)
		require.NoError(t, err)
		works = append(works, ws[0])
	}
	h := startLoop(t, Config{RelabelGrace: 300 * time.Millisecond, ShrinkConfirmAfter: time.Hour},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"}), mc("west1", map[string]string{"region": "west"})},
		works, newSource(cm("a")))
	eventually(t, "stale works removed", func() bool {
		wecs, err := h.d.WECs(context.Background(), "guard")
		return err == nil && len(wecs) == 1 && wecs[0] == "east1"
	})
	other, err := h.d.WECs(context.Background(), "other")
	require.NoError(t, err)
	assert.Equal(t, []string{"west1"}, other, "another source's works stay")
	assert.Equal(t, []string{"east1"}, h.c.Delivered())
}

// TestLoopSelectorEditIsACause: SetClusters removes the works of the WECs it drops at once.
func TestLoopSelectorEditIsACause(t *testing.T) {
	h := startLoop(t, Config{RelabelGrace: time.Hour, ShrinkConfirmAfter: time.Hour},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"}), mc("west1", map[string]string{"region": "west"})},
		nil, newSource(cm("a")))
	eventually(t, "delivered", func() bool { return len(h.objects(t, "east1")) == 1 })
	sel, err := labels.Parse("region=west")
	require.NoError(t, err)
	h.c.SetClusters(sel)
	eventually(t, "moved to west1 at once", func() bool {
		return len(h.objects(t, "east1")) == 0 && len(h.objects(t, "west1")) == 1
	})
}

// TestLoopNamespaceMissing: a WEC namespace missing on the hub is a named error, retried until
// the namespace is back.
func TestLoopNamespaceMissing(t *testing.T) {
	var mu sync.Mutex
	missing := true
	h := startLoop(t, Config{RelabelGrace: time.Hour, ShrinkConfirmAfter: time.Hour},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"})}, nil, newSource(cm("a")),
		func(h *fakeHub) {
			h.work.PrependReactor("create", "manifestworks", func(clienttesting.Action) (bool, runtime.Object, error) {
				mu.Lock()
				defer mu.Unlock()
				if missing {
					return true, nil, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "east1")
				}
				return false, nil, nil
			})
		})
	eventually(t, "named error recorded", func() bool {
		for _, r := range h.c.History() {
			if errors.Is(r.Err, delivery.ErrNoNamespace) {
				return true
			}
		}
		return false
	})
	assert.Empty(t, h.objects(t, "east1"))
	mu.Lock()
	missing = false
	mu.Unlock()
	eventually(t, "delivered once the namespace is back", func() bool { return len(h.objects(t, "east1")) == 1 })
}
