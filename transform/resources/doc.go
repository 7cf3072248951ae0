// Package resources maps object kinds to API resources (GroupKind → GroupResource), the way a
// RESTMapper does, without a cluster: CustomTransforms name a resource (`deployments` in group
// `apps`) while objects carry a kind (`Deployment`).
//
// # Sources
//
// A [Mapper] knows, in order of precedence:
//   - explicit mappings given in [Options.Extra];
//   - the kinds defined by CustomResourceDefinitions found in [Options.Objects]
//     (apiextensions.k8s.io/v1, unstructured; other objects are ignored, so a caller can pass
//     every input it has);
//   - unless [Options.NoBuiltins] is set, a built-in table of the Kubernetes kinds users write
//     (core, apps, batch, networking, rbac, policy, autoscaling, storage, apiextensions,
//     admissionregistration, coordination, discovery, scheduling, certificates, node, events,
//     apiregistration), see [Builtin].
//
// Two sources that map one kind to different resources are a configuration error, as are
// malformed CRDs. A kind no source knows is never guessed: [Mapper.ResourceFor] returns an
// *[UnknownKindError] naming group and kind.
//
// # Concurrency
//
// A Mapper is immutable after construction and safe for concurrent use; a nil *Mapper behaves
// like [Builtin].
package resources
