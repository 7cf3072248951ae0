// krm-function is wecforge as a KRM function: it reads a ResourceList on stdin, renders its
// workload items for one WEC exactly as the engine renders them for that WEC in a KubeStellar
// deployment, and writes the ResourceList back on stdout. kustomize runs it as an exec
// transformer (`kustomize build --enable-alpha-plugins --enable-exec`); kpt and other
// orchestrators that follow the KRM functions specification run it the same way. It is built
// on kyaml's function framework.
//
// # functionConfig
//
//	apiVersion: fn.wecforge.io/v1alpha1
//	kind: WECVariant
//	metadata: {name: edge-1}
//	spec:
//	  wec: edge-1            # required: the WEC to render for
//	  labels: {}             # optional: the WEC's labels
//	  annotations: {}        # optional: the WEC's annotations
//	  properties: {}         # optional: its properties ConfigMap's data
//
// When spec gives labels, annotations or properties (any of them non-empty), the functionConfig
// describes the WEC itself; a ManagedCluster of the same name among the items is then an error,
// and so is a properties ConfigMap of that name when spec.properties is given. Otherwise
// spec.wec names a ManagedCluster among the items, whose labels and annotations are the WEC's
// and whose properties come from the ConfigMap named after it in namespace
// customization-properties among the items. When the items hold no ManagedCluster at all, the
// WEC is just its name (plus that ConfigMap, if present). Unknown spec fields, values that are
// not strings, invalid label keys or values and property keys that are not Go identifiers are
// errors naming the field.
//
// # Items
//
// Items are sorted by kind, as the preview tool sorts its inputs:
//
//   - ManagedCluster (cluster.open-cluster-management.io) → the WEC inventory.
//   - ConfigMap in namespace customization-properties → the properties of the WEC it is named
//     after; one naming no WEC is an error.
//   - CustomTransform, BindingPolicy, Binding (control.kubestellar.io) and CustomizationRule
//     (wecforge.io) → configuration.
//   - anything else → a workload. A CustomResourceDefinition is a workload and also teaches the
//     kind → resource mapping its kind.
//
// Configuration items are consumed: they are not in the output. A configuration kind with
// another API group is an error rather than a workload. The configuration is compiled by
// package engine, the project's one assembly, strictly: any invalid configuration item fails
// the run.
//
// # Output
//
// With BindingPolicies or Bindings among the items, the output holds exactly the workloads
// they bind to the WEC (judged on the whole inventory); without any, every workload, and an
// info result says so. Each is rendered as the WEC receives it: WEC-independent removals,
// KubeStellar template expansion, then the CustomizationRules. Items keep their input order and
// their kustomize/kpt bookkeeping annotations; fields are written in the conventional order and
// comments are not kept.
//
// # Results and exit status
//
// A workload that fails for the WEC is left out and reported as a result with severity error
// naming the object (resourceRef, and file when known), the field (field.path) and the cause
// (message); the other workloads are still output. Warnings of the compilers, of placement and
// of rendering are results with severity warning. Every error and warning is also written to
// stderr, one line each, which kustomize shows when the function fails.
//
// A malformed ResourceList (not YAML, not a single ResourceList document, an item that is not an
// object, more than 256 MiB), a functionConfig that names no WEC or is invalid, and invalid
// configuration items each make the output an empty list of items with an error result. The exit
// status is 1 when any result is an error (kustomize then fails the build), 0 otherwise.
package main
