package patch_test

import (
	"errors"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
	"github.com/wecforge/wecforge/transform/patch"
)

func Example() {
	// Parse once...
	replicas, err := patch.ParsePointer("/spec/replicas")
	if err != nil {
		panic(err)
	}
	firstEnv, err := patch.ParsePointer("/spec/template/spec/containers/0/env/-")
	if err != nil {
		panic(err)
	}

	// ...apply to any number of objects. The base tree is never modified.
	base := map[string]any{"spec": map[string]any{"replicas": int64(1), "template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": "app", "env": []any{}}},
	}}}}
	obj := transform.NewObject(base)
	obj.SetBy("example")
	if err := patch.Test(obj, replicas, 1.0); err != nil { // numbers compare by value
		panic(err)
	}
	if err := patch.Replace(obj, replicas, int64(3)); err != nil {
		panic(err)
	}
	if err := patch.Add(obj, firstEnv, map[string]any{"name": "REGION", "value": "eu"}); err != nil {
		panic(err)
	}
	out, _ := yaml.Marshal(obj.Root())
	fmt.Print(string(out))
	fmt.Println("base replicas:", base["spec"].(map[string]any)["replicas"])

	missing, _ := patch.ParsePointer("/spec/selector/matchLabels")
	err = patch.Remove(obj, missing)
	fmt.Println(err, errors.Is(err, patch.ErrFailed))
	// Output:
	// spec:
	//   replicas: 3
	//   template:
	//     spec:
	//       containers:
	//       - env:
	//         - name: REGION
	//           value: eu
	//         name: app
	// base replicas: 1
	// patch failed: /spec/selector: no member "selector" true
}

func ExampleMerge() {
	mp, err := patch.Normalize(map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"tier": "gold", "old": nil}},
	})
	if err != nil {
		panic(err)
	}
	obj := transform.NewObject(map[string]any{"metadata": map[string]any{"name": "web", "labels": map[string]any{"old": "x"}}})
	if err := patch.Merge(obj, nil, mp.(map[string]any)); err != nil {
		panic(err)
	}
	fmt.Println(obj.Root())

	// A merge patch applies at any location, for example below .spec.
	obj = transform.NewObject(map[string]any{"spec": "a string"})
	if err := patch.Merge(obj, jsonpath.Location{{Key: "spec"}}, map[string]any{"a": int64(1), "b": nil}); err != nil {
		panic(err)
	}
	fmt.Println(obj.Root())
	// Output:
	// map[metadata:map[labels:map[tier:gold] name:web]]
	// map[spec:map[a:1]]
}

func ExampleParsePointer() {
	p, err := patch.ParsePointer("/metadata/annotations/example.com~1owner")
	fmt.Println(p, p.Location(), err)

	_, err = patch.ParsePointer("/metadata/a~b")
	var pe *patch.PointerError
	if errors.As(err, &pe) {
		fmt.Println(pe.Offset, err)
	}
	// Output:
	// /metadata/annotations/example.com~1owner .metadata.annotations["example.com/owner"] <nil>
	// 11 invalid JSON pointer "/metadata/a~b" at position 11: ~ must be followed by 0 or 1
}
