// Package kinds implements the kind-specific removals (docs/behaviour.md#kind-specific-removals):
// fields of a Service and of a Job that the source cluster allocated and that a WEC must
// allocate for itself.
//
// # Matching
//
// Each transform applies to exactly one apiVersion and kind: [Service] to `v1 Service` (a
// Knative `serving.knative.dev/v1 Service` is untouched) and [Job] to `batch/v1 Job` (an
// `apps/v1 Deployment` or a `batch/v1beta1 Job` is untouched). [New] runs both.
//
// # Service
//
// Always removes spec.ipFamilies, spec.ipFamilyPolicy, spec.externalTrafficPolicy,
// spec.internalTrafficPolicy and spec.sessionAffinity. Removes spec.clusterIP unless it is
// exactly "None" (a headless Service stays headless); keeps only the "None" entries of
// spec.clusterIPs and drops the field when none remain. Removes nodePort from every entry of
// spec.ports.
//
// The annotation control.kubestellar.io/preserve keeps some of these: it is a comma-separated,
// case-insensitive list of `nodeport` (keep every nodePort) and `clusterip` (keep clusterIP and
// clusterIPs as they are). KubeStellar accepts exactly `nodeport`; the list is a wecforge
// deviation. Unknown entries are ignored with a warning.
//
// # Job
//
// Removes spec.selector, spec.suspend, the annotation batch.kubernetes.io/job-tracking, and the
// labels controller-uid and batch.kubernetes.io/controller-uid from metadata.labels and
// spec.template.metadata.labels. The job-name labels stay. As in package generic, a labels or
// annotations map left empty by a removal is removed.
//
// # Errors
//
// A field this package must interpret that has the wrong shape (spec.clusterIPs or spec.ports
// not a list) is a *[transform.PathError] naming the field; the object then fails rather than
// reaching a WEC half-cleaned.
//
// # Concurrency
//
// The transforms hold no state and are safe for concurrent use.
package kinds
