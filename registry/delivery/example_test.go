package delivery_test

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"

	"github.com/wecforge/wecforge/registry/delivery"
)

// Plan shows the ManifestWorks that Apply would write for one WEC, without a server.
func ExampleDeliverer_Plan() {
	// Plan never contacts the server; Apply would use this client.
	client := workclient.NewForConfigOrDie(&rest.Config{Host: "https://hub.example:6443"})
	d, err := delivery.New(client, delivery.Options{})
	if err != nil {
		panic(err)
	}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "settings", "namespace": "web"},
		"data":     map[string]any{"region": "east"},
	}}
	works, err := d.Plan("cluster1", "bindingpolicy/web", []delivery.Object{{Object: cm, CreateOnly: true}}, nil)
	if err != nil {
		panic(err)
	}
	for _, w := range works {
		fmt.Println(w.Namespace, w.Name, len(w.Spec.Workload.Manifests), w.Spec.ManifestConfigs[0].UpdateStrategy.Type)
	}
	// Output:
	// cluster1 wecforge-bindingpolicy-web-4b14525196-0 1 CreateOnly
}
