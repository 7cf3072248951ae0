package sharding_test

import (
	"context"
	"fmt"
	"time"

	"github.com/wecforge/wecforge/registry/sharding"
)

// Example runs one replica of a transport: it owns every WEC and leads once its first round
// is done, checks Owns (or Fence) right before each write for a WEC, re-evaluates when
// Changes signals, and gives its Leases back when its context ends.
func Example() {
	hub := newLeaseStore().client(nil) // an in-memory hub; use kubernetes.NewForConfig in a program
	s, err := sharding.New(sharding.Options{
		Client:    hub,
		Namespace: "wecforge-system",
		Group:     "transport",
		Identity:  "replica-1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	changes := s.Changes()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	<-changes // the first round took the shards
	for !s.HasSynced() {
		time.Sleep(time.Millisecond)
	}
	owner, epoch, ok := s.Fence("cluster1")
	fmt.Println(owner, epoch, ok, s.Leader())
	fmt.Println(len(s.Snapshot().Owned), "of", sharding.DefaultShards, "shards")

	cancel()
	fmt.Println(<-done, s.Owns("cluster1"))
	// Output:
	// replica-1 1 true true
	// 32 of 32 shards
	// <nil> false
}
