// Command delivery measures what a fleet-wide change costs the OCM hub: how fast the transport
// (examples/transport/loop with registry/delivery) writes one changed ManifestWork per WEC,
// against the fastest the same hub accepts the same writes from a minimal client. `make
// bench-delivery` runs it; it is not part of `make test`.
//
// # What one size does
//
// For each N in -sizes it starts a fresh etcd (--unsafe-no-fsync, --quota-backend-bytes
// raised) and kube-apiserver on loopback, installs OCM's ManagedCluster and ManifestWork CRDs,
// and creates N ManagedClusters (labelled with a region), their namespaces and their
// customization-properties ConfigMaps (a zone), and the demo workload of examples/transport in
// namespace "demo" of the same API server, which also serves as the source (WDS).
//
// It then re-executes itself as the transport (its own process, so that its peak RSS is its
// own), which delivers the demo workload to every WEC, and measures:
//
//   - wall: from the transport observing an edit of the Deployment's image tag (rendered with
//     each WEC's regional registry, so every WEC's ManifestWork changes) to the end of the
//     processing of that change, when the last write has been acknowledged by the hub;
//   - writes/s: ManifestWorks updated by that change ÷ wall (every work must be updated exactly
//     once: checked against the hub's generations);
//   - raw-writes/s: the best of 1, 4, 16 and 64 concurrent writers of a minimal typed client
//     with client-side rate limiting off, updating the same N ManifestWorks (same bodies, plus
//     a counter annotation, so no update is a no-op);
//   - rss: the transport's VmHWM after both changes.
//
// It also changes the properties ConfigMaps of 1 % of the WECs and checks that exactly their
// ManifestWorks were written. Each size prints one line
//
//	MEASURE delivery wecs=<int> works=<int> wall=<x.y>s writes/s=<int> raw-writes/s=<int> fraction=<0.00> rss=<int>MiB
//
// on stdout, and a BREAKDOWN line with the CPU seconds the transport, kube-apiserver and etcd
// spent during the wall. Any error exits non-zero.
package main
