package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"open-cluster-management.io/api/client/work/clientset/versioned/fake"
	workv1 "open-cluster-management.io/api/work/v1"
)

// workRequests returns the verbs of the requests on manifestworks since the last call, without
// the informer's own list and watch.
func workRequests(cs *fake.Clientset) []string {
	var out []string
	for _, a := range cs.Actions() {
		if a.GetResource().Resource == "manifestworks" && a.GetVerb() != "watch" {
			out = append(out, a.GetVerb())
		}
	}
	cs.ClearActions()
	return out
}

// startCache runs a CachedLister on cs until the test ends.
func startCache(t *testing.T, cs *fake.Clientset) *CachedLister {
	t.Helper()
	l, err := NewCachedLister(cs, 0)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	require.True(t, l.WaitForSync(ctx))
	workRequests(cs) // the informer's initial list
	return l
}

// waitCached waits (bounded) until the cache holds wec1's work with content hash h.
func waitCached(t *testing.T, l *CachedLister, h string) {
	t.Helper()
	require.Eventually(t, func() bool {
		works, err := l.ListWorks(context.Background(), "wec1", labels.Everything())
		return err == nil && len(works) == 1 && works[0].Annotations[ContentHashAnnotation] == h
	}, 30*time.Second, 10*time.Millisecond)
}

// TestCachedListerSavesTheList checks that with a CachedLister a changed work costs the hub
// one update and no read, and that the cache strips status and hands out copies.
func TestCachedListerSavesTheList(t *testing.T) {
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	cs := fake.NewSimpleClientset()
	l := startCache(t, cs)
	d, err := New(cs, Options{Lister: l})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = d.Apply(ctx, "wec1", "bp/web", []Object{{Object: deployment("apps", "web", "r/web:1")}}, ApplyOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"create"}, workRequests(cs))
	waitCached(t, l, liveHash(t, cs))

	// The cache keeps neither status nor managedFields; a returned work is a copy.
	full := &workv1.ManifestWork{
		ObjectMeta: metav1.ObjectMeta{Name: "w", ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}}},
		Status:     workv1.ManifestWorkStatus{Conditions: []metav1.Condition{{Type: workv1.WorkApplied}}},
	}
	stripped, err := stripForCache(full)
	require.NoError(t, err)
	assert.Empty(t, stripped.(*workv1.ManifestWork).Status.Conditions)
	assert.Empty(t, stripped.(*workv1.ManifestWork).ManagedFields)
	works, err := l.ListWorks(ctx, "wec1", labels.Everything())
	require.NoError(t, err)
	works[0].Annotations[ContentHashAnnotation] = "mutated"
	again, err := l.ListWorks(ctx, "wec1", labels.Everything())
	require.NoError(t, err)
	assert.NotEqual(t, "mutated", again[0].Annotations[ContentHashAnnotation])
	workRequests(cs)

	rep, err := d.Apply(ctx, "wec1", "bp/web", []Object{{Object: deployment("apps", "web", "r/web:2")}}, ApplyOptions{})
	require.NoError(t, err)
	assert.Len(t, rep.Updated, 1)
	assert.Equal(t, []string{"update"}, workRequests(cs))
}

// TestApplyStaleLister checks that Apply converges when its lister lags: a work it does not
// list yet is taken over, not duplicated.
func TestApplyStaleLister(t *testing.T) {
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	cs := fake.NewSimpleClientset()
	stale := WorkListerFunc(func(context.Context, string, labels.Selector) ([]*workv1.ManifestWork, error) {
		return nil, nil
	})
	d, err := New(cs, Options{Lister: stale})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = d.Apply(ctx, "wec1", "bp/web", []Object{{Object: deployment("apps", "web", "r/web:1")}}, ApplyOptions{})
	require.NoError(t, err)
	workRequests(cs)
	rep, err := d.Apply(ctx, "wec1", "bp/web", []Object{{Object: deployment("apps", "web", "r/web:2")}}, ApplyOptions{})
	require.NoError(t, err)
	assert.Len(t, rep.Updated, 1)
	assert.Equal(t, []string{"create", "get", "update"}, workRequests(cs))
	list, err := cs.WorkV1().ManifestWorks("wec1").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Contains(t, string(list.Items[0].Spec.Workload.Manifests[0].Raw), "r/web:2")
}

// TestCachedListerNotSynced checks that Apply on a cache that never synced writes nothing and
// says why.
func TestCachedListerNotSynced(t *testing.T) {
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	cs := fake.NewSimpleClientset()
	l, err := NewCachedLister(cs, 0)
	require.NoError(t, err)
	d, err := New(cs, Options{Lister: l})
	require.NoError(t, err)
	rep, err := d.Apply(context.Background(), "wec1", "bp/web", []Object{{Object: deployment("apps", "web", "r/web:1")}}, ApplyOptions{})
	require.ErrorIs(t, err, ErrCacheNotSynced)
	var we *WorkError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "wec1", we.WEC)
	assert.Zero(t, rep.Writes())
	assert.Empty(t, workRequests(cs))
	_, err = NewCachedLister(nil, 0)
	assert.ErrorIs(t, err, ErrInvalidInput)
}
