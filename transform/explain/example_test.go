package explain_test

import (
	"os"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/explain"
)

func ExampleWrite() {
	trace := transform.Trace{
		{Path: ".spec.replicas", By: "rule replicas-from-properties: spec.actions[0]", Kind: transform.ChangeSet, Old: int64(1), New: int64(3)},
		{Path: ".metadata.annotations[\"deployment.kubernetes.io/revision\"]", By: "CustomTransform deployments-server-fields", Kind: transform.ChangeRemove, Old: "4"},
	}
	deps := customization.Dependencies{Properties: []string{"replicas"}, Labels: []string{"location-group"}}
	_ = explain.Write(os.Stdout, "#   ", trace, deps, explain.Options{})
	// Output:
	// #   .spec.replicas  rule replicas-from-properties: spec.actions[0]  1 → 3
	// #   .metadata.annotations["deployment.kubernetes.io/revision"]  CustomTransform deployments-server-fields  removed "4"
	// #   reads: properties replicas; labels location-group
}
