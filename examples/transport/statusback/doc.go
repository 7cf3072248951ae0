// Package statusback writes returned state back into the workload description space (WDS):
// an object's `.status` (with the labels that say where it came from), CombinedStatus objects,
// and the errors of StatusCollectors. It is the last step of the status path a transport
// runs — delivery's feedback rules bring each WEC's status to the hub, package
// registry/returned reads it per (object, WEC), a combining step decides what each object and
// CombinedStatus should hold, and a [Writer] writes that.
//
// A Writer takes plain inputs — resources, names and JSON-shaped maps — so it depends on no
// particular combining package. Every write is skipped when the WDS already holds the wanted
// content, so an idle status path makes no writes (and triggers no watch event that could
// make a transport render again).
//
// # The object's status
//
// [Writer.WriteStatus] replaces the object's whole `.status`: through the status subresource
// when the resource has one (an update carrying the object's resourceVersion), otherwise with
// a JSON merge patch of the object that also nulls the fields the new status no longer has.
// Labels are set or removed by a merge patch of the object's metadata. Namespaces and
// CustomResourceDefinitions are refused ([ErrRefused]): their status belongs to the WDS's own
// controllers. Conflicts are retried.
//
// # CombinedStatus and StatusCollector
//
// [Writer.ApplyCombinedStatus] creates or updates one CombinedStatus
// (control.kubestellar.io/v1alpha1) with the given name, namespace, owner reference, labels
// and results; [Writer.DeleteCombinedStatus] removes one. [Writer.SetCollectorErrors] writes a
// StatusCollector's `status.errors` and `status.observedGeneration`. The CRDs are in
// examples/transport/crds.
//
// Errors name the resource, namespace, name and action ([*WriteError]) and wrap the API
// server's error, so apierrors.IsNotFound and the like keep working. A Writer is safe for
// concurrent use; concurrent writes of one object are last-writer-wins.
package statusback
