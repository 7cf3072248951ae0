// Package returned reads the status each WEC returns for the objects delivered to it: per
// (source object, WEC), the object's `.status` as the WEC last reported it, when this reader
// first observed that value, and whether the WEC has reported at all.
//
// # Where the status comes from
//
// Package delivery asks OCM's work agent for the `.status` of every object delivered with a
// [delivery.StatusRequest], through JSONPaths feedback rules in the ManifestWork's
// manifestConfigs: one rule for the whole `.status`, or, once the agent reported that value too
// large, one rule per top-level field. The agent returns objects and lists only with its
// feature gate RawFeedbackJsonString on (alpha, off by default), and never a value over 1,024
// bytes. This package reads the ManifestWorks' status back: it decodes the whole value, or
// reassembles the fields, and reports under the source object's identity — the one recorded
// at delivery (rules may rename an object per WEC), else the delivered object's own. A field
// that alone exceeds the agent's limit is a [*TooLargeError] (wrapping [ErrStatusTooLarge]) for
// that (object, WEC), with the other fields still returned.
//
// # Observation time
//
// [Returned.LastUpdated] is an observation time, not the time the WEC changed the object: the
// time this [Reader] first saw the current value. The first time a Reader sees an (object,
// WEC) — for example after the process restarted — it takes instead the time of the
// ManifestWork's newest managedFields entry for the status subresource (when the agent last
// wrote the work's status), so a restart does not make every status look new.
//
// # Informer form
//
// A controller watching ManifestWorks keeps every object it delivered twice in memory: in the
// WDS and inside the works' spec.workload. [NewInformer] returns an informer over the
// ManifestWorks written by package delivery whose cache transform ([StripWorkload]) drops
// spec.workload and every managedFields entry but the status ones; everything this package
// reads (annotations, manifestConfigs, status) is kept. [Reader.ReadStore] reads its store.
package returned
