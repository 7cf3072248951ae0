package registry_test

import (
	"context"
	"fmt"
	"log"

	"k8s.io/client-go/kubernetes"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"

	"github.com/wecforge/wecforge/registry"
)

// The join material for a WEC, without a cluster.
func ExampleJoinCommand() {
	hub := registry.Hub{URL: "https://its.example:6443"}
	args, err := registry.JoinCommand(hub, "TOKEN", "edge-east-1", registry.JoinOptions{Wait: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(registry.ShellQuote(args))
	// Output: clusteradm join --hub-token TOKEN --hub-apiserver https://its.example:6443 --cluster-name edge-east-1 --wait
}

// Accepting a WEC whose agent has registered; needs a hub, so it has no output.
func ExampleAccept() {
	ctx := context.Background()
	var (
		kube kubernetes.Interface    // built from the hub's rest.Config
		ocm  clusterclient.Interface // likewise
	)
	if kube == nil || ocm == nil {
		return
	}
	res, err := registry.Accept(ctx, kube, ocm, "edge-east-1", registry.AcceptOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("approved", res.Approved)
}

// A controller keeps WEC snapshots current and re-renders what a change touches.
func ExampleNewInventory() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		kube kubernetes.Interface
		ocm  clusterclient.Interface
	)
	if kube == nil || ocm == nil {
		return
	}
	inv, err := registry.NewInventory(kube, ocm, registry.InventoryOptions{
		Handler: func(ev registry.Event) {
			fmt.Println(ev.Type, ev.Name, "properties changed:", ev.Delta.Properties)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = inv.Run(ctx) }()
	inv.WaitForSync(ctx)
}
