// Package placement decides which workload objects each WEC receives, from KubeStellar's
// BindingPolicies and Bindings. It is pure: no I/O, no clients; the caller hands in compiled
// documents, the WECs with their labels, and the objects with their resources and labels.
//
// # Documents
//
// [ParseBindingPolicy] and [ParseBinding] compile control.kubestellar.io/v1alpha1 documents
// given as unstructured maps. Decoding is strict (a misspelled field is an error, not a wider
// selection) and every problem is a typed *[Error] naming the document and field; a document
// with an error is left out as a whole.
//
// # Selection
//
// A BindingPolicy selects WECs with spec.clusterSelectors: label selectors over the WEC's
// labels, ORed (no selector selects no WEC; an empty selector {} selects every WEC). It selects
// objects with spec.downsync: clauses, ORed, whose fields are ANDed — apiGroup (absent = any,
// "" = core), resources, namespaces, objectNames (each "*" = any; an empty list is no
// constraint; a namespaces list without "*" never selects a cluster-scoped object),
// namespaceSelectors (over the labels of the object's Namespace; a cluster-scoped object passes
// only an empty selector) and objectSelectors (over the object's labels). The clauses selecting
// an object are merged: flags ORed, status collectors unioned.
//
// A Binding lists objects by group, resource, namespace and name (version and resourceVersion
// are ignored) and WECs by name. A Binding named like a BindingPolicy among the inputs is that
// policy's resolved form and is ignored in its favour, with a notice.
//
// Objects of some kinds are never delivered, whatever selects them ([NeverDelivered]):
// KubeStellar's control objects, per-cluster kinds such as events, nodes and leases, and
// wecforge's own CustomizationRules. A namespaced object's Namespace is not added for it.
//
// # Delivery
//
// [Evaluate] keeps the result factorized: per document, the WECs it delivers to and the objects
// it selects. [Result.ForWEC] and [Result.Delivered] derive the per-WEC decisions on demand:
// each object at most once per WEC, listing every document that delivers it there; it is
// create-only when any of them says createOnly (a disagreement is a warning).
// [Result.Status] combines the status requests of an object across documents (the WEC sets S
// and M) and [StatusRequest.Decide] turns them into copy, aggregate or clear.
// [Result.Relabel] re-evaluates, after one WEC's labels change, only the policies whose
// selectors read a changed label.
//
// # Warnings
//
// [Result.Warnings] reports, as typed [Warning] values with a [WarningCode]: namespaced
// objects delivered to WECs where their Namespace is not delivered, objects no document
// selects, documents that select no WEC or no object, resources entries no known kind has,
// createOnly disagreements, Binding destinations that are not known WECs, and repeated
// objects.
//
// # Concurrency
//
// Policies, Bindings and Results are immutable and safe for concurrent use.
package placement
