package delivery

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
	"open-cluster-management.io/api/client/work/clientset/versioned/fake"
	workv1 "open-cluster-management.io/api/work/v1"
)

// requests returns "verb" of every request the fake served since the last call.
func requests(cs *fake.Clientset) []string {
	var out []string
	for _, a := range cs.Actions() {
		out = append(out, a.GetVerb())
	}
	cs.ClearActions()
	return out
}

// updateSetup delivers one Deployment to WEC "wec1" through a fake hub and returns what is
// needed to change it.
func updateSetup(t *testing.T) (*Deliverer, *fake.Clientset) {
	t.Helper()
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	cs := fake.NewSimpleClientset()
	d, err := New(cs, Options{})
	require.NoError(t, err)
	_, err = d.Apply(context.Background(), "wec1", "bp/web", []Object{{Object: deployment("apps", "web", "r/web:1")}}, ApplyOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"list", "create"}, requests(cs))
	return d, cs
}

// liveHash is the content hash of the one work of wec1.
func liveHash(t *testing.T, cs *fake.Clientset) string {
	t.Helper()
	list, err := cs.WorkV1().ManifestWorks("wec1").List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	return list.Items[0].Annotations[ContentHashAnnotation]
}

// TestApplyUpdateCostsOneWrite checks that a changed work is updated from the list, at its
// listed resourceVersion, without reading it again: a fleet-wide change costs the hub one list
// and one update per WEC.
func TestApplyUpdateCostsOneWrite(t *testing.T) {
	d, cs := updateSetup(t)
	before := liveHash(t, cs)
	requests(cs)
	rep, err := d.Apply(context.Background(), "wec1", "bp/web", []Object{{Object: deployment("apps", "web", "r/web:2")}}, ApplyOptions{})
	require.NoError(t, err)
	assert.Len(t, rep.Updated, 1)
	assert.Equal(t, []string{"list", "update"}, requests(cs))
	assert.NotEqual(t, before, liveHash(t, cs))
}

// TestApplyUpdateConflictRereads checks that an update that loses a race with another writer
// reads the work again and retries, keeping the other writer's labels.
func TestApplyUpdateConflictRereads(t *testing.T) {
	d, cs := updateSetup(t)
	conflicts := 1
	cs.PrependReactor("update", "manifestworks", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if conflicts == 0 {
			return false, nil, nil
		}
		conflicts--
		// Someone else writes first: a label appears and the listed version is stale.
		mw := a.(clienttesting.UpdateAction).GetObject().(*workv1.ManifestWork)
		live, err := cs.Tracker().Get(worksGVR, mw.Namespace, mw.Name)
		require.NoError(t, err)
		other := live.(*workv1.ManifestWork).DeepCopy()
		other.Labels["team"] = "edge"
		require.NoError(t, cs.Tracker().Update(worksGVR, other, mw.Namespace))
		return true, nil, apierrors.NewConflict(worksGVR.GroupResource(), mw.Name, nil)
	})
	rep, err := d.Apply(context.Background(), "wec1", "bp/web", []Object{{Object: deployment("apps", "web", "r/web:2")}}, ApplyOptions{})
	require.NoError(t, err)
	assert.Len(t, rep.Updated, 1)
	assert.Equal(t, []string{"list", "update", "get", "update"}, requests(cs))
	list, err := cs.WorkV1().ManifestWorks("wec1").List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "edge", list.Items[0].Labels["team"], "the other writer's label is kept")
	assert.Contains(t, string(list.Items[0].Spec.Workload.Manifests[0].Raw), "r/web:2")
}

// TestApplyUpdateDeletedMeanwhile checks that a work deleted between the list and the update
// is created again with the wanted content.
func TestApplyUpdateDeletedMeanwhile(t *testing.T) {
	d, cs := updateSetup(t)
	deleted := false
	cs.PrependReactor("update", "manifestworks", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if deleted {
			return false, nil, nil
		}
		deleted = true
		mw := a.(clienttesting.UpdateAction).GetObject().(*workv1.ManifestWork)
		require.NoError(t, cs.Tracker().Delete(worksGVR, mw.Namespace, mw.Name))
		return true, nil, apierrors.NewNotFound(worksGVR.GroupResource(), mw.Name)
	})
	rep, err := d.Apply(context.Background(), "wec1", "bp/web", []Object{{Object: deployment("apps", "web", "r/web:2")}}, ApplyOptions{})
	require.NoError(t, err)
	assert.Len(t, rep.Created, 1)
	assert.Empty(t, rep.Updated)
	assert.Equal(t, []string{"list", "update", "create"}, requests(cs))
	list, err := cs.WorkV1().ManifestWorks("wec1").List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Contains(t, string(list.Items[0].Spec.Workload.Manifests[0].Raw), "r/web:2")
}
