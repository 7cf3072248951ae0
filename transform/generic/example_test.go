package generic_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/generic"
)

func ExampleNew() {
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":            "settings",
			"uid":             "0d5e2f1c",
			"resourceVersion": "42",
			"annotations":     map[string]any{generic.LastAppliedAnnotation: "{}"},
		},
		"data": map[string]any{"color": "blue"},
	}}
	p := transform.NewPipeline([]transform.Stage{transform.Named(generic.StageName, generic.New())}, nil)
	prep := p.Prepare(context.Background(), in)
	fmt.Println(prep.Object().Object["metadata"])
	for _, c := range prep.Trace() {
		fmt.Println(c.Kind, c.Path)
	}
	// Output:
	// map[name:settings]
	// remove .metadata.resourceVersion
	// remove .metadata.uid
	// remove .metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]
	// remove .metadata.annotations
}
