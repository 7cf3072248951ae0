package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// demo loads, routes and compiles the bundled demo.
func demo(t *testing.T) (*inputs, *built) {
	t.Helper()
	docs, _, err := loadPaths([]string{"../../testdata/demo"}, nil)
	require.NoError(t, err)
	in, err := route(docs)
	require.NoError(t, err)
	b, err := buildPipeline(in)
	require.NoError(t, err)
	return in, b
}

// TestRenderNeverModifiesWorkloads renders the demo for every WEC and checks that every input
// object is exactly as it was read.
func TestRenderNeverModifiesWorkloads(t *testing.T) {
	in, b := demo(t)
	before := make([]*unstructured.Unstructured, len(in.workloads))
	for i, w := range in.workloads {
		before[i] = w.obj.DeepCopy()
	}
	r, err := render(context.Background(), b, in.workloads, in.wecs)
	require.NoError(t, err)
	require.Zero(t, r.failed)
	for i, w := range in.workloads {
		assert.Equal(t, before[i].Object, w.obj.Object, "%s was modified", w.ref)
	}
}

// TestRenderOrdersObjectsByGroupKindNamespaceName checks the file order of the contract.
func TestRenderOrdersObjectsByGroupKindNamespaceName(t *testing.T) {
	in, b := demo(t)
	r, err := render(context.Background(), b, in.workloads, in.wecs[:1])
	require.NoError(t, err)
	var got []string
	for _, p := range r.wecs[0].pairs {
		got = append(got, p.w.ref.String())
	}
	assert.Equal(t, []string{
		"ConfigMap demo/web-config",
		"Namespace demo",
		"Service demo/web",
		"Deployment.apps demo/web",
		"Job.batch demo/migrate-7xk2p",
	}, got)
}
