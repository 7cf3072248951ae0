package rulestest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/wecforge/wecforge/engine/rulestest"
)

// A test of your own rules: one case directory per behaviour, expected outputs regenerated
// with WECFORGE_UPDATE=1 and reviewed with git diff.
func ExampleRunAll() {
	// In a _test.go file of your package:
	_ = func(t *testing.T) {
		rulestest.RunAll(t, "testdata/rules", rulestest.Options{})
	}
}

// Load renders a case without comparing it: what each WEC receives, and why.
func ExampleLoad() {
	c, err := rulestest.Load(context.Background(), "../../testdata/rulestest/edge-replicas", rulestest.Options{})
	if err != nil {
		panic(err)
	}
	for _, p := range c.Pairs {
		spec := p.Result.Object.Object["spec"].(map[string]any)
		fmt.Println(p.WEC.Name(), p.Result.Ref, "replicas", spec["replicas"])
		for _, ch := range p.Result.Changes() {
			fmt.Println("  ", ch.Path, "by", ch.By)
		}
	}
	// Output:
	// core-1 Deployment.apps shop/web replicas 1
	// edge-1 Deployment.apps shop/web replicas 3
	//    .spec.template.spec.containers[0].image by rule app-image-tag: spec.actions[0]
	//    .spec.replicas by rule replicas-from-properties: spec.actions[0]
}
