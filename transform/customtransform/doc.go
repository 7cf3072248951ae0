// Package customtransform compiles KubeStellar CustomTransform objects
// (control.kubestellar.io/v1alpha1, cluster-scoped) into one WEC-independent stage that removes
// the fields they name (docs/behaviour.md#customtransform; paths: docs/rules.md#paths).
//
// # The objects
//
// A CustomTransform has spec.apiGroup ("" or absent = the core group), spec.resource (the
// lowercase plural resource, `deployments`) and spec.remove, a list of JSONPath queries in the
// subset of package jsonpath. It applies to every object whose API group and resource match;
// the version is ignored. Objects carry kinds, not resources: the stage maps each object's
// group and kind through a [resources.Mapper].
//
// # Compiling: the stage and its problems
//
// [New] compiles everything once. It always returns a usable *[Stage], together with an error
// that joins every problem it found (nil when there is none). Each problem is an *[Error]
// naming the CustomTransform and the field, for example
//
//	customtransform strip-ips: spec.remove[2]: invalid JSONPath "$.spec[" at position 6: unclosed [
//
// An invalid entry of spec.remove is left out and the valid entries of the same
// CustomTransform still apply. A CustomTransform that is unusable as a whole (wrong kind, no
// name, no spec.resource, a repeated name) is left out entirely. A strict caller treats any
// error as fatal; a lenient one uses the stage and reports the error.
//
// [Stage.Warnings] lists, in a deterministic order, what is legal but suspicious: several
// CustomTransforms for one group and resource (all apply, in name order, and each gets a
// warning naming the others), a resource no known kind maps to, an empty spec.remove.
//
// # Matching and unknown kinds
//
// An object whose API group no CustomTransform targets is passed through without a lookup:
// no CustomTransform could concern it, whatever its kind. When some CustomTransform targets
// the object's group, the kind must be known to the mapper; otherwise the object fails with an
// error wrapping *[resources.UnknownKindError] — never a silent skip, since the unknown kind
// might be exactly the resource a CustomTransform names. The pipeline reports it as
//
//	Gadget.example.com shop/g: customtransform: cannot tell whether customtransform widgets applies: unknown kind "Gadget" in API group "example.com": …
//
// Add the kind's CustomResourceDefinition or an explicit mapping to the mapper to fix it.
//
// A query that matches nothing is a silent no-op. Each removal is recorded in the object's
// trace with the author `customtransform NAME: spec.remove[i]`.
//
// # Concurrency
//
// A Stage is immutable and safe for concurrent use; [Stage.Transform] compiles nothing.
package customtransform
