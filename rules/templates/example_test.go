package templates_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
)

func ExampleParse() {
	wec, _ := customization.New("edge-1", map[string]string{"region": "eu-west", "location-group": "edge"}, nil, nil)
	tmpl, err := templates.Parse(`{{ .clusterName }} in {{ .region }} [{{ index . "location-group" }}]`, templates.Limits{})
	if err != nil {
		panic(err)
	}
	deps := &customization.Dependencies{}
	out, err := tmpl.Execute(context.Background(), wec, deps)
	fmt.Println(out, err, deps.Properties)

	_, err = templates.MustParse("{{ .zone }}", templates.Limits{}).Execute(context.Background(), wec, nil)
	fmt.Println(err)
	// Output:
	// edge-1 in eu-west [] <nil> [clusterName region]
	// template line 1 col 3 in {{.zone}}: property "zone" is not defined for this WEC
}

func ExampleExpander() {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "app", "namespace": "shop",
			"annotations": map[string]any{templates.ExpandAnnotation: "true"}},
		"data": map[string]any{"endpoint": "https://{{ .region }}.example.com", "plain": "as is"},
	}}
	eu, _ := customization.New("eu1", map[string]string{"region": "eu"}, nil, nil)
	bare, _ := customization.New("bare", nil, nil, nil)

	p := transform.NewPipeline(nil, []transform.Stage{templates.NewExpander(templates.Limits{}).Stage()})
	for _, r := range p.RenderAll(context.Background(), []*unstructured.Unstructured{obj}, []*customization.WEC{eu, bare}) {
		if r.Err != nil {
			fmt.Println(r.Err)
			continue
		}
		fmt.Println(r.WEC, r.Object.Object["data"])
	}
	// Output:
	// eu1 map[endpoint:https://eu.example.com plain:as is]
	// wec bare: ConfigMap shop/app: templates: .data.endpoint: template line 1 col 11 in {{.region}}: property "region" is not defined for this WEC
}
