// Package loop is the transport loop of examples/transport: it keeps OCM ManifestWorks on a
// hub current for every target WEC, re-rendering only what a change can affect.
//
// # What it does
//
// A [Controller] watches the hub's live inventory (ManagedClusters and their
// customization-properties ConfigMaps, through registry.Inventory) and a [Source] of workload
// objects (files with [Static], a namespace of a source API server with [Cluster]). It keeps
// every (object, WEC) pair rendered with a transform/fleet Renderer and writes each target
// WEC's objects as ManifestWorks through registry/delivery:
//
//   - an object change renders that object for every target WEC;
//   - a WEC change (labels, annotations, properties ConfigMap) renders again only the pairs
//     whose dependency report reads a changed key;
//   - a WEC is delivered only when one of its results changed, and delivery writes only the
//     ManifestWorks whose content changed;
//   - a WEC that stops matching the cluster selector, or disappears, loses its ManifestWorks
//     once that has lasted [Config.RelabelGrace]; a WEC back within it keeps them untouched.
//
// # Placement modes
//
// [Config.Placement] chooses who decides which objects each WEC receives: [PlacementSelector]
// (every object to every WEC matching [Config.Clusters]), [PlacementPolicies] (the loop resolves
// KubeStellar BindingPolicies, from [Config.PlacementDocuments] and the source) or
// [PlacementBindings] (it reads KubeStellar's Bindings). The mode never switches by what
// exists: without any policy nothing is delivered. Only placed pairs are rendered; a placement
// change renders exactly the pairs it adds and removes the ones it drops at once (an observed
// cause). [Discovered] is the source of those modes: it watches, across namespaces, every
// resource some placement document can select (found through discovery), plus Namespaces,
// starting and stopping informers as documents and CRDs change.
//
// # Live configuration
//
// With [Config.LiveConfig] the CustomTransforms and CustomizationRules among the source's
// objects ([Discovered.WatchConfiguration]) are compiled with [Config.ConfigDocuments] on every
// source change; only changed rules are compiled again and only the objects a change can affect
// are rendered again. Each live document's status says whether it applies
// ([Controller.ConfigErrors]).
//
// # Status return
//
// With [Config.Status] (a status loop, package examples/transport/statusloop) in the policies
// and bindings modes, every placement is handed over: each object's singleton / multi-WEC
// status request and the policies naming StatusCollectors. Deliveries carry the status loop's
// feedback requests, a WEC whose requests changed is delivered again, and
// [Controller.Redeliver] re-delivers a WEC whose agent could not return a status whole. The
// status the loop writes back renders nothing (see below).
//
// # Deleting only with a cause
//
// Removing an object from a WEC's ManifestWorks deletes it from the WEC, so the loop removes
// only with a cause. An object deleted from the source (it vanished between two successful
// reads: a [Source] must return an error rather than a partial list) is removed at once. A
// selector edit ([Controller.SetClusters]) removes the works of the WECs it drops at once. A
// relabel is believed after [Config.RelabelGrace]. Any other shrink that registry/delivery
// refuses as much smaller (an empty or much smaller list after a restart, say) keeps the
// objects and is confirmed only once it has persisted for [Config.ShrinkConfirmAfter]. On
// start the loop sweeps the hub for ManifestWorks of its source key in WECs that are no longer
// targets and removes them after the grace, so a WEC relabelled while the loop was down is not
// left with orphaned works.
//
// One object failing to render for a WEC never holds back the WEC: every other object is
// delivered, and the failing one keeps its last good version — the renderer's, or after a
// restart the one its current ManifestWork holds (read through [Config.Work]) — until it
// renders again. The failures are in [Controller.Errors], the log and the metrics. A source
// update that changes only what the WEC-independent stages remove (status, resourceVersion,
// managedFields) renders nothing. Delivery
// errors (a hub timing out mid-move, a WEC namespace missing) are retried with backoff.
// Nothing is delivered before the inventory and the source have both listed everything.
// Deliveries run for [Config.Workers] WECs at a time; the writes of one WEC never overlap, so
// registry/delivery's moves keep every object applied.
//
// # Several replicas
//
// With [Config.Ownership] (a registry/sharding Sharder) several replicas share the fleet. Each
// evaluates placement over every target WEC but renders, delivers — and deletes the works of —
// only the WECs it owns; a WEC it does not own is skipped, never treated as dropped, however
// long that lasts. Gaining a WEC renders its pairs once; losing one forgets them. The
// Deliverer is fenced by the same owner (delivery.Fencer), so a replica that lost a WEC, even
// in the middle of a delivery, writes nothing more to it; a fenced delivery is logged with its
// reason and tried again only after the next ownership change. Gaining a WEC delivers it at
// once, which stamps the new owner's epoch on its works in place. Only the leader writes the
// placement and configuration documents' status; gaining leadership rewrites what differs.
//
// # Observability
//
// Progress goes to a logr.Logger. [Controller.History] records, per processed change, how many
// pairs were rendered or skipped and how many ManifestWork writes were made. [Config.Metrics]
// adds Prometheus counters and histograms of the same, in a registry of their own, and names the
// workqueue [QueueName] in client-go's workqueue series.
package loop
