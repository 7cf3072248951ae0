// Package sharding divides the WECs of a fleet among the replicas of one transport, which
// coordinate only through coordination.k8s.io/v1 Leases on the hub. docs/sharding.md
// describes the design and every failure mode at length.
//
// # Model
//
// A WEC belongs to shard [Sharder.ShardOf] (a stable hash of its name modulo
// Options.Shards). A replica owns a WEC while it holds that shard's Lease and the hold is
// valid; [Sharder.Fence] gives the owner and the epoch (the shard Lease's leaseTransitions,
// which grows by one at every acquisition) that a writer stamps on what it writes. One more
// Lease elects a leader ([Sharder.Leader]) for the writes that must come from one replica.
//
// Leases of a group (all labelled [GroupLabel]): one member Lease per replica
// (<g>-member-<hash of identity>, annotated [ShardsAnnotation]), one Lease per shard
// (<g>-shard-<i>) and the leader Lease (<g>-leader), where <g> is a DNS-safe form of
// Options.Group with a hash of it.
//
// # A round
//
// [Sharder.Run] does a round every RenewInterval: one List of the group's Leases; renew the
// member Lease; compute the live members; then for each shard, by rendezvous hashing over the
// live members, renew it (held and assigned here), release it (held here, assigned
// elsewhere: the hold is dropped locally before the release is written), acquire it
// (assigned here and free or expired, or free or expired and left unclaimed for
// LeaseDuration+SkewTolerance) or leave it; then the leader Lease (kept by its holder, taken
// by any live member when free or expired). Every write is an update at the resourceVersion
// just read (a create when absent), so of two replicas that move at once one gets a conflict
// and re-reads next round.
//
// # Time
//
// Remote timestamps are never compared with the local clock. A member or a holder is alive
// while the resourceVersion of its Lease changes: a Lease unchanged for LeaseDuration (or
// the longer duration it states, at most an hour) plus SkewTolerance, measured on the local
// clock from when this replica first saw that resourceVersion, is expired. A hold of this
// replica is valid until the local time its acquire or renew request was sent, plus
// LeaseDuration minus SkewTolerance. So a holder's validity ends at least 2×SkewTolerance
// before anyone else may take its Lease, and [Sharder.Owns], [Sharder.Fence] and
// [Sharder.Leader] turn false when it ends even if Run is stuck or the process was paused.
//
// # Failures
//
// A failed request (429, timeout, conflict, a missing namespace) is logged with its reason
// and retried next round; a hold that cannot be renewed lapses at its validity end and is
// never extended. A conflict on renewal drops the hold at once. A live member with another
// shard count ([ErrShardMismatch], in [Status].Err) makes this replica own no shard;
// leadership is unaffected. Leases with the group label but a foreign name or contents are
// ignored and logged; nil fields and negative or huge numbers never panic. The leader
// deletes member Leases unchanged for 4×(LeaseDuration+SkewTolerance), at their
// resourceVersion.
//
// # Use
//
// Create with [New], start [Sharder.Run] in a goroutine, wait for [Sharder.HasSynced],
// consult [Sharder.Fence] or [Sharder.Owns] right before each write for a WEC, and
// re-evaluate on [Sharder.Changes]. *Sharder satisfies the transport's ownership,
// leadership and delivery-fencing interfaces. The replica's RBAC needs Leases get, list,
// watch, create, update and delete in Options.Namespace (registry/rbac.yaml grants them in
// wecforge-system).
package sharding
