package validate_test

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
	"github.com/wecforge/wecforge/transform/validate"
)

func ExampleValidator_Result() {
	v, err := validate.New(validate.Options{}) // built-in kinds; pass CRDs for custom kinds
	if err != nil {
		panic(err)
	}
	replicas, _ := jsonpath.Parse("$.spec.replicas")
	// A stage that writes a WEC property, a string, where the schema wants an integer.
	fromProperty := transform.Named("rule replicas: spec.actions[0].set", transform.Func(func(env *transform.Env, obj *transform.Object) error {
		n, _ := env.WEC.Lookup("replicas")
		_, err := obj.Set(replicas, n)
		return err
	}))
	p := transform.NewPipeline(nil, []transform.Stage{fromProperty})
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec":     map[string]any{"replicas": int64(1)},
	}}
	east, _ := customization.New("east", map[string]string{"replicas": "3"}, nil, nil)
	res := p.Render(context.Background(), p.Prepare(context.Background(), in), east)
	fmt.Println(v.Result(&res))
	// Output:
	// wec east: Deployment.apps shop/web: validate: .spec.replicas: does not match the schema of Deployment.apps/v1: .spec.replicas: expected numeric (int or float), got a string: "3" (written by rule replicas: spec.actions[0].set)
}
