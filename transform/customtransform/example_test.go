package customtransform_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/customtransform"
)

func ExampleNew() {
	strip := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": customtransform.APIVersion,
		"kind":       customtransform.Kind,
		"metadata":   map[string]any{"name": "no-replicas"},
		"spec": map[string]any{
			"apiGroup": "apps",
			"resource": "deployments",
			"remove":   []any{"$.spec.replicas", "$.spec.template.spec.containers[?@.name=='app'].resources", "$.spec["},
		},
	}}
	// A nil mapper means the built-in kind table.
	stage, err := customtransform.New([]*unstructured.Unstructured{strip}, nil)
	if err != nil {
		// The stage is still usable: only the bad entry is left out.
		fmt.Println(err)
	}
	deploy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": "web"},
		"spec": map[string]any{"replicas": int64(3), "template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "app", "image": "nginx", "resources": map[string]any{}}},
		}}},
	}}
	p := transform.NewPipeline([]transform.Stage{transform.Named(customtransform.StageName, stage)}, nil)
	prep := p.Prepare(context.Background(), deploy)
	for _, c := range prep.Trace() {
		fmt.Println(c.By, "removed", c.Path)
	}
	// Output:
	// customtransform no-replicas: spec.remove[2]: invalid JSONPath "$.spec[" at position 6: unclosed [
	// customtransform no-replicas: spec.remove[0] removed .spec.replicas
	// customtransform no-replicas: spec.remove[1] removed .spec.template.spec.containers[0].resources
}
