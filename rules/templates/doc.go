// Package templates is wecforge's Go text/template engine: KubeStellar's template expansion
// (docs/behaviour.md#template-expansion) as a per-WEC pipeline stage, and the shared template
// type that the CustomizationRule language (docs/rules.md) uses for template fields, image
// fields and label/annotation values.
//
// # Semantics
//
// A template is Go text/template source executed with option missingkey=error over a WEC's
// properties ([customization.WEC.Properties]: the properties ConfigMap's data, then its
// binaryData, then the ManagedCluster's annotations, then its labels, then the built-in
// clusterName, highest precedence first; only keys that are Go identifiers). Properties are
// strings, so {{ .region }} on a WEC without that property is an error
// ([*MissingPropertyError]: `property "region" is not defined for this WEC`), while
// {{ index . "location-group" }} yields "" (index returns the zero value of a map's element).
// A string without "{{" is never parsed and expands to itself.
//
// # Expansion
//
// [Expander] is the stage: an object opts in with the annotation
// control.kubestellar.io/expand-templates: "true". [Expander.Prepare] runs once per object:
// it walks every string leaf (map keys and non-string values are left alone) and parses each
// distinct template string once. The bound transform it returns runs once per WEC: each
// distinct template executes once, and only leaves whose output differs from their text are
// written (through [transform.Object.SetAt], so untouched subtrees stay shared).
//
// # Errors
//
// Parse errors are [*ParseError]s; execution errors are [*ExecError]s with the line, column
// and action that failed. The stage wraps them in a [*transform.RenderError] with By
// "templates" and the leaf's field path (.spec.template.spec.containers[0].env[1].value); the
// pipeline adds the WEC and the object. The first failing leaf in document order (map keys in
// byte order, list items by index) is the error; further failing leaves of the same pair are
// reported as warnings. Each (object, WEC) pair fails or renders independently.
//
// # Limits
//
// text/template has no step limit of its own, and a template such as
// {{ range 1000000000 }}{{ $.big }}{{ end }} would otherwise produce gigabytes (a known DoS
// against KubeStellar). [Limits] bounds three things, each with a [*LimitError] naming the
// limit when exceeded: the output of one string (MaxStringBytes, 64 KiB), the total output of
// one object for one WEC (MaxObjectBytes, 1 MiB), and execution steps (MaxSteps, 100,000 per
// object and WEC, or per [Template.Execute]). Every output write is a step; every loop
// iteration and every call of a named template costs one step plus the size of its body in
// parse nodes, charged before the body runs, so loops over integers, nested loops and
// recursive templates stop early. The builtin functions that can grow a value (print, printf,
// println, html, js, urlquery) fail when their result exceeds MaxStringBytes, and in templates
// with loops they also cost one step per 64 bytes they produce, so work that writes nothing
// is bounded as well. The context is checked every 256 steps. Templates without loops or
// template calls evaluate each node at most once and run on the shared parsed template;
// the others run on a per-execution clone whose functions are bound to the budget.
//
// # Dependencies
//
// Each template records, by static analysis of its parse tree, which properties it reads:
// .key, $.key and index . "key" add that key; anything that reads the map as a whole (range
// over it, . as a value, a computed index, a named template call) sets AllProperties.
//
// # Concurrency
//
// [Template], [Expander] and the transforms Prepare returns are immutable and safe for
// concurrent use.
package templates
