package loop_test

import (
	"context"
	"fmt"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/examples/transport/loop"
)

// BuildPipeline compiles the demo rules and CustomTransform; rendering the demo workload for two
// WECs shows the per-region registry and the greeting filled from the properties ConfigMap.
func ExampleBuildPipeline() {
	config, _, err := loop.ReadObjects(filepath.Join("..", "testdata", "config.yaml"))
	if err != nil {
		panic(err)
	}
	p, _, err := loop.BuildPipeline(config)
	if err != nil {
		panic(err)
	}
	objs, _, err := loop.ReadObjects(filepath.Join("..", "testdata", "workload.yaml"))
	if err != nil {
		panic(err)
	}
	var wecs []*customization.WEC
	for _, w := range []struct{ name, region, zone string }{{"cluster1", "east", "e1"}, {"cluster2", "west", "w1"}} {
		cm := &corev1.ConfigMap{Data: map[string]string{"zone": w.zone}}
		cm.Name, cm.Namespace = w.name, customization.PropertiesNamespace
		wec, err := customization.New(w.name, map[string]string{"region": w.region}, nil, cm)
		if err != nil {
			panic(err)
		}
		wecs = append(wecs, wec)
	}
	for _, r := range p.RenderAll(context.Background(), objs, wecs) {
		switch r.Ref.Kind {
		case "Deployment":
			c, _, _ := unstructured.NestedSlice(r.Object.Object, "spec", "template", "spec", "containers")
			fmt.Println(r.WEC, c[0].(map[string]any)["image"], r.Deps.Properties)
		case "ConfigMap":
			g, _, _ := unstructured.NestedString(r.Object.Object, "data", "greeting")
			fmt.Println(r.WEC, g, r.Deps.Properties)
		}
	}
	// Output:
	// cluster1 east.registry.example/team/web:1.0 [region]
	// cluster1 hello from cluster1 in zone e1 [clusterName region zone]
	// cluster2 west.registry.example/team/web:1.0 [region]
	// cluster2 hello from cluster2 in zone w1 [clusterName region zone]
}
