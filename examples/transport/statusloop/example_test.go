package statusloop_test

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"

	"github.com/wecforge/wecforge/examples/transport/statusloop"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/resources"
)

// How a transport wires the status loop: hand each object's placement over before
// delivering it, and deliver with the status request the loop returns per WEC.
func Example() {
	var (
		ctx   = context.Background()
		works workclient.Interface // the hub
		wds   dynamic.Interface    // the workload description space
		web   *unstructured.Unstructured
	)
	redeliver := make(chan transform.ObjectRef, 16)
	ctl, err := statusloop.New(statusloop.Options{
		Works: works, WDS: wds,
		Resources:  resources.Builtin(), // the engine's Mapper in a real transport
		Collectors: nil,                 // the engine's Collectors()
		Redeliver:  func(_ string, ref transform.ObjectRef) { redeliver <- ref },
	})
	if err != nil {
		return
	}
	go func() { _ = ctl.Run(ctx) }()

	// The transport's placement says: web goes to east and west, both asking for multi-WEC
	// reported state, and policy web-bp names the StatusCollector "ready".
	_ = ctl.SetPlacement(statusloop.ObjectPlacement{
		Object:  web,
		Request: placement.StatusRequest{MultiWEC: true, M: []string{"east", "west"}},
		Policies: []combine.Policy{{Name: "web-bp", UID: "3b0c…", WECs: []string{"east", "west"},
			Collectors: []string{"ready"}}},
	})
	for _, wec := range []string{"east", "west"} {
		obj := delivery.Object{Object: web, Status: ctl.StatusRequest(transform.RefOf(web.Object), wec)}
		_ = obj // rendered for wec and passed to delivery.Deliverer.Apply
	}
}
