package benchmarks

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform/kubestellar"
)

// prepareDeployment is the realistic Deployment of the fixtures plus the other fields a WDS
// adds that the generic stage removes: ownerReferences, finalizers, the last-applied
// annotation.
func prepareDeployment(b *testing.B) *unstructured.Unstructured {
	d := Deployment()
	d.SetOwnerReferences(nil)
	if err := unstructured.SetNestedSlice(d.Object, []any{map[string]any{
		"apiVersion": "example.com/v1", "kind": "App", "name": "shop", "uid": "5f0c", "controller": true,
	}}, "metadata", "ownerReferences"); err != nil {
		b.Fatal(err)
	}
	d.SetFinalizers([]string{"example.com/protect"})
	ann := d.GetAnnotations()
	ann["kubectl.kubernetes.io/last-applied-configuration"] = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":2}}`
	d.SetAnnotations(ann)
	return d
}

var stripResources = &unstructured.Unstructured{Object: map[string]any{
	"apiVersion": "control.kubestellar.io/v1alpha1",
	"kind":       "CustomTransform",
	"metadata":   map[string]any{"name": "strip"},
	"spec": map[string]any{
		"apiGroup": "apps",
		"resource": "deployments",
		"remove": []any{
			"$.spec.revisionHistoryLimit",
			"$.spec.template.spec.containers[?@.name=='sidecar'].resources",
		},
	},
}}

// BenchmarkPrepare measures the WEC-independent stages (generic, kinds, one CustomTransform)
// on one object: the work done once per object, whatever the number of WECs.
func BenchmarkPrepare(b *testing.B) {
	p, _, err := kubestellar.NewPipeline(kubestellar.Options{CustomTransforms: []*unstructured.Unstructured{stripResources}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		obj  *unstructured.Unstructured
	}{
		{"deployment", prepareDeployment(b)},
		{"service", Service()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			if prep := p.Prepare(ctx, bc.obj); prep.Err != nil || len(prep.Trace()) == 0 {
				b.Fatalf("prepare: %v, %d changes", prep.Err, len(prep.Trace()))
			}
			b.ReportAllocs()
			for b.Loop() {
				p.Prepare(ctx, bc.obj)
			}
		})
	}
}
