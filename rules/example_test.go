package rules_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/transform"
)

const exampleRules = `
apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: edge-replicas}
spec:
  match:
    resources: [{group: apps, kind: Deployment}]
  clusters:
    labelSelector: {matchLabels: {location-group: edge}}
  variables:
  - {name: replicas, expression: "int(properties.replicas)"}
  actions:
  - replicas: {value: "variables.replicas"}
  - image: {containers: [app], registry: "{{ .registry }}"}
`

func mustYAML(text string) map[string]any {
	var m map[string]any
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		panic(err)
	}
	return m
}

// Compile a rule set once, then render one Deployment for three WECs: two edge clusters with
// their own properties, and a core cluster the rule does not select.
func Example() {
	set, err := rules.Compile([]rules.Document{{Source: "rules.yaml#1", Object: mustYAML(exampleRules)}})
	if err != nil {
		fmt.Println(err)
		return
	}
	wec := func(name, group, replicas, registry string) *customization.WEC {
		w, err := customization.New(name, map[string]string{"location-group": group, "replicas": replicas, "registry": registry}, nil, nil)
		if err != nil {
			panic(err)
		}
		return w
	}
	wecs := []*customization.WEC{
		wec("edge-1", "edge", "2", "registry.eu.example"),
		wec("edge-2", "edge", "5", "registry.us.example"),
		wec("core-1", "core", "9", "registry.core.example"),
	}
	deploy := &unstructured.Unstructured{Object: mustYAML(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  template:
    spec:
      containers: [{name: app, image: "nginx:1.25"}]
`)}

	p := transform.NewPipeline(nil, []transform.Stage{set.Stage()})
	for _, r := range p.RenderAll(context.Background(), []*unstructured.Unstructured{deploy}, wecs) {
		replicas, _, _ := unstructured.NestedFieldNoCopy(r.Object.Object, "spec", "replicas")
		containers, _, _ := unstructured.NestedSlice(r.Object.Object, "spec", "template", "spec", "containers")
		fmt.Printf("%s: replicas=%v image=%v\n", r.WEC, replicas, containers[0].(map[string]any)["image"])
		for _, c := range r.Changes() {
			fmt.Printf("  %s by %q: %v -> %v\n", c.Path, c.By, c.Old, c.New)
		}
		fmt.Printf("  reads labels %v, properties %v\n", r.Deps.Labels, r.Deps.Properties)
	}
	// Output:
	// edge-1: replicas=2 image=registry.eu.example/nginx:1.25
	//   .spec.replicas by "rule edge-replicas: spec.actions[0]": 1 -> 2
	//   .spec.template.spec.containers[0].image by "rule edge-replicas: spec.actions[1]": nginx:1.25 -> registry.eu.example/nginx:1.25
	//   reads labels [location-group], properties [registry replicas]
	// edge-2: replicas=5 image=registry.us.example/nginx:1.25
	//   .spec.replicas by "rule edge-replicas: spec.actions[0]": 1 -> 5
	//   .spec.template.spec.containers[0].image by "rule edge-replicas: spec.actions[1]": nginx:1.25 -> registry.us.example/nginx:1.25
	//   reads labels [location-group], properties [registry replicas]
	// core-1: replicas=1 image=nginx:1.25
	//   reads labels [location-group], properties []
}

// Compile reports every problem of every document at once.
func ExampleCompile_errors() {
	_, err := rules.Compile([]rules.Document{{Source: "rules.yaml#1", Object: mustYAML(`
apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: broken}
spec:
  priority: -1
  match: {condition: "object.spec.replicas + 1"}
  actions:
  - set: {path: "$.spec[", value: "1"}
`)}})
	fmt.Println(err)
	// Output:
	// rules.yaml#1: rule broken: spec.priority: must not be negative (lower priorities apply first; 0 is the lowest)
	// rules.yaml#1: rule broken: spec.match.condition: must be a bool expression, but its type is int
	// rules.yaml#1: rule broken: spec.actions[0].set.path: invalid JSONPath "$.spec[" at position 6: unclosed [
}
