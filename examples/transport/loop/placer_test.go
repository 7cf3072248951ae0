package loop

import (
	"errors"
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

// policy is a BindingPolicy sending the ConfigMaps named names to the WECs labelled name=wec.
func policy(name, wec string, names ...string) *unstructured.Unstructured {
	objNames := make([]any, len(names))
	for i, n := range names {
		objNames[i] = n
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"clusterSelectors": []any{map[string]any{"matchLabels": map[string]any{"name": wec}}},
			"downsync":         []any{map[string]any{"apiGroup": "", "resources": []any{"configmaps"}, "objectNames": objNames}},
		},
	}}
}

// TestLoopPoliciesMode: each WEC receives what the BindingPolicies bind to it; editing a policy
// moves an object at once (an observed cause, no shrink wait); deleting the last policy removes
// everything, never sends everything everywhere; a name also in the configuration files is an
// error and the file's policy is used.
func TestLoopPoliciesMode(t *testing.T) {
	clusters := []runtime.Object{
		mc("east1", map[string]string{"region": "east", "name": "east1"}),
		mc("east2", map[string]string{"region": "east", "name": "east2"}),
		mc("west1", map[string]string{"region": "west", "name": "west1"}),
	}
	src := newSource(cm("a"), cm("b"), policy("p", "east1", "a"), policy("w", "west1", "a", "b"))
	h := startLoop(t, Config{Placement: PlacementPolicies, ShrinkConfirmAfter: time.Hour}, clusters, nil, src)
	eventually(t, "a on east1 only", func() bool {
		return assert.ObjectsAreEqual([]string{"a"}, h.objects(t, "east1"))
	})
	assert.Empty(t, h.objects(t, "east2"))
	assert.Empty(t, h.objects(t, "west1"), "--clusters (region=east) further restricts the WECs")
	assert.Empty(t, h.c.PlacementErrors())

	src.set(cm("a"), cm("b"), policy("p", "east2", "a", "b"), policy("w", "west1", "a", "b"))
	eventually(t, "a and b moved to east2", func() bool {
		return len(h.objects(t, "east2")) == 2 && len(h.objects(t, "east1")) == 0
	})

	src.set(cm("a"), cm("b"))
	eventually(t, "nothing anywhere without a policy", func() bool { return len(h.objects(t, "east2")) == 0 })
	assert.Empty(t, h.objects(t, "east1"))
	assert.Empty(t, h.objects(t, "west1"))

	// A live policy named like one from the configuration files.
	h2 := startLoop(t, Config{Placement: PlacementPolicies, PlacementDocuments: []*unstructured.Unstructured{policy("p", "east1", "b")}},
		clusters, nil, newSource(cm("a"), cm("b"), policy("p", "east2", "a")))
	eventually(t, "the file's policy is used", func() bool {
		return assert.ObjectsAreEqual([]string{"b"}, h2.objects(t, "east1"))
	})
	assert.Empty(t, h2.objects(t, "east2"))
	errs := h2.c.PlacementErrors()
	require.Len(t, errs, 1)
	var de *DocumentError
	require.ErrorAs(t, errs[0], &de)
	assert.Equal(t, "p", de.Name)
	assert.True(t, errors.Is(errs[0], ErrDefinedTwice))
}

// TestLoopBindingsMode: in bindings mode the Bindings decide and BindingPolicies are ignored.
func TestLoopBindingsMode(t *testing.T) {
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "Binding",
		"metadata": map[string]any{"name": "p"},
		"spec": map[string]any{
			"workload": map[string]any{"namespaceScope": []any{map[string]any{
				"group": "", "version": "v1", "resource": "configmaps", "namespace": "demo", "name": "b"}}},
			"destinations": []any{map[string]any{"clusterId": "east2"}},
		},
	}}
	clusters := []runtime.Object{
		mc("east1", map[string]string{"region": "east", "name": "east1"}),
		mc("east2", map[string]string{"region": "east", "name": "east2"}),
	}
	h := startLoop(t, Config{Placement: PlacementBindings}, clusters, nil, newSource(cm("a"), cm("b"), policy("p", "east1", "a"), binding))
	eventually(t, "b on east2", func() bool { return assert.ObjectsAreEqual([]string{"b"}, h.objects(t, "east2")) })
	assert.Empty(t, h.objects(t, "east1"), "the BindingPolicy is not read in bindings mode")
}

func TestParsePlacementMode(t *testing.T) {
	for in, want := range map[string]PlacementMode{"": PlacementSelector, "selector": PlacementSelector,
		"policies": PlacementPolicies, "bindings": PlacementBindings} {
		got, err := ParsePlacementMode(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ParsePlacementMode("Policies")
	assert.ErrorIs(t, err, ErrPlacementMode)
}

func TestSplitPlacement(t *testing.T) {
	crd := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}}
	foreign := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "BindingPolicy"}}
	p := policy("p", "east1")
	rest, docs := SplitPlacement([]*unstructured.Unstructured{crd, p, foreign})
	assert.Equal(t, []*unstructured.Unstructured{crd, foreign}, rest, "a BindingPolicy of another group is not KubeStellar's")
	assert.Equal(t, []*unstructured.Unstructured{p}, docs)
}

// TestLoopPolicyStatus: an invalid BindingPolicy is skipped with its status saying why while
// the valid one places; each live policy's status gets observedGeneration, and a policy that
// selects no WEC gets a warning.
func TestLoopPolicyStatus(t *testing.T) {
	good, bad, lonely := policy("good", "east1", "a"), policy("bad", "east1", "b"), policy("lonely", "nowhere", "b")
	bad.Object["spec"].(map[string]any)["downsync"] = []any{map[string]any{"objectSelector": map[string]any{}}}
	for _, p := range []*unstructured.Unstructured{good, bad, lonely} {
		p.SetGeneration(3)
	}
	status := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{bindingPoliciesResource: "BindingPolicyList"}, good.DeepCopy(), bad.DeepCopy(), lonely.DeepCopy())
	clusters := []runtime.Object{mc("east1", map[string]string{"region": "east", "name": "east1"})}
	h := startLoop(t, Config{Placement: PlacementPolicies, SourceStatus: status}, clusters, nil,
		newSource(cm("a"), cm("b"), good, bad, lonely))
	eventually(t, "a on east1", func() bool { return assert.ObjectsAreEqual([]string{"a"}, h.objects(t, "east1")) })
	get := func(name string) map[string]any {
		u, err := status.Resource(bindingPoliciesResource).Get(t.Context(), name, metav1.GetOptions{})
		require.NoError(t, err)
		st, _ := u.Object["status"].(map[string]any)
		return st
	}
	eventually(t, "statuses written", func() bool { return get("bad") != nil && get("good") != nil && get("lonely") != nil })
	errs, _, _ := unstructured.NestedStringSlice(get("bad"), "errors")
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "objectSelector")
	for _, n := range []string{"good", "lonely"} {
		errs, _, _ := unstructured.NestedStringSlice(get(n), "errors")
		assert.Empty(t, errs, n)
		gen, _, _ := unstructured.NestedInt64(get(n), "observedGeneration")
		assert.Equal(t, int64(3), gen, n)
	}
	warns, _, _ := unstructured.NestedStringSlice(get("lonely"), "warnings")
	assert.NotEmpty(t, warns, "a policy selecting no WEC is warned about")
}

// TestLoopSingletonUnmetInPolicyStatus: a policy asking singleton reported state for an object
// it delivers to two WECs gets the singleton-count error in its status.errors (KubeStellar puts
// it there); a policy asking nothing of the same object gets none.
func TestLoopSingletonUnmetInPolicyStatus(t *testing.T) {
	single, plain := policy("single", "x", "a"), policy("plain", "east1", "a")
	single.Object["spec"].(map[string]any)["clusterSelectors"] = []any{map[string]any{"matchLabels": map[string]any{"region": "east"}}}
	single.Object["spec"].(map[string]any)["downsync"].([]any)[0].(map[string]any)["wantSingletonReportedState"] = true
	status := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{bindingPoliciesResource: "BindingPolicyList"}, single.DeepCopy(), plain.DeepCopy())
	clusters := []runtime.Object{
		mc("east1", map[string]string{"region": "east", "name": "east1"}),
		mc("east2", map[string]string{"region": "east", "name": "east2"}),
	}
	h := startLoop(t, Config{Placement: PlacementPolicies, SourceStatus: status}, clusters, nil, newSource(cm("a"), single, plain))
	eventually(t, "a on east2", func() bool { return assert.ObjectsAreEqual([]string{"a"}, h.objects(t, "east2")) })
	errsOf := func(name string) []string {
		u, err := status.Resource(bindingPoliciesResource).Get(t.Context(), name, metav1.GetOptions{})
		require.NoError(t, err)
		errs, _, _ := unstructured.NestedStringSlice(u.Object, "status", "errors")
		return errs
	}
	eventually(t, "singleton error written", func() bool { return len(errsOf("single")) == 1 })
	assert.Contains(t, errsOf("single")[0], "2 WECs qualify")
	assert.Empty(t, errsOf("plain"))
}
