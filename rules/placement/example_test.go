package placement_test

import (
	"fmt"

	"github.com/wecforge/wecforge/rules/placement"
)

func ExampleEvaluate() {
	policy, err := placement.ParseBindingPolicy(map[string]any{
		"apiVersion": "control.kubestellar.io/v1alpha1",
		"kind":       "BindingPolicy",
		"metadata":   map[string]any{"name": "nginx"},
		"spec": map[string]any{
			"clusterSelectors": []any{map[string]any{"matchLabels": map[string]any{"location-group": "edge"}}},
			"downsync": []any{map[string]any{
				"objectSelectors":            []any{map[string]any{"matchLabels": map[string]any{"app": "nginx"}}},
				"wantSingletonReportedState": true,
			}},
		},
	})
	if err != nil {
		panic(err)
	}
	r, err := placement.Evaluate(placement.Input{
		Policies: []*placement.Policy{policy},
		Clusters: []placement.Cluster{
			{Name: "cluster1", Labels: map[string]string{"location-group": "edge"}},
			{Name: "cluster2", Labels: map[string]string{"location-group": "core"}},
		},
		Objects: []placement.Object{
			{Key: placement.Key{Group: "apps", Resource: "deployments", Namespace: "web", Name: "nginx"}, Labels: map[string]string{"app": "nginx"}},
			{Key: placement.Key{Resource: "configmaps", Namespace: "web", Name: "other"}},
		},
	})
	if err != nil {
		panic(err)
	}
	for _, wec := range r.WECs() {
		for _, p := range r.ForWEC(wec) {
			fmt.Println(wec, "gets", p.Key, "by", p.By[0], "clauses", p.By[0].Clauses)
		}
	}
	fmt.Println("status of the Deployment:", r.Status(0).Decide().Action)
	for _, w := range r.Warnings() {
		fmt.Println("warning:", w.Code)
	}
	// Output:
	// cluster1 gets deployments.apps web/nginx by bindingpolicy/nginx clauses [0]
	// status of the Deployment: Copy
	// warning: ObjectNotSelected
	// warning: NamespaceNotDelivered
}
