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
//   - a WEC that stops matching the cluster selector, or disappears, loses its ManifestWorks.
//
// A WEC with a failed pair keeps its previous ManifestWorks (leaving the object out would
// delete it from the WEC); the error is logged and the next change renders again. Delivery
// errors are retried with backoff. Nothing is delivered before the inventory and the source
// have both listed everything, so a restart never deletes works by accident.
//
// # Observability
//
// Progress goes to a logr.Logger. [Controller.History] records, per processed change, how many
// pairs were rendered or skipped and how many ManifestWork writes were made.
package loop
