package main

// This file holds the library sample of the top-level README.md. TestREADMESample checks that
// the README shows exactly this code (imports and the body between the README markers), and
// the Example's Output proves that the sample compiles and prints what the README says.

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
)

func Example_readme() {
	// README:begin
	decode := func(s string) map[string]any {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			panic(err)
		}
		return m
	}
	// Compile once: the configuration (CustomTransforms, CustomizationRules, BindingPolicies,
	// Bindings, CRDs, in any order) becomes the standard pipeline and placement.
	e, err := engine.Compile(engine.Config{Documents: []engine.Document{
		{Source: "policy.yaml#0", Object: decode(`
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: edge-web}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{objectSelectors: [{matchLabels: {app: web}}]}]
`)},
		{Source: "rules.yaml#0", Object: decode(`
apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: replicas}
spec:
  match: {resources: [{group: apps, kind: Deployment}]}
  actions:
  - set: {path: "$.spec.replicas", value: "int(properties.replicas)"}
`)},
	}})
	if err != nil {
		panic(err) // one *engine.DocumentError per invalid document, each naming its Source
	}
	// Resolve checks the workload objects (type, duplicates) and finds their resources.
	objs, err := e.Resolve([]engine.Object{
		{Source: "web.yaml#0", Object: &unstructured.Unstructured{Object: decode(`
apiVersion: v1
kind: Namespace
metadata: {name: demo, labels: {app: web}}
`)}},
		{Source: "web.yaml#1", Object: &unstructured.Unstructured{Object: decode(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  uid: 5c1f2a9e
  labels: {app: web}
  annotations: {control.kubestellar.io/expand-templates: "true"}
spec:
  replicas: 1
  template:
    spec:
      containers: [{name: app, image: "web:1.0", env: [{name: REGION, value: "{{ .region }}"}]}]
`)}},
	})
	if err != nil {
		panic(err)
	}
	edge, err := customization.New("edge-east-1", map[string]string{"location-group": "edge", "region": "us-east"}, nil,
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "edge-east-1"}, Data: map[string]string{"replicas": "3"}})
	if err != nil {
		panic(err)
	}
	core, err := customization.New("core-eu-1", map[string]string{"location-group": "core"}, nil, nil)
	if err != nil {
		panic(err)
	}
	wecs := []*customization.WEC{edge, core}
	// Place decides what each WEC receives: exactly what the BindingPolicies and Bindings bind.
	placed, err := e.Place(objs, wecs)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	pipeline := e.Pipeline() // always with KubeStellar template expansion
	for _, wec := range wecs {
		fmt.Printf("%s receives %d object(s)\n", wec.Name(), len(placed.ForWEC(wec.Name())))
		for _, d := range placed.ForWEC(wec.Name()) {
			prepared := pipeline.Prepare(ctx, d.Object.Object) // once per object in real use
			res := pipeline.Render(ctx, prepared, wec)         // once per (object, WEC); never edits its inputs
			if res.Err != nil {
				panic(res.Err) // a *transform.RenderError naming the WEC, object, rule and path
			}
			fmt.Printf("  %s (by %s)\n", d.Object.Ref, d.By[0])
			for _, c := range res.Changes() {
				fmt.Printf("    %s  %s  %v -> %v\n", c.Path, c.By, c.Old, c.New)
			}
		}
	}
	fmt.Println("warnings:", len(placed.Result().Warnings()))
	// README:end

	// Output:
	// edge-east-1 receives 2 object(s)
	//   Namespace demo (by bindingpolicy/edge-web)
	//   Deployment.apps demo/web (by bindingpolicy/edge-web)
	//     .metadata.uid  generic  5c1f2a9e -> <nil>
	//     .spec.template.spec.containers[0].env[0].value  templates  {{ .region }} -> us-east
	//     .spec.replicas  rule replicas: spec.actions[0]  1 -> 3
	// core-eu-1 receives 0 object(s)
	// warnings: 0
}
