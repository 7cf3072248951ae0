// Package app is the transport command: flag parsing, validation and the assembly of the
// delivery, placement and status loops against an OCM hub. examples/transport/main.go is a thin
// wrapper around Main; tests (the end-to-end ones in particular) call Main directly or re-execute
// a test binary that does, to run several replicas of the transport side by side.
//
// # Exit codes
//
// Main returns 0 when its context ends cleanly, 2 when the command line is invalid (unknown
// flag, bad value, a combination of flags that cannot work), and 1 when running failed.
//
// # Several replicas
//
// With --shard-namespace the replica joins a group of replicas coordinated through Leases in
// that hub namespace (package registry/sharding): it delivers only the WECs whose shard it
// holds, fences every ManifestWork write with its identity and the shard's epoch, and writes to
// the source API server (status, CombinedStatus, policy status) only while it holds the group's
// leader Lease. See README.md, "Running several replicas".
package app
