// Package rules compiles CustomizationRule documents (apiVersion wecforge.io/v1alpha1) into an
// immutable [Set] and applies it per (object, WEC) pair as the per-WEC pipeline stage "rules".
// The language reference for rule authors is docs/rules.md in the repository.
//
// # Documents
//
// A rule is a cluster-scoped Kubernetes-style document:
//
//	apiVersion: wecforge.io/v1alpha1
//	kind: CustomizationRule
//	metadata: {name: edge-replicas}
//	spec:
//	  priority: 0      # lower applies first; equal priorities in ascending metadata.name
//	  onError: Fail    # or Ignore
//	  match:           # which objects; every given field must hold
//	    resources: [{group: apps, kind: Deployment}]   # group "" = core, "*" = any; kind "*" = any
//	    namespaces: [team-a]
//	    names: [web]
//	    labelSelector: {matchLabels: {app: web}}
//	    condition: "object.spec.replicas > 1"
//	  clusters:        # which WECs; every given field must hold
//	    names: [wec1]
//	    labelSelector: {matchLabels: {location-group: edge}}
//	    exclude: [wec9]
//	    condition: "cluster.labels['gpu'] == 'true'"
//	  variables:
//	  - {name: replicas, expression: "int(properties.replicas)"}
//	  actions:
//	  - set: {path: "$.spec.replicas", value: "variables.replicas"}
//
// Decoding is strict: unknown fields, wrong types, missing names and empty action lists are
// errors. [Compile] reports every problem of every document at once, each a [*CompileError]
// naming the source, the rule, the field (`spec.actions[2].set.value`) and, for expressions,
// the line and column (paths and pointers give their byte offset in the message).
//
// # Actions
//
// Actions apply in order: set (a JSONPath and a CEL value or a template string; missing map
// members are created, a list selector that matches nothing is a no-op noted in the trace),
// remove, jsonPatch (RFC 6902: add, remove, replace, move, copy, test; value or
// valueExpression), mergePatch (RFC 7386), image (registry, repository, tag and digest of the
// selected containers' images, by the Docker reference rules of package
// [github.com/wecforge/wecforge/rules/imageref]), labels and annotations (add or replace with
// template values, remove) and replicas (a CEL int or a literal). Patches are decoded at
// compile time and applied by package [github.com/wecforge/wecforge/transform/patch] directly
// on the object tree, never through a JSON round trip.
//
// # Expressions
//
// CEL expressions see `object` (the object as it stood when the rule began), `cluster`
// (name, labels, annotations, configMap: the raw properties ConfigMap data), `properties` (the
// merged property map templates see) and `variables.<name>` (the variables defined before,
// each evaluated at most once per pair and only when used). match.condition sees only object;
// clusters.condition sees object, cluster and properties. The environment offers the cel-go
// extensions Kubernetes users know (strings, lists, sets, math, encoders, two-variable
// comprehensions, optionals) and Kubernetes' own library (quantity, IP, CIDR, URL, regex,
// lists, format, semver). Results convert to JSON values: int → integer, double, string, bool,
// list, map, null; bytes to base64, timestamps to RFC 3339, durations to Go duration strings.
// Result types are checked at compile time where the type is known (a condition must be bool,
// replicas an int) and at run time otherwise.
//
// Each pair has one CEL cost budget ([CostLimit], [DefaultCostLimit]) shared by all its
// expressions and drawn from the render's [transform.Budget], and one evaluation of one
// expression may cost at most [MaxExpressionCost]; exceeding either ([*CostError]), or the
// render's context ending, fails the pair. Results are charged to the render's byte budget
// as they are converted; paths deeper than [MaxPathDepth] and patch copies into their own
// subtree are compile errors (docs/limits.md in the repository lists every limit). An expression
// whose worst-case cost is known at compile time and small (no loops, no size-dependent
// functions: `int(properties.replicas)`, `cluster.labels['tier'] == 'gold'`) runs without
// runtime cost tracking and is charged that worst case; every other expression is tracked
// and charged what it actually cost.
//
// # Evaluation
//
// [Set.Stage] returns the per-WEC stage. Per object it selects the rules whose resources,
// namespaces and names match (the object's identity as the WEC-independent stages left it;
// an object without a namespace matches no namespaces list); per pair it checks the label
// selector and condition against the object as it stands, then the clusters selector, then
// applies the actions. A failure with onError Fail fails the pair with a
// [transform.RenderError] naming the rule and field (`rule r: spec.actions[0].set.value`); the
// pair's trace shows what was done up to the failure. With onError Ignore the rule is
// skipped for that pair with a warning and its writes are rolled back: such rules (and rules
// whose variables or later actions read `object`, which must keep showing the object as the
// rule began) write to a fork of the object that is adopted only when every action
// succeeded. Other pairs never notice a failure.
//
// # Explain and dependencies
//
// Every write is traced under `rule NAME: spec.actions[i]`. What a pair read of the WEC is
// recorded in the render's Dependencies: property keys, labels and annotations read by CEL
// with constant keys (found by static analysis of the checked expressions; anything else
// counts as reading the whole map), label selector keys, and what templates read.
//
// # Conflicts
//
// Two rules of equal priority whose static matches overlap and that may write the same field
// (or a field and its parent) produce a warning in [Set.Warnings]; the rule whose name sorts
// last wins.
//
// # Concurrency
//
// A [Set] and its stage are immutable and safe for concurrent use; all per-pair state lives in
// the render.
package rules
