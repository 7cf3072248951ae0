// Package statusloop is the status half of examples/transport: it brings the status each WEC
// returns for a delivered object home into the workload description space (WDS).
//
// # What it does
//
// A [Controller] watches the hub's ManifestWorks (registry/returned's informer, whose cache
// drops the works' manifests) and reads, per (source object, WEC), the status the work agent
// returned. The transport tells it, through [PlacementSink], each object's placement: the
// object, its singleton / multi-WEC status request and the policies delivering it with their
// WECs and StatusCollectors. The controller keeps a rules/combine Combiner fed incrementally —
// one WEC's new status re-evaluates only the collector rows of that WEC and the object's own
// status only when the decision table reads that WEC — and writes what changed through
// examples/transport/statusback:
//
//   - the object's `.status`: one WEC's copy (label managed-by.kubestellar.io/singletonstatus)
//     or the aggregate (managed-by.kubestellar.io/multiwecstatus), or `{}` with the labels
//     removed when nothing is asked any more;
//   - one CombinedStatus per (object, policy naming a StatusCollector), with KubeStellar's
//     name, namespace, owner reference and labels, deleted when the policy stops naming one
//     or the object is forgotten;
//   - StatusCollector errors ([Controller.SetCollectors]).
//
// Singleton-count errors (singleton state asked, but not exactly one WEC qualifies) are
// exposed ([Controller.SingletonErrors], [Options.OnSingletonError]); the transport loop writes
// them into the asking policies' status.errors from placement alone.
//
// # Writing only what changed
//
// The controller writes only outputs the Combiner reports changed, and the writer skips any
// write whose content the WDS already holds, so an idle loop makes no writes ([Stats] counts
// the writes that changed an object). A placement handed over again unchanged apart from the
// object's resourceVersion and managedFields recomputes nothing. The transport in turn
// ignores status-only updates of its source objects, so writing status back renders nothing.
//
// # Status too large for one value
//
// OCM's work agent returns at most 1,024 bytes per value. When a WEC reports an object's
// whole status too large, the controller calls [Options.Redeliver] once; the transport
// delivers the object to that WEC again with the request [Controller.StatusRequest] returns,
// which names the fields of the last status read, and registry/delivery then asks for each
// top-level field separately. See docs/returned-state.md.
//
// # Several replicas
//
// With [Options.Leadership] every replica runs a status loop that reads every WEC's feedback
// and keeps the combined state, but only the leader writes to the WDS; it asks right before
// each write, so losing leadership stops the writes at once. Gaining leadership queues every
// output again, and the writer skips what the WDS already holds.
//
// # Concurrency
//
// All methods are safe for concurrent use. Writes go through a rate-limited work queue; a
// write that keeps failing is retried a bounded number of times and then waits for the next
// change of what it writes.
package statusloop
