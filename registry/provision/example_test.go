package provision_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wecforge/wecforge/registry/provision"
)

// Hand out an existing context as a WEC's kubeconfig.
func ExampleNewContext() {
	p, err := provision.NewContext([]byte(kubeconfig), map[string]string{"edge-1": "kind-b"})
	if err != nil {
		log.Fatal(err)
	}
	if err := p.Create(context.Background(), "edge-1"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Create(context.Background(), "edge-2") != nil)
	// Output: true
}

// Create a kind cluster for a WEC; needs a container engine, so it has no output.
func ExampleNewKind() {
	var p provision.Provisioner = provision.NewKind(provision.KindOptions{})
	ctx := context.Background()
	if err := p.Create(ctx, "edge-1"); err != nil {
		log.Print(err)
		return
	}
	cfg, err := p.Kubeconfig(ctx, "edge-1")
	if err != nil {
		log.Print(err)
		return
	}
	fmt.Println(len(cfg) > 0)
}
