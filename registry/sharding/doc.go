// Package sharding divides the WECs of a fleet among several replicas of one transport,
// coordinated only through coordination.k8s.io/v1 Leases on the hub (see docs/sharding.md).
//
// TODO: full contract.
package sharding
