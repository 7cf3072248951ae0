package crds_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/wecforge/wecforge/examples/transport/crds"
	"github.com/wecforge/wecforge/internal/testenv"
)

var server testenv.Server

// TestMain starts one envtest API server: it rejects CRDs whose schemas are not structural.
func TestMain(m *testing.M) { os.Exit(server.Run(m, "crds", testenv.Options{})) }

func TestAll(t *testing.T) {
	all, err := crds.All()
	require.NoError(t, err)
	var names []string
	for _, c := range all {
		names = append(names, c.GetName())
	}
	assert.Subset(t, names, []string{"bindingpolicies.control.kubestellar.io", "bindings.control.kubestellar.io",
		"customtransforms.control.kubestellar.io", "customizationrules.wecforge.io"})
}

// TestInstall: the API server accepts every CRD (structural schemas), a second Install changes
// nothing it did not create, a CRD of the same name it did not create is never touched, and the
// status subresource works.
func TestInstall(t *testing.T) {
	client, err := dynamic.NewForConfig(server.Config(t))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Someone else's CustomTransform CRD is already there.
	all, err := crds.All()
	require.NoError(t, err)
	var foreign *unstructured.Unstructured
	for _, c := range all {
		if c.GetName() == "customtransforms.control.kubestellar.io" {
			foreign = c
		}
	}
	require.NotNil(t, foreign)
	unstructured.RemoveNestedField(foreign.Object, "spec", "versions")
	require.NoError(t, unstructured.SetNestedSlice(foreign.Object, []any{map[string]any{
		"name": "v1alpha1", "served": true, "storage": true,
		"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
	}}, "spec", "versions"))
	_, err = client.Resource(crds.Resource).Create(ctx, foreign, metav1.CreateOptions{})
	require.NoError(t, err)
	before, err := client.Resource(crds.Resource).Get(ctx, foreign.GetName(), metav1.GetOptions{})
	require.NoError(t, err)

	res, err := crds.Install(ctx, client)
	require.NoError(t, err)
	// Subset: more CRDs may be added to the directory.
	assert.Subset(t, res.Created, []string{"bindingpolicies.control.kubestellar.io", "bindings.control.kubestellar.io",
		"customizationrules.wecforge.io"})
	assert.NotContains(t, res.Created, "customtransforms.control.kubestellar.io")
	assert.Equal(t, []string{"customtransforms.control.kubestellar.io"}, res.NotOurs)
	after, err := client.Resource(crds.Resource).Get(ctx, foreign.GetName(), metav1.GetOptions{})
	require.NoError(t, err)
	// The API server itself updates the CRD's status; the spec and labels stay the owner's.
	assert.Equal(t, before.GetGeneration(), after.GetGeneration(), "a CRD not ours is never written")
	assert.Equal(t, before.Object["spec"], after.Object["spec"])
	assert.NotContains(t, after.GetLabels(), crds.ManagedByLabel)

	res, err = crds.Install(ctx, client)
	require.NoError(t, err)
	assert.Empty(t, res.Created)
	assert.Equal(t, []string{"customtransforms.control.kubestellar.io"}, res.NotOurs)

	// The status subresource: a status written through it sticks, one in a spec update does not.
	bp := schema.GroupVersionResource{Group: "control.kubestellar.io", Version: "v1alpha1", Resource: "bindingpolicies"}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
		"metadata": map[string]any{"name": "p"},
		"spec":     map[string]any{"downsync": []any{map[string]any{"resources": []any{"deployments"}}}},
	}}
	var created *unstructured.Unstructured
	require.Eventually(t, func() bool {
		created, err = client.Resource(bp).Create(ctx, obj, metav1.CreateOptions{})
		return err == nil
	}, time.Minute, 100*time.Millisecond, "BindingPolicies served")
	created.Object["status"] = map[string]any{"errors": []any{"e"}, "observedGeneration": int64(1)}
	got, err := client.Resource(bp).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	require.NoError(t, err)
	errs, _, _ := unstructured.NestedStringSlice(got.Object, "status", "errors")
	assert.Equal(t, []string{"e"}, errs)
}
