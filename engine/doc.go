// Package engine is the one place that turns wecforge's configuration into a working engine:
// CustomTransforms, CustomizationRules, BindingPolicies, Bindings, CustomResourceDefinitions
// and a kind→resource mapper become the standard pipeline (always with KubeStellar template
// expansion) plus placement. The preview tool, the transport controller, the benchmarks and the
// README sample all assemble through it, so they cannot drift apart.
//
// # Compiling
//
// [Compile] takes [Document] values in any order. Every valid document is compiled; each
// invalid one is reported as a *[DocumentError] naming the caller's source for it (`file#3
// (line 12)`) and left out — for a CustomTransform, each invalid spec.remove entry is left out
// and its valid entries still apply. The engine is returned either way, so a controller can
// keep serving; a strict caller (the preview tool exits 2) treats any error as fatal.
//
// Kinds map to resources through, in order of precedence, the caller's [Mappings] (for
// example [Discovery] over an API server's discovery data), the CustomResourceDefinitions among
// the documents, and the built-in table of common kinds.
//
// # Objects
//
// [Engine.Resolve] checks workload objects before rendering: an object without apiVersion and
// kind is accepted only with the type its caller supplies ([Object.Type]); otherwise it is an
// error that says so ([ErrNoTypeMeta]), because rules that match by kind would silently skip
// it. Repeated objects are reported ([ErrDuplicate]). A caller that knows an object's resource
// (KubeStellar does, from its Binding) passes it in [Object.Resource].
//
// # Rendering and placement
//
// [Engine.Pipeline] renders: Prepare once per object, Render once per (object, WEC).
// [Engine.Place] decides which objects each WEC receives: exactly what the BindingPolicies and
// Bindings bind (package rules/placement), or, without any, every object on every WEC
// ([Placement.Everywhere]).
//
// # Concurrency
//
// An Engine and a Placement are immutable and safe for concurrent use.
package engine
