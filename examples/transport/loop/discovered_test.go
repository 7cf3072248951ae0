package loop

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

// fakeDiscovery serves a resource list the test edits.
type fakeDiscovery struct {
	mu    sync.Mutex
	lists []*metav1.APIResourceList
}

func (f *fakeDiscovery) ServerPreferredResources() ([]*metav1.APIResourceList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists, nil
}

func (f *fakeDiscovery) add(gv, name, kind string, verbs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := metav1.APIResource{Name: name, Kind: kind, Namespaced: true, Verbs: verbs}
	for _, l := range f.lists {
		if l.GroupVersion == gv {
			l.APIResources = append(l.APIResources, r)
			return
		}
	}
	f.lists = append(f.lists, &metav1.APIResourceList{GroupVersion: gv, APIResources: []metav1.APIResource{r}})
}

var (
	gvrPolicies = schema.GroupVersionResource{Group: "control.kubestellar.io", Version: "v1alpha1", Resource: "bindingpolicies"}
	gvrDeploys  = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gvrWidgets  = schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}
	gvrEvents   = schema.GroupVersionResource{Version: "v1", Resource: "events"}
	gvrCMs      = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
)

// TestDiscoveredWatchesWhatPoliciesCanSelect: only resources some policy can select are
// watched (never-delivered kinds and subresources aside), plus Namespaces, the policies and
// CRDs; a policy edit stops and starts informers, and a resource that appears in discovery
// later (a new CRD) is watched then.
func TestDiscoveredWatchesWhatPoliciesCanSelect(t *testing.T) {
	lw := []string{"get", "list", "watch"}
	disc := &fakeDiscovery{}
	disc.add("v1", "namespaces", "Namespace", lw...)
	disc.add("v1", "configmaps", "ConfigMap", lw...)
	disc.add("v1", "events", "Event", lw...)
	disc.add("v1", "pods/log", "Pod", "get")
	disc.add("apps/v1", "deployments", "Deployment", lw...)
	disc.add("control.kubestellar.io/v1alpha1", "bindingpolicies", "BindingPolicy", lw...)
	pol := func(resources ...any) *unstructured.Unstructured {
		p := policy("p", "east1")
		p.Object["spec"].(map[string]any)["downsync"] = []any{map[string]any{"resources": resources}}
		return p
	}
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		gvrPolicies: "BindingPolicyList", gvrDeploys: "DeploymentList", gvrWidgets: "WidgetList", gvrEvents: "EventList",
		gvrCMs: "ConfigMapList", namespacesResource: "NamespaceList",
		{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}: "CustomResourceDefinitionList",
	}, pol("deployments", "events", "widgets"))
	d, err := NewDiscovered(client, disc, PlacementPolicies, nil, 50*time.Millisecond)
	require.NoError(t, err)
	_, err = NewDiscovered(client, disc, PlacementSelector, nil, 0)
	require.ErrorIs(t, err, ErrPlacementMode)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	changed := make(chan struct{}, 64)
	go func() {
		done <- d.Run(ctx, func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
	}()
	t.Cleanup(func() { cancel(); assert.NoError(t, <-done) })
	<-changed
	assert.ElementsMatch(t, []schema.GroupVersionResource{gvrDeploys, gvrPolicies, namespacesResource}, d.Watched(),
		"deployments for the policy, never events; widgets are not served yet")
	objs, err := d.Objects()
	require.NoError(t, err)
	require.Len(t, objs, 1)
	gr, ok := d.Resource(schema.GroupKind{Group: "apps", Kind: "Deployment"})
	assert.True(t, ok)
	assert.Equal(t, gvrDeploys.GroupResource(), gr)

	disc.add("example.com/v1", "widgets", "Widget", lw...)
	require.Eventually(t, func() bool { return len(d.Watched()) == 4 }, 10*time.Second, 10*time.Millisecond, "widgets watched once served")
	assert.Contains(t, d.Watched(), gvrWidgets)
	require.Eventually(t, func() bool { _, err := d.Objects(); return err == nil }, 10*time.Second, 10*time.Millisecond, "widgets listed")

	_, err = client.Resource(gvrPolicies).Update(ctx, pol("configmaps"), metav1.UpdateOptions{})
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		return assert.ObjectsAreEqual([]schema.GroupVersionResource{gvrCMs, namespacesResource, gvrPolicies}, d.Watched())
	}, 10*time.Second, 10*time.Millisecond, "a policy edit swaps the informers")
}
