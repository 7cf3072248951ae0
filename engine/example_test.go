package engine_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
)

func ExampleCompile() {
	decode := func(s string) map[string]any {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			panic(err)
		}
		return m
	}
	e, err := engine.Compile(engine.Config{Documents: []engine.Document{
		{Source: "policy.yaml#0", Object: decode(`
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: edge-web}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{objectSelectors: [{matchLabels: {app: web}}]}]`)},
		{Source: "rules.yaml#0", Object: decode(`
apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: replicas}
spec:
  match: {resources: [{group: apps, kind: Deployment}]}
  actions: [{set: {path: "$.spec.replicas", value: "int(properties.replicas)"}}]`)},
	}})
	if err != nil {
		panic(err) // a strict caller stops here; each line names its document
	}
	objs, err := e.Resolve([]engine.Object{{Source: "web.yaml#0", Object: &unstructured.Unstructured{Object: decode(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations: {control.kubestellar.io/expand-templates: "true"}
spec:
  replicas: 1
  template: {spec: {containers: [{name: app, image: "web:1", env: [{name: WEC, value: "{{ .clusterName }}"}]}]}}`)}}})
	if err != nil {
		panic(err)
	}
	east, _ := customization.New("edge-east", map[string]string{"location-group": "edge", "replicas": "3"}, nil, nil)
	core, _ := customization.New("core-1", map[string]string{"location-group": "core", "replicas": "9"}, nil, nil)
	placed, err := e.Place(objs, []*customization.WEC{east, core})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, w := range []*customization.WEC{east, core} {
		for _, d := range placed.ForWEC(w.Name()) {
			prep := e.Pipeline().Prepare(ctx, d.Object.Object) // once per object in real use
			res := e.Pipeline().Render(ctx, prep, w)
			spec := res.Object.Object["spec"].(map[string]any)
			env := spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["env"]
			fmt.Println(w.Name(), d.Object.Ref, "by", d.By[0], "replicas", spec["replicas"], "env", env)
		}
	}
	for _, warn := range placed.Result().Warnings() {
		fmt.Println("warning:", warn.Code)
	}
	// Output:
	// edge-east Deployment.apps shop/web by bindingpolicy/edge-web replicas 3 env [map[name:WEC value:edge-east]]
	// warning: NamespaceNotDelivered
}
