package resources_test

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/transform/resources"
)

func ExampleNew() {
	widgetCRD := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": "widgets.example.com"},
		"spec": map[string]any{
			"group": "example.com",
			"scope": "Namespaced",
			"names": map[string]any{"kind": "Widget", "plural": "widgets"},
		},
	}}
	// Every input may be passed: only the CRDs among them are read.
	m, err := resources.New(resources.Options{Objects: []*unstructured.Unstructured{widgetCRD}})
	if err != nil {
		panic(err)
	}
	for _, gk := range []schema.GroupKind{{Group: "apps", Kind: "Deployment"}, {Group: "example.com", Kind: "Widget"}, {Group: "example.com", Kind: "Gizmo"}} {
		gr, err := m.ResourceFor(gk)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(gr)
	}
	// Output:
	// deployments.apps
	// widgets.example.com
	// error: unknown kind "Gizmo" in API group "example.com": no built-in mapping, CustomResourceDefinition or explicit mapping names its resource
}
