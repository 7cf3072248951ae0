// Package fleet keeps the rendered variant of every (object, WEC) pair of a fleet current, and
// re-renders only what a change can affect.
//
// # Incremental rendering
//
// A [Renderer] holds workload objects and WECs. When an object changes, only its pairs are
// rendered again (its WEC-independent stages once). When a WEC changes, the Renderer computes
// the [customization.Delta] from the previous snapshot and re-renders only the pairs whose
// recorded [customization.Dependencies] read a changed key — what a transport controller needs
// to react to label and property edits at fleet scale (docs/behaviour.md#change-propagation).
// A changed object whose prepared form is the same as before (only its status, resourceVersion
// or managedFields changed, which the WEC-independent stages remove) renders nothing.
//
// # Placement and failures
//
// [Renderer.SetPlacement] restricts the pairs to those a [Placed] function accepts (which
// objects a BindingPolicy sends where): only those are rendered and have results. When a pair
// that rendered fails, [Renderer.LastGood] returns its last successful object, so a transport
// can keep delivering it until the pair renders again.
//
// # Concurrency
//
// A Renderer is safe for concurrent use; updates are serialised, and renders within one update
// run in parallel. Results it returns are read-only (they share subtrees with each other).
package fleet
