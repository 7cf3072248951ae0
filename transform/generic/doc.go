// Package generic implements the removals that apply to every object before it is sent to a
// WEC (docs/behaviour.md#generic-removals): server-populated metadata, the kubectl
// last-applied annotation and the top-level status.
//
// # What is removed
//
// metadata.managedFields, metadata.finalizers, metadata.generation, metadata.ownerReferences,
// metadata.selfLink, metadata.resourceVersion, metadata.uid, metadata.generateName, the
// annotation kubectl.kubernetes.io/last-applied-configuration and top-level status. Everything
// else stays, metadata.creationTimestamp included.
//
// # Empty maps
//
// Deviation from KubeStellar: when a removal leaves metadata.annotations (or metadata.labels)
// empty, the map itself is removed instead of being left as {}. A map that was already empty
// in the input is left alone: only this stage's own removals trigger the clean-up.
// [RemoveEntry] offers the same rule to other stages.
//
// # Concurrency
//
// The transform returned by [New] holds no state and is safe for concurrent use. It edits the
// [transform.Object] it is given (which is copy-on-write, so the caller's input never changes)
// and records every removal in the object's trace.
package generic
