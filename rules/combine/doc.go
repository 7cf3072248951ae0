// Package combine turns the statuses that WECs return for one workload object into what
// KubeStellar writes back: the object's own singleton or multi-WEC reported state, and the
// CombinedStatus objects its StatusCollectors describe. It is pure: no I/O, no clients.
//
// # Reported state
//
// [Reported] applies the decision table to an object's status request (the WECs asking for
// singleton state, S, and those asking for multi-WEC state, M, combined across policies by
// package placement): copy one WEC's status, aggregate several (apps Deployments,
// ReplicaSets and DaemonSets only), or clear, with the labels to set and remove and the
// singleton-count error. Namespaces and CRDs are never written.
//
// # StatusCollectors
//
// [ParseCollector] validates and compiles a StatusCollector once, with the CEL environment
// of package rules (same libraries, cost model and per-expression cost limit) and the
// variables KubeStellar defines: obj, returned, inventory and propagation.
// [Collector.Combine] evaluates it over an object's destination WECs into a [Result] in the
// JSON shape of KubeStellar's NamedStatusCombination. Select rows are sorted by WEC name,
// aggregation rows by their groupBy values; then the first limit rows are kept.
//
// # Incremental use
//
// A [Combiner] holds many objects and updates them as returned statuses arrive: one WEC's
// change re-evaluates that WEC's rows only and reports which outputs changed ([Changes]).
//
// The behaviour, and where it deliberately differs from KubeStellar, is described in
// docs/status.md.
package combine
