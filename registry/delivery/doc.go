// Package delivery writes one WEC's rendered objects to an OCM hub as ManifestWorks in that
// WEC's namespace, the way KubeStellar's transport does, through OCM's typed work clientset
// (open-cluster-management.io/api/client/work/clientset/versioned).
//
// # Naming and order
//
// A caller delivers a set of objects under a source key (for example "bindingpolicy/web" or
// "ns/prod"). The ManifestWorks of one (WEC, source key) pair are named
// <prefix>-<slug>-<hash>-<part>, where slug is a readable, DNS-safe form of the key, hash is a
// short hash of the whole key (so two keys with the same slug never collide), and part counts
// from 0. Objects are sorted — Namespaces first, then CustomResourceDefinitions, then the rest,
// each by group, kind, namespace and name — before they are packed, so the
// same input always yields the same ManifestWorks, byte for byte. Every ManifestWork carries the
// label [SourceLabel] (the key's hash) and the annotations [SourceKeyAnnotation] and
// [ContentHashAnnotation].
//
// # Splitting
//
// OCM refuses a ManifestWork whose manifests exceed 500 KiB. [Plan] packs the sorted objects
// greedily into parts whose encoded manifests and manifest configs stay under
// [Options.MaxBytes] ([DefaultMaxBytes] unless set). One object larger than the limit on its own
// is an error ([ErrTooLarge]) that names it; nothing is written then.
//
// # Create-only objects
//
// An [Object] with CreateOnly set gets a manifestConfigs entry with OCM's CreateOnly update
// strategy in the ManifestWork that carries it: the work agent creates it on the WEC and never
// updates it afterwards.
//
// # Reconcile
//
// [Deliverer.Apply] lists the pair's existing ManifestWorks, creates the missing parts, updates
// a part only when its content hash changed (a render that changes nothing writes nothing),
// and deletes parts that no longer hold objects — after every create and update, so an object
// moving between parts is never absent from all of them. Updates re-read and retry on
// conflicts. Delivering no objects deletes every ManifestWork of the pair ([Deliverer.Delete]).
// The content hash is computed from what this package writes, so a hand edit of a
// ManifestWork's spec is not detected until the rendered content changes.
//
// # Status
//
// [Deliverer.Status] reads the pair's ManifestWorks back and reports, per ManifestWork, the
// Applied and Available conditions the work agent set, and names every object whose own
// Applied or Available condition is False, with the agent's reason and message.
package delivery
