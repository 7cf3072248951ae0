package main

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// Example runs the function on a ResourceList as kustomize or kpt would hand it over: the
// functionConfig describes the WEC, a rule sets the replicas from its properties, and the rule
// itself is consumed.
func Example() {
	in := `apiVersion: config.kubernetes.io/v1
kind: ResourceList
functionConfig:
  apiVersion: fn.wecforge.io/v1alpha1
  kind: WECVariant
  metadata: {name: edge-1}
  spec:
    wec: edge-1
    labels: {location-group: edge}
    properties: {replicas: "3"}
items:
- apiVersion: wecforge.io/v1alpha1
  kind: CustomizationRule
  metadata: {name: replicas}
  spec:
    match: {resources: [{group: apps, kind: Deployment}]}
    actions: [{replicas: {value: "int(properties.replicas)"}}]
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec: {replicas: 1}
`
	exit := run(context.Background(), strings.NewReader(in), os.Stdout, os.Stdout, maxInput)
	fmt.Println("exit", exit)
	// Output:
	// apiVersion: config.kubernetes.io/v1
	// kind: ResourceList
	// items:
	// - apiVersion: apps/v1
	//   kind: Deployment
	//   metadata:
	//     name: web
	//     namespace: shop
	//   spec:
	//     replicas: 3
	// functionConfig:
	//   apiVersion: fn.wecforge.io/v1alpha1
	//   kind: WECVariant
	//   metadata: {name: edge-1}
	//   spec:
	//     wec: edge-1
	//     labels: {location-group: edge}
	//     properties: {replicas: "3"}
	// results:
	// - message: 'no BindingPolicy or Binding among the inputs: every object goes to every WEC'
	//   severity: info
	// exit 0
}
