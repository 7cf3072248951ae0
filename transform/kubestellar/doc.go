// Package kubestellar assembles the standard wecforge pipeline: KubeStellar's
// WEC-independent stages followed by the caller's per-WEC stages
// (docs/behaviour.md#pipeline-order).
//
// # Order
//
//  1. [generic.StageName]: generic removals (every object);
//  2. [kinds.StageName]: Service and Job removals (exact apiVersion and kind);
//  3. [customtransform.StageName]: CustomTransform removals (API group and resource);
//  4. the caller's per-WEC stages, in the order given (template expansion, then rules).
//
// Template expansion lives above this package; a pipeline built without a per-WEC stage named
// [ExpanderStageName] gets a WEC-independent guard instead, and every object that asks for
// expansion fails with [ErrNoExpander] rather than reaching WECs with its templates unexpanded.
// The engine package is the one assembly that always includes expansion.
//
// Stages 1–3 run once per object in [transform.Pipeline.Prepare]; stage 4 once per (object,
// WEC) pair in [transform.Pipeline.Render].
//
// # Problems and warnings
//
// [NewPipeline] returns a pipeline, a [Report] of warnings, and an error:
//   - pipeline nil, error set: the options themselves are wrong (a per-WEC stage without a
//     name or a transform); nothing was built.
//   - pipeline set, error set: some CustomTransforms or entries are invalid; the error joins
//     one *customtransform.Error per problem and the pipeline applies every valid entry. Strict
//     callers (the preview tool exits 2) treat this as fatal; lenient callers (a controller that
//     must keep serving) use the pipeline and surface the error.
//   - pipeline set, error nil: everything compiled.
//
// The Report's warnings (several CustomTransforms for one resource, …) never stop anything.
//
// # Concurrency
//
// The pipeline is immutable and safe for concurrent use.
package kubestellar
