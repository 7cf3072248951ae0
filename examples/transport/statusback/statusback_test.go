package statusback

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

var (
	deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gadgetsGVR     = schema.GroupVersionResource{Group: "test.wecforge.io", Version: "v1", Resource: "gadgets"}
)

const singletonLabel = "managed-by.kubestellar.io/singletonstatus"

var nsCounter atomic.Int32

// setup returns a Writer, the dynamic client and a fresh namespace.
func setup(t *testing.T) (*Writer, dynamic.Interface, string) {
	t.Helper()
	cfg := requireEnv(t)
	dyn, err := dynamic.NewForConfig(cfg)
	require.NoError(t, err)
	kube, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	ns := fmt.Sprintf("sb-%d", nsCounter.Add(1))
	_, err = kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	w, err := New(dyn)
	require.NoError(t, err)
	return w, dyn, ns
}

func createDeployment(t *testing.T, dyn dynamic.Interface, ns, name string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"app": "web"}},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "web", "image": "web:1"}}},
			},
		},
	}}
	got, err := dyn.Resource(deploymentsGVR).Namespace(ns).Create(context.Background(), obj, metav1.CreateOptions{})
	require.NoError(t, err)
	return got
}

func get(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	t.Helper()
	got, err := dyn.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return got
}

// testReplaceStatus is shared by the two write paths: the status is replaced (not merged),
// labels are set and cleared, an unchanged write writes nothing, and the input is not touched.
func testReplaceStatus(t *testing.T, w *Writer, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name string) {
	ctx := context.Background()
	first := map[string]any{"replicas": int64(2), "updatedReplicas": int64(2), "conditions": []any{map[string]any{"type": "Available", "status": "True", "lastUpdateTime": "2026-12-02T10:00:00Z", "lastTransitionTime": "2026-12-02T10:00:00Z"}}}
	in := ObjectStatus{Resource: gvr, Namespace: ns, Name: name, Status: first, SetLabels: map[string]string{singletonLabel: "true"}}
	wrote, err := w.WriteStatus(ctx, in)
	require.NoError(t, err)
	assert.True(t, wrote)
	got := get(t, dyn, gvr, ns, name)
	st, _, _ := unstructured.NestedMap(got.Object, "status")
	assert.Equal(t, first, st)
	assert.Equal(t, map[string]string{"app": "web", singletonLabel: "true"}, got.GetLabels())

	wrote, err = w.WriteStatus(ctx, in)
	require.NoError(t, err)
	assert.False(t, wrote, "unchanged: no write")
	assert.Equal(t, got.GetResourceVersion(), get(t, dyn, gvr, ns, name).GetResourceVersion())

	second := map[string]any{"replicas": int64(1)}
	wrote, err = w.WriteStatus(ctx, ObjectStatus{Resource: gvr, Namespace: ns, Name: name, Status: second, SetLabels: map[string]string{singletonLabel: "true"}})
	require.NoError(t, err)
	assert.True(t, wrote)
	st, _, _ = unstructured.NestedMap(get(t, dyn, gvr, ns, name).Object, "status")
	assert.Equal(t, second, st, "replaced, not merged: updatedReplicas and conditions are gone")

	// Clearing: {} and the label removed.
	wrote, err = w.WriteStatus(ctx, ObjectStatus{Resource: gvr, Namespace: ns, Name: name, ClearLabels: []string{singletonLabel}})
	require.NoError(t, err)
	assert.True(t, wrote)
	got = get(t, dyn, gvr, ns, name)
	st, found, _ := unstructured.NestedMap(got.Object, "status")
	assert.True(t, found && len(st) == 0, "status cleared to {}: %v", got.Object["status"])
	assert.Equal(t, map[string]string{"app": "web"}, got.GetLabels())
	assert.Equal(t, map[string]any{"replicas": int64(2), "updatedReplicas": int64(2), "conditions": []any{map[string]any{"type": "Available", "status": "True", "lastUpdateTime": "2026-12-02T10:00:00Z", "lastTransitionTime": "2026-12-02T10:00:00Z"}}}, first, "input untouched")
}

// TestWriteStatusSubresource: a Deployment's status goes through its status subresource.
func TestWriteStatusSubresource(t *testing.T) {
	w, dyn, ns := setup(t)
	createDeployment(t, dyn, ns, "web")
	testReplaceStatus(t, w, dyn, deploymentsGVR, ns, "web")

	// The server stores absent timestamps of a built-in kind as null; the same status written
	// again is still recognised as unchanged.
	in := ObjectStatus{Resource: deploymentsGVR, Namespace: ns, Name: "web",
		Status: map[string]any{"conditions": []any{map[string]any{"type": "Progressing", "status": "True"}}}}
	wrote, err := w.WriteStatus(context.Background(), in)
	require.NoError(t, err)
	assert.True(t, wrote)
	wrote, err = w.WriteStatus(context.Background(), in)
	require.NoError(t, err)
	assert.False(t, wrote)

	// Labels alone: the object is patched, the status left as it is.
	before := get(t, dyn, deploymentsGVR, ns, "web")
	in.SetLabels = map[string]string{"managed-by.kubestellar.io/multiwecstatus": "true"}
	wrote, err = w.WriteStatus(context.Background(), in)
	require.NoError(t, err)
	assert.True(t, wrote)
	after := get(t, dyn, deploymentsGVR, ns, "web")
	assert.Equal(t, "true", after.GetLabels()["managed-by.kubestellar.io/multiwecstatus"])
	assert.Equal(t, before.Object["status"], after.Object["status"])
}

// TestWriteStatusMergePatch: a resource without a status subresource gets a merge patch that
// nulls the fields the new status drops.
func TestWriteStatusMergePatch(t *testing.T) {
	w, dyn, ns := setup(t)
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "test.wecforge.io/v1", "kind": "Gadget",
		"metadata": map[string]any{"name": "g", "namespace": ns, "labels": map[string]any{"app": "web"}}, "spec": map[string]any{"size": int64(1)}}}
	_, err := dyn.Resource(gadgetsGVR).Namespace(ns).Create(context.Background(), obj, metav1.CreateOptions{})
	require.NoError(t, err)
	testReplaceStatus(t, w, dyn, gadgetsGVR, ns, "g")
	spec, _, _ := unstructured.NestedMap(get(t, dyn, gadgetsGVR, ns, "g").Object, "spec")
	assert.Equal(t, map[string]any{"size": int64(1)}, spec, "the spec is left alone")
}

// TestWriteStatusErrors: refused kinds, bad input and a missing object are typed and named.
func TestWriteStatusErrors(t *testing.T) {
	w, _, ns := setup(t)
	ctx := context.Background()
	_, err := w.WriteStatus(ctx, ObjectStatus{Resource: schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, Name: ns})
	assert.ErrorIs(t, err, ErrRefused)
	_, err = w.WriteStatus(ctx, ObjectStatus{Resource: schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}, Name: "x"})
	assert.ErrorIs(t, err, ErrRefused)
	_, err = w.WriteStatus(ctx, ObjectStatus{Resource: deploymentsGVR, Namespace: ns})
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = w.WriteStatus(ctx, ObjectStatus{Resource: deploymentsGVR, Namespace: ns, Name: "web", Status: map[string]any{"bad": func() {}}})
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = w.WriteStatus(ctx, ObjectStatus{Resource: deploymentsGVR, Namespace: ns, Name: "absent"})
	assert.True(t, apierrors.IsNotFound(err), "%v", err)
	var we *WriteError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "absent", we.Name)
	assert.Equal(t, "get", we.Action)
	_, err = New(nil)
	assert.ErrorIs(t, err, ErrInvalidInput)
}

// TestCombinedStatusLifecycle: created with name, namespace, owner, labels and results;
// unchanged writes nothing; changed results update it; labels others added are kept; deleted.
func TestCombinedStatusLifecycle(t *testing.T) {
	w, dyn, ns := setup(t)
	ctx := context.Background()
	dep := createDeployment(t, dyn, ns, "web")
	name := string(dep.GetUID()) + ".7c1e0d1e-0000-4000-8000-000000000001"
	owner := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: dep.GetUID()}
	labels := map[string]string{
		"status.kubestellar.io/api-group": "apps", "status.kubestellar.io/resource": "deployments",
		"status.kubestellar.io/namespace": ns, "status.kubestellar.io/name": "web",
		"status.kubestellar.io/binding-policy": "bp",
	}
	results := []map[string]any{{
		"name": "count", "columnNames": []any{"count", "sum"},
		"rows": []any{map[string]any{"columns": []any{
			map[string]any{"type": "Number", "float": "2"}, map[string]any{"type": "Number", "float": "3"}}}},
	}}
	cs := CombinedStatus{Name: name, Namespace: ns, Owner: owner, Labels: labels, Results: results}
	wrote, err := w.ApplyCombinedStatus(ctx, cs)
	require.NoError(t, err)
	assert.True(t, wrote)
	got := get(t, dyn, CombinedStatusResource, ns, name)
	assert.Equal(t, labels, got.GetLabels())
	assert.Equal(t, []metav1.OwnerReference{owner}, got.GetOwnerReferences())
	assert.Equal(t, []any{results[0]}, got.Object["results"])

	wrote, err = w.ApplyCombinedStatus(ctx, cs)
	require.NoError(t, err)
	assert.False(t, wrote)

	got.SetLabels(map[string]string{"team": "a", "status.kubestellar.io/name": "stale"})
	_, err = dyn.Resource(CombinedStatusResource).Namespace(ns).Update(ctx, got, metav1.UpdateOptions{})
	require.NoError(t, err)
	cs.Results = []map[string]any{{"name": "count", "columnNames": []any{"count"}}}
	wrote, err = w.ApplyCombinedStatus(ctx, cs)
	require.NoError(t, err)
	assert.True(t, wrote)
	got = get(t, dyn, CombinedStatusResource, ns, name)
	assert.Equal(t, "a", got.GetLabels()["team"])
	assert.Equal(t, "web", got.GetLabels()["status.kubestellar.io/name"])
	assert.Equal(t, []any{map[string]any{"name": "count", "columnNames": []any{"count"}}}, got.Object["results"])

	existed, err := w.DeleteCombinedStatus(ctx, ns, name)
	require.NoError(t, err)
	assert.True(t, existed)
	existed, err = w.DeleteCombinedStatus(ctx, ns, name)
	require.NoError(t, err)
	assert.False(t, existed)

	_, err = w.ApplyCombinedStatus(ctx, CombinedStatus{Name: "Not_A_Name", Namespace: ns, Owner: owner})
	assert.ErrorIs(t, err, ErrInvalidInput)
}

// TestCollectorErrors: errors and observedGeneration land in the StatusCollector's status,
// an unchanged call writes nothing, an empty list clears them.
func TestCollectorErrors(t *testing.T) {
	w, dyn, _ := setup(t)
	ctx := context.Background()
	sc := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "StatusCollector",
		"metadata": map[string]any{"name": fmt.Sprintf("sc-%d", nsCounter.Add(1))},
		"spec":     map[string]any{"select": []any{map[string]any{"name": "x", "def": "returned.status"}}}}}
	sc, err := dyn.Resource(StatusCollectorResource).Create(ctx, sc, metav1.CreateOptions{})
	require.NoError(t, err)
	wrote, err := w.SetCollectorErrors(ctx, sc.GetName(), sc.GetGeneration(), []string{"select[0]: syntax error"})
	require.NoError(t, err)
	assert.True(t, wrote)
	got := get(t, dyn, StatusCollectorResource, "", sc.GetName())
	assert.Equal(t, map[string]any{"observedGeneration": sc.GetGeneration(), "errors": []any{"select[0]: syntax error"}}, got.Object["status"])
	wrote, err = w.SetCollectorErrors(ctx, sc.GetName(), sc.GetGeneration(), []string{"select[0]: syntax error"})
	require.NoError(t, err)
	assert.False(t, wrote)
	wrote, err = w.SetCollectorErrors(ctx, sc.GetName(), sc.GetGeneration(), nil)
	require.NoError(t, err)
	assert.True(t, wrote)
	assert.Equal(t, map[string]any{"observedGeneration": sc.GetGeneration()}, get(t, dyn, StatusCollectorResource, "", sc.GetName()).Object["status"])

	_, err = w.SetCollectorErrors(ctx, "absent", 1, nil)
	assert.True(t, apierrors.IsNotFound(err))
}
