package sharding

import "context"

// Step runs one round, as Run does every RenewInterval.
func (s *Sharder) Step(ctx context.Context) { s.step(ctx) }

// Shutdown releases what s holds, as Run does when its context ends.
func (s *Sharder) Shutdown(ctx context.Context) { s.shutdown(ctx) }

// ShardLease, LeaderLease and MemberLease name s's Leases; Label is its GroupLabel value.
func (s *Sharder) ShardLease(i int) string      { return s.names.shards[i] }
func (s *Sharder) LeaderLease() string          { return s.names.leader }
func (s *Sharder) MemberLease(id string) string { return s.names.member(id) }
func (s *Sharder) Label() string                { return s.names.label }

// Assigned is the rendezvous choice among live for shard i.
func Assigned(live []string, i int) string { return assigned(live, i) }
