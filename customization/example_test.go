package customization_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wecforge/wecforge/customization"
)

func ExampleNew() {
	props := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "edge-1", Namespace: customization.PropertiesNamespace},
		Data:       map[string]string{"region": "eu-central"},
	}
	w, err := customization.New("edge-1",
		map[string]string{"region": "eu", "location-group": "edge"}, // labels
		nil, props)
	if err != nil {
		panic(err)
	}
	for _, key := range []string{"region", "clusterName", "location-group"} {
		v, ok := w.Lookup(key)
		src, _ := w.SourceOf(key)
		fmt.Println(key, v, ok, src)
	}
	// Output:
	// region eu-central true configMap.data
	// clusterName edge-1 true builtin
	// location-group  false builtin
}

func ExampleDiff() {
	before, _ := customization.New("edge-1", map[string]string{"region": "eu", "tier": "1"}, nil, nil)
	after, _ := customization.New("edge-1", map[string]string{"region": "eu", "tier": "2"}, nil, nil)
	delta := customization.Diff(before, after)
	fmt.Println(delta.Labels, delta.Properties)
	render := customization.Dependencies{Properties: []string{"region"}}
	fmt.Println("re-render:", render.Affected(delta))
	// Output:
	// [tier] [tier]
	// re-render: false
}
