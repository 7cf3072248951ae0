package fleet_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/fleet"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// A renderer re-renders only the pairs whose recorded dependencies read what changed.
func ExampleRenderer() {
	zone := jsonpath.MustParse("$.spec.template.spec.nodeSelector.zone")
	stage := transform.Named("zone", transform.Func(func(env *transform.Env, obj *transform.Object) error {
		env.Deps.AddProperty("zone") // what this stage reads of the WEC
		v, _ := env.WEC.Lookup("zone")
		_, err := obj.Set(zone, v)
		return err
	}))
	r := fleet.New(transform.NewPipeline(nil, []transform.Stage{stage}))
	ctx := context.Background()
	deploy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
	}}
	_, _ = r.SetObjects(ctx, []*unstructured.Unstructured{deploy})
	w1, _ := customization.New("w1", map[string]string{"zone": "a", "team": "x"}, nil, nil)
	r.SetWEC(ctx, w1)

	w1team, _ := customization.New("w1", map[string]string{"zone": "a", "team": "y"}, nil, nil)
	st := r.SetWEC(ctx, w1team)
	fmt.Println("team changed: rendered", st.Rendered, "skipped", st.Skipped)

	w1zone, _ := customization.New("w1", map[string]string{"zone": "b", "team": "y"}, nil, nil)
	st = r.SetWEC(ctx, w1zone)
	fmt.Println("zone changed: rendered", st.Rendered, "changed", st.Changed)
	res := r.Results("w1")[0]
	fmt.Println(res.Object.Object["spec"])
	// Output:
	// team changed: rendered 0 skipped 1
	// zone changed: rendered 1 changed [w1]
	// map[template:map[spec:map[nodeSelector:map[zone:b]]]]
}
