package jsonpath_test

import (
	"fmt"

	"github.com/wecforge/wecforge/transform/jsonpath"
)

func ExampleParse() {
	p, err := jsonpath.Parse("$.spec.template.spec.containers[?@.name=='app'].image")
	if err != nil {
		panic(err)
	}
	deploy := map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []any{
			map[string]any{"name": "sidecar", "image": "envoy"},
			map[string]any{"name": "app", "image": "nginx:1.27"},
		},
	}}}}
	for _, n := range p.Find(deploy) {
		fmt.Println(n.Location, n.Location.Pointer(), n.Value)
	}

	_, err = jsonpath.Parse("$.spec..image")
	fmt.Println(err)
	// Output:
	// .spec.template.spec.containers[1].image /spec/template/spec/containers/1/image nginx:1.27
	// invalid JSONPath "$.spec..image" at position 6: descendant segments (..) are not supported
}
