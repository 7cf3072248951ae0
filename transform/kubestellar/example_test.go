package kubestellar_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
	"github.com/wecforge/wecforge/transform/kubestellar"
)

func ExampleNewPipeline() {
	strip := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "control.kubestellar.io/v1alpha1",
		"kind":       "CustomTransform",
		"metadata":   map[string]any{"name": "no-replicas"},
		"spec":       map[string]any{"apiGroup": "apps", "resource": "deployments", "remove": []any{"$.spec.replicas"}},
	}}
	// A per-WEC stage (in real use: template expansion and rules).
	zone := transform.Named("zone", transform.Func(func(env *transform.Env, obj *transform.Object) error {
		z, _ := env.WEC.Lookup("zone")
		_, err := obj.Set(jsonpath.MustParse("$.spec.template.spec.nodeSelector.zone"), z)
		return err
	}))
	p, report, err := kubestellar.NewPipeline(kubestellar.Options{
		CustomTransforms: []*unstructured.Unstructured{strip},
		PerWEC:           []transform.Stage{zone},
	})
	if err != nil {
		fmt.Println("configuration problems:", err)
	}
	fmt.Println("warnings:", report.Warnings)

	deploy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": "web", "namespace": "shop", "uid": "1234", "resourceVersion": "9"},
		"spec":       map[string]any{"replicas": int64(3), "template": map[string]any{"spec": map[string]any{}}},
		"status":     map[string]any{"readyReplicas": int64(3)},
	}}
	prep := p.Prepare(context.Background(), deploy) // WEC-independent stages, once per object
	for _, z := range []string{"a", "b"} {
		wec, _ := customization.New("wec-"+z, map[string]string{"zone": z}, nil, nil)
		res := p.Render(context.Background(), prep, wec) // per-WEC stages, once per pair
		fmt.Println(res.WEC, res.Object.Object["metadata"], res.Object.Object["spec"])
	}
	// Output:
	// warnings: []
	// wec-a map[name:web namespace:shop] map[template:map[spec:map[nodeSelector:map[zone:a]]]]
	// wec-b map[name:web namespace:shop] map[template:map[spec:map[nodeSelector:map[zone:b]]]]
}
