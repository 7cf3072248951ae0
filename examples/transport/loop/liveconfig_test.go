package loop

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

// labelRule is a CustomizationRule labelling the ConfigMap named target v=value.
func labelRule(name, target, value string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "wecforge.io/v1alpha1", "kind": "CustomizationRule",
		"metadata": map[string]any{"name": name, "generation": int64(2)},
		"spec": map[string]any{
			"match":   map[string]any{"resources": []any{map[string]any{"group": "", "kind": "ConfigMap"}}, "names": []any{target}},
			"actions": []any{map[string]any{"labels": map[string]any{"add": map[string]any{"v": value}}}},
		},
	}}
}

// removeCT is a CustomTransform on ConfigMaps removing the given paths.
func removeCT(name string, paths ...string) *unstructured.Unstructured {
	rm := make([]any, len(paths))
	for i, p := range paths {
		rm[i] = p
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "CustomTransform",
		"metadata": map[string]any{"name": name, "generation": int64(4)},
		"spec":     map[string]any{"apiGroup": "", "resource": "configmaps", "remove": rm},
	}}
}

// manifest returns the object named name in wec's works, or nil.
func (h *fakeHub) manifest(t *testing.T, wec, name string) *unstructured.Unstructured {
	t.Helper()
	list, err := h.work.WorkV1().ManifestWorks(wec).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	for _, w := range list.Items {
		for _, m := range w.Spec.Workload.Manifests {
			u := &unstructured.Unstructured{}
			require.NoError(t, u.UnmarshalJSON(m.Raw))
			if u.GetName() == name {
				return u
			}
		}
	}
	return nil
}

// renderedSince sums the renders of the records after the first n.
func renderedSince(c *Controller, n int) int {
	sum := 0
	for _, r := range c.History()[n:] {
		sum += r.Rendered
	}
	return sum
}

func withSecret(u *unstructured.Unstructured) *unstructured.Unstructured {
	u.Object["data"] = map[string]any{"secret": "s", "keep": "k"}
	return u
}

// TestLoopLiveConfig: CustomizationRules and CustomTransforms read from the source apply without
// a restart; adding one rule of many renders only the pairs of the object it matches; a
// status-only update of a rule renders nothing; an invalid CustomTransform entry is reported
// in its status while its valid entries apply; the rules and CustomTransforms are never
// delivered.
func TestLoopLiveConfig(t *testing.T) {
	clusters := []runtime.Object{
		mc("east1", map[string]string{"region": "east"}),
		mc("east2", map[string]string{"region": "east"}),
	}
	var objs []*unstructured.Unstructured
	for i := range 100 {
		objs = append(objs, withSecret(cm(fmt.Sprintf("c%d", i))))
	}
	ct := removeCT("strip", "$.data.secret", "$[")
	r5 := labelRule("r-c5", "c5", "five")
	status := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{customTransformsResource: "CustomTransformList", customizationRulesResource: "CustomizationRuleList"},
		ct.DeepCopy(), r5.DeepCopy(), labelRule("r-c7", "c7", "seven"))
	src := newSource(append(objs, ct, r5)...)
	h := startLoop(t, Config{LiveConfig: true, SourceStatus: status}, clusters, nil, src)

	eventually(t, "the live rule applies on both WECs", func() bool {
		m1, m2 := h.manifest(t, "east1", "c5"), h.manifest(t, "east2", "c5")
		return m1 != nil && m2 != nil && m1.GetLabels()["v"] == "five" && m2.GetLabels()["v"] == "five"
	})
	m := h.manifest(t, "east1", "c1")
	require.NotNil(t, m)
	assert.Equal(t, map[string]any{"keep": "k"}, m.Object["data"], "the CustomTransform's valid entry applies")
	assert.Nil(t, h.manifest(t, "east1", "strip"), "CustomTransforms are not delivered")
	assert.Nil(t, h.manifest(t, "east1", "r-c5"), "CustomizationRules are not delivered")
	eventually(t, "the CustomTransform's status names its invalid entry", func() bool {
		u, err := status.Resource(customTransformsResource).Get(t.Context(), "strip", metav1.GetOptions{})
		require.NoError(t, err)
		errs, _, _ := unstructured.NestedStringSlice(u.Object, "status", "errors")
		gen, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
		return len(errs) == 1 && gen == 4
	})
	u, err := status.Resource(customTransformsResource).Get(t.Context(), "strip", metav1.GetOptions{})
	require.NoError(t, err)
	errs, _, _ := unstructured.NestedStringSlice(u.Object, "status", "errors")
	assert.Contains(t, errs[0], "spec.remove[1]")
	require.Len(t, h.c.ConfigErrors(), 1)

	// One more rule of many: only c7's two pairs are rendered.
	mark := len(h.c.History())
	r7 := labelRule("r-c7", "c7", "seven")
	src.set(append(objs, ct, r5, r7)...)
	eventually(t, "the added rule applies", func() bool {
		m := h.manifest(t, "east1", "c7")
		return m != nil && m.GetLabels()["v"] == "seven"
	})
	eventually(t, "processed", func() bool { return renderedSince(h.c, mark) >= 2 })
	assert.Equal(t, 2, renderedSince(h.c, mark), "one object on two WECs")
	eventually(t, "the rule's status", func() bool {
		u, err := status.Resource(customizationRulesResource).Get(t.Context(), "r-c7", metav1.GetOptions{})
		require.NoError(t, err)
		gen, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
		return found && gen == 2
	})

	// A status-only update of a rule renders nothing.
	mark = len(h.c.History())
	r7s := r7.DeepCopy()
	r7s.Object["status"] = map[string]any{"errors": []any{}, "observedGeneration": int64(2)}
	r7s.SetResourceVersion("99")
	src.set(append(objs, ct, r5, r7s)...)
	eventually(t, "processed", func() bool { return len(h.c.History()) > mark })
	assert.Zero(t, renderedSince(h.c, mark))
}

// TestLoopLiveConfigDefinedTwice: a live rule named like one from the configuration files is an
// error; the file's rule applies.
func TestLoopLiveConfigDefinedTwice(t *testing.T) {
	clusters := []runtime.Object{mc("east1", map[string]string{"region": "east"})}
	h := startLoop(t, Config{LiveConfig: true, ConfigDocuments: []*unstructured.Unstructured{labelRule("r", "a", "file")}},
		clusters, nil, newSource(cm("a"), labelRule("r", "a", "live")))
	eventually(t, "the file's rule applies", func() bool {
		m := h.manifest(t, "east1", "a")
		return m != nil && m.GetLabels()["v"] == "file"
	})
	errs := h.c.ConfigErrors()
	require.Len(t, errs, 1)
	assert.True(t, errors.Is(errs[0], ErrDefinedTwice))
	var ce *ConfigError
	require.ErrorAs(t, errs[0], &ce)
	assert.Equal(t, "r", ce.Name)
}

func TestNewRejectsAnInvalidConfigurationFile(t *testing.T) {
	bad := labelRule("r", "a", "x")
	bad.Object["spec"].(map[string]any)["actions"] = []any{}
	_, err := New(Config{LiveConfig: true, ConfigDocuments: []*unstructured.Unstructured{bad}})
	require.Error(t, err)
	_, err = New(Config{LiveConfig: true, ConfigDocuments: []*unstructured.Unstructured{cm("x")}})
	require.Error(t, err)
}

// TestLoopLiveConfigLeavesStatusCollectors: a StatusCollector among the configuration files
// (the status loop's) neither fails the live pipeline nor changes what renders.
func TestLoopLiveConfigLeavesStatusCollectors(t *testing.T) {
	collector := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "StatusCollector",
		"metadata": map[string]any{"name": "count"},
		"spec":     map[string]any{"select": []any{map[string]any{"name": "wec", "def": "inventory.name"}}},
	}}
	clusters := []runtime.Object{mc("east1", map[string]string{"region": "east"})}
	h := startLoop(t, Config{LiveConfig: true, ConfigDocuments: []*unstructured.Unstructured{collector, labelRule("r", "a", "file")}},
		clusters, nil, newSource(cm("a")))
	eventually(t, "the file's rule applies", func() bool {
		m := h.manifest(t, "east1", "a")
		return m != nil && m.GetLabels()["v"] == "file"
	})
	assert.Empty(t, h.c.ConfigErrors())
}
