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
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/kubestellar"
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
	// Compile once: a rule that sets replicas from a WEC property, as a typed CEL value.
	set, err := rules.Compile([]rules.Document{{Source: "inline", Object: decode(`
apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: replicas}
spec:
  match: {resources: [{group: apps, kind: Deployment}]}
  actions:
  - set: {path: "$.spec.replicas", value: "int(properties.replicas)"}
`)}})
	if err != nil {
		panic(err)
	}
	// The standard pipeline: generic, kind and CustomTransform removals once per object,
	// then KubeStellar template expansion and the rules once per (object, WEC) pair.
	pipeline, _, err := kubestellar.NewPipeline(kubestellar.Options{PerWEC: []transform.Stage{
		templates.NewExpander(templates.Limits{}).Stage(),
		set.Stage(),
	}})
	if err != nil {
		panic(err)
	}
	wec, err := customization.New("edge-east-1", map[string]string{"region": "us-east"}, nil,
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "edge-east-1"}, Data: map[string]string{"replicas": "3"}})
	if err != nil {
		panic(err)
	}
	deployment := &unstructured.Unstructured{Object: decode(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  uid: 5c1f2a9e
  annotations: {control.kubestellar.io/expand-templates: "true"}
spec:
  replicas: 1
  template:
    spec:
      containers: [{name: app, image: "web:1.0", env: [{name: REGION, value: "{{ .region }}"}]}]
`)}
	ctx := context.Background()
	prepared := pipeline.Prepare(ctx, deployment) // once per object
	res := pipeline.Render(ctx, prepared, wec)    // once per (object, WEC); never edits its inputs
	if res.Err != nil {
		panic(res.Err) // a *transform.RenderError naming the WEC, object, rule and path
	}
	for _, c := range res.Changes() {
		fmt.Printf("%s  %s  %v -> %v\n", c.Path, c.By, c.Old, c.New)
	}
	fmt.Println("read properties:", res.Deps.Properties)
	// README:end

	// Output:
	// .metadata.uid  generic  5c1f2a9e -> <nil>
	// .spec.template.spec.containers[0].env[0].value  templates  {{ .region }} -> us-east
	// .spec.replicas  rule replicas: spec.actions[0]  1 -> 3
	// read properties: [region replicas]
}
