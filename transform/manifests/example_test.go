package manifests_test

import (
	"fmt"

	"github.com/wecforge/wecforge/transform/manifests"
)

func ExampleParse() {
	docs, warns, err := manifests.Parse("cm.yaml", []byte(`apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: flags}
  data:
    debug: "on"
    replicas: 3
    tls: yes
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range docs {
		fmt.Println(d.Where(), d.Object["data"])
	}
	for _, w := range warns {
		fmt.Println(w)
	}
	// Output:
	// cm.yaml#0.items[0] (line 4) map[debug:on replicas:3 tls:true]
	// cm.yaml:10: unquoted value yes reads as the boolean true (YAML 1.1, as kubectl reads it); write "yes" if you mean the string
}
