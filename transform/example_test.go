package transform_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

func ExampleNewPipeline() {
	dropStatus := transform.Func(func(_ *transform.Env, obj *transform.Object) error {
		obj.Remove(jsonpath.MustParse("$.status"))
		return nil
	})
	replicas := jsonpath.MustParse("$.spec.replicas")
	perWEC := transform.Func(func(env *transform.Env, obj *transform.Object) error {
		if env.WEC.Labels()["tier"] == "edge" {
			_, err := obj.Set(replicas, int64(1))
			return err
		}
		return nil
	})
	p := transform.NewPipeline(
		[]transform.Stage{transform.Named("drop-status", dropStatus)}, // once per object
		[]transform.Stage{transform.Named("edge-replicas", perWEC)},   // once per (object, WEC)
	)
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec":     map[string]any{"replicas": int64(3)},
		"status":   map[string]any{"readyReplicas": int64(3)},
	}}
	edge, _ := customization.New("edge-1", map[string]string{"tier": "edge"}, nil, nil)
	core, _ := customization.New("core-1", map[string]string{"tier": "core"}, nil, nil)
	for _, res := range p.RenderAll(context.Background(), []*unstructured.Unstructured{in}, []*customization.WEC{edge, core}) {
		fmt.Println(res.WEC, res.Ref, res.Object.Object["spec"])
		for _, c := range res.Changes() {
			fmt.Printf("  %s %s %s: %v -> %v\n", c.By, c.Kind, c.Path, c.Old, c.New)
		}
	}
	// Output:
	// edge-1 Deployment.apps shop/web map[replicas:1]
	//   drop-status remove .status: map[readyReplicas:3] -> <nil>
	//   edge-replicas set .spec.replicas: 3 -> 1
	// core-1 Deployment.apps shop/web map[replicas:3]
	//   drop-status remove .status: map[readyReplicas:3] -> <nil>
}
