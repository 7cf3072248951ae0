// Package delivery writes one WEC's rendered objects to an OCM hub as ManifestWorks in that
// WEC's namespace, the way KubeStellar's transport does, through OCM's typed work clientset
// (open-cluster-management.io/api/client/work/clientset/versioned).
//
// # Naming
//
// A caller delivers a set of objects under a source key (for example "bindingpolicy/web" or
// "ns/prod"). The ManifestWorks of one (WEC, source key) pair — its parts — are named
// <prefix>-<slug>-<hash>-<part>, where slug is a readable, DNS-safe form of the key, hash is a
// short hash of the whole key (so two keys with the same slug never collide), and part is a
// number from 0. Every ManifestWork carries the label [SourceLabel] (the key's hash) and the
// annotations [SourceKeyAnnotation] and [ContentHashAnnotation]. Within a part, objects are in
// apply order: Namespaces, then CustomResourceDefinitions, then the rest, each by group, kind,
// namespace and name.
//
// # Packing
//
// OCM refuses a ManifestWork whose manifests exceed 500 KiB; parts stay under
// [Options.MaxBytes] ([DefaultMaxBytes] unless set). One object larger than that on its own is
// an error ([ErrTooLarge]) that names it; nothing is written then.
//
// Packing is sticky: [Deliverer.Plan] takes the pair's current ManifestWorks into account. An
// object stays in the part that holds it while it fits there (objects that did not change
// claim their places first, so the one that grew is the one that moves). Objects that must
// move, and new objects, go into the first part with room, or a new part; an object that moves
// never goes into a part that is itself giving an object away. Planned from no current works,
// the same set of objects always gives the same ManifestWorks, byte for byte, whatever its
// order.
//
// # What is guaranteed while objects move
//
// OCM's work agent reconciles each ManifestWork on its own, and deletes an object removed from
// one ManifestWork unless another ManifestWork that has already applied it owns it. So
// [Deliverer.Apply] writes in this order:
//
//  1. every part that gives nothing away (creates and updates), and each giving part with the
//     objects leaving it still in it, with the content they have in their receiving part (when
//     that fits under OCM's limit; otherwise the giving part is left as it was);
//  2. it waits until the work agent reports every receiving part Applied (condition Applied,
//     status True, observedGeneration at least the generation just written), reading them every
//     [Options.MovePollInterval] for at most [Options.MoveTimeout];
//  3. only then the giving parts without the objects that left, and last the deletion of parts
//     that hold nothing any more.
//
// Hence an object that stays wanted is never in no applied part, so the agent never deletes it
// on the WEC. When the wait times out (an agent that is down or slow, a hub that does not
// answer) Apply returns a [*MoveError] wrapping [ErrMoveUnconfirmed]: the moving objects are
// in both parts (with the same content, which the agent applies harmlessly twice), and calling
// Apply again resumes the move. A receiving part deleted by someone else during the wait is a
// [*MoveError] wrapping [ErrWorkDeleted]; the giving part is not touched. Writes within one
// pair are sequential; callers may deliver to different WECs in parallel. Two concurrent Apply
// calls for the same pair are last-writer-wins and void this guarantee: serialise them (with
// [Options.Fencer], calls of different owners are not last-writer-wins: see "Fencing").
//
// # Deleting only with a cause
//
// Removing an object from a pair makes the work agent delete it from the WEC (a Namespace with
// everything in it). Apply therefore refuses a much smaller delivery: one that would remove
// every object the pair delivers, or more than [Options.ShrinkFraction] of them (default
// [DefaultShrinkFraction]: more than half), counting distinct objects by group, kind,
// namespace and name. A refused call keeps those objects with their current content, delivers
// every other change, logs the refusal and returns a [*ShrinkRefusedError] (wrapping
// [ErrShrinkRefused]) that names the WEC, the counts and the objects kept. A caller that knows
// the cause (the source objects were deleted, the policy changed) passes
// [ApplyOptions] with ConfirmShrink; [Deliverer.Delete] is itself the confirmation.
//
// # Failures
//
// A failed API call is a [*WorkError] naming the WEC, the ManifestWork and the action, wrapping
// the API server's error (apierrors.IsNotFound, IsTimeout and the like keep working). A WEC
// namespace that is missing or terminating adds [ErrNoNamespace]. A part deleted by hand is
// written again by the next Apply (and by the current one if it vanished between its list and
// its update). On any error the returned [Report] lists what was written; Apply again
// converges. The content hash is computed from what this package writes, so a hand edit of a
// ManifestWork's spec is not detected until the rendered content changes.
//
// # Load on the hub
//
// An Apply reads the pair's current ManifestWorks once — one list request, or none with
// [Options.Lister] set to a [CachedLister] — and writes each changed part once, at the
// resourceVersion it read: a fleet-wide change costs one update per WEC. A part that changed
// since it was read (a conflict) is read again and the update retried; one deleted since is
// created again. Unchanged parts are not written. Build the work clientset from
// [ClientConfig], which raises client-go's default client-side limit (5 requests per second)
// to [DefaultClientQPS], so that the hub, not the client, bounds a fleet-wide change;
// benchmarks/README.md has the measurements.
//
// # Fencing
//
// Several transport replicas may share a fleet, each owning some WECs (package
// registry/sharding hands out the ownership). [Options.Fencer] makes Apply and Delete safe
// against a replica that lost a WEC without knowing it yet (paused, partitioned, slow). The
// [Fencer] gives this replica's owner name and epoch for a WEC — the epoch grows with every
// change of owner — and every ManifestWork written carries them in [OwnerAnnotation] and
// [EpochAnnotation]. With a Fencer, Apply:
//
//  1. asks the Fencer first, and returns a [*FencedError] wrapping [ErrNotOwner] without any
//     request (not even a read) when it says no;
//  2. reads the pair's current ManifestWorks and, when any is stamped with a later epoch, or
//     with this epoch by another owner, returns a [*FencedError] wrapping [ErrFenced] and
//     writes nothing (an epoch that does not parse counts as no stamp, and is logged);
//  3. stamps the works stamped earlier or not at all — an update of the two annotations only,
//     at the resourceVersion read — before any content write, logging the takeover with the
//     previous owner and epoch ([Report].Stamped lists them). Names stay, so a takeover updates
//     the works in place: nothing is deleted or created again;
//  4. writes the content as without a Fencer, asking the Fencer again before every create,
//     update and delete: a "no", or another epoch, stops the call with [ErrNotOwner];
//  5. reads a work again after an update conflict, or a create that found it existing, and
//     stops with [ErrFenced] when another owner or a later epoch holds it by then; otherwise it
//     retries as usual;
//  6. deletes a part only with preconditions (the UID and resourceVersion read of a work not
//     held by another owner); a precondition conflict reads it again, with the same check.
//
// The stamps are not part of the content hash: a takeover alone writes the stamps and nothing
// else, and a work up to date and stamped as this owner is not written at all. The wait that
// confirms a move only reads.
//
// Guarantees. Every write is conditional on a read whose stamp is this owner's at this epoch
// (updates carry that resourceVersion, deletes that precondition; a create succeeds only where
// no work exists), so once the new owner's stamp is on a work, an older owner's next write to it
// conflicts and the re-read fences it: the older owner writes nothing more to that work, even
// if its Fencer still says yes. A replica whose Fencer says no writes nothing. Nothing is
// deleted on behalf of an owner other than the one whose stamp was read.
//
// Limits. Fencing is per ManifestWork: an older owner that read before the stamp landed may
// still complete writes to other works of the pair that the new owner has not stamped yet (the
// new owner stamps them all before writing content, so its content then wins and the older
// owner's next write is fenced). The Fencer decides ownership; this package trusts its answer
// and only asks it at each write, so a Fencer must say no once the replica's hold may have
// expired (registry/sharding allows for clock skew). A [*FencedError] is final for that call:
// the caller stops delivering the WEC rather than retrying; throttling (429), timeouts and
// other API errors stay [*WorkError]s, to be retried. Plan neither asks a Fencer nor stamps.
//
// Epochs that went backwards. A stamp above the epoch the Fencer gives while it still holds
// the WEC cannot come from a later owner; it predates the hold (the Leases behind the epochs
// were deleted and created again, the shard count changed, or someone wrote the annotation).
// The call is fenced all the same, and a Fencer that implements [EpochRaiser] is told the
// epoch found, so that it can move past it: registry/sharding's Sharder does so at its next
// renewal and signals a change, after which the next Apply stamps the works with the new
// epoch, in place. Without that, the WEC would stay fenced until the stamps were removed.
//
// # Create-only objects
//
// An [Object] with CreateOnly set gets a manifestConfigs entry with OCM's CreateOnly update
// strategy in the ManifestWork that carries it: the work agent creates it on the WEC and never
// updates it afterwards (it still records ownership, so a create-only object moves safely).
//
// # Returned status
//
// An [Object] with a [StatusRequest] gets a manifestConfigs entry (shared with CreateOnly's)
// whose JSONPaths feedback rule [StatusRuleName] asks the work agent for the object's whole
// `.status`. The entry names the object by group, resource, namespace and name, the resource
// coming from [Options.Resources] (pass the engine's mapper) or [Options.Mapper] — never a
// guessed plural, since a wrong one silently matches nothing — so a status request without
// either is an error. The agent returns objects and lists only when it runs with the alpha
// feature gate RawFeedbackJsonString=true (off by default), and refuses any value over 1,024
// bytes (its --max-json-raw-length, which the hub's CRD also enforces: never raise it).
//
// When the pair's current ManifestWorks show that the agent could not return the whole
// value (no value, and its StatusFeedbackSynced condition False), the next Plan or Apply asks
// for each top-level field of `.status` as its own rule ("status.<field>"): the fields of
// [StatusRequest.Fields] (the caller passes those of the last value it read), the kind's
// known fields ([KnownStatusFields]) and the fields already requested. An object asked field
// by field stays so. Package registry/returned reassembles the fields; a field that alone is
// too large is reported there.
//
// Rules may rename an object per WEC: each ManifestWork records, in [StatusSourcesAnnotation],
// the source identity ([StatusRequest.Source]) of every renamed object wanting status, so
// returned status is matched to the source object; the record is part of the content hash.
//
// # Status and logging
//
// [Deliverer.Status] reads the pair's ManifestWorks back and reports, per ManifestWork, the
// Applied and Available conditions the work agent set, and names every object whose own
// Applied or Available condition is False. [Deliverer.WECs] finds the WECs holding works of a
// source key, to clean up after WECs that are no longer targets. Apply and Delete log through
// logr.FromContextOrDiscard(ctx): one line per write (WEC, work, action, generation) at V(1),
// refusals and unconfirmed moves at V(0).
package delivery
