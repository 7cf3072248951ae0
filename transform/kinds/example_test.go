package kinds_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/kinds"
)

func ExampleNew() {
	svc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Service",
		"metadata": map[string]any{
			"name":        "web",
			"annotations": map[string]any{kinds.PreserveAnnotation: "NodePort"},
		},
		"spec": map[string]any{
			"type":       "NodePort",
			"clusterIP":  "10.96.0.10",
			"clusterIPs": []any{"10.96.0.10"},
			"ports":      []any{map[string]any{"port": int64(80), "nodePort": int64(30080)}},
		},
	}}
	p := transform.NewPipeline([]transform.Stage{transform.Named(kinds.StageName, kinds.New())}, nil)
	prep := p.Prepare(context.Background(), svc)
	fmt.Println(prep.Object().Object["spec"])
	// Output:
	// map[ports:[map[nodePort:30080 port:80]] type:NodePort]
}
