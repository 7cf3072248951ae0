package combine_test

import (
	"encoding/json"
	"fmt"

	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
)

// A StatusCollector counting the WECs and summing their ready replicas, fed incrementally.
func ExampleCombiner() {
	c, err := combine.ParseCollector(map[string]any{
		"apiVersion": combine.APIVersion, "kind": combine.Kind,
		"metadata": map[string]any{"name": "ready"},
		"spec": map[string]any{"combinedFields": []any{
			map[string]any{"name": "wecs", "type": "COUNT"},
			map[string]any{"name": "ready", "type": "SUM", "subject": "returned.status.readyReplicas"},
		}},
	})
	if err != nil {
		panic(err)
	}
	key := placement.Key{Group: "apps", Resource: "deployments", Namespace: "shop", Name: "web"}
	cb := combine.NewCombiner([]*combine.Collector{c})
	cb.SetObject(combine.ObjectSpec{
		Object:   combine.Object{Key: key, APIVersion: "apps/v1", Kind: "Deployment", UID: "1234"},
		Request:  placement.StatusRequest{MultiWEC: true, M: []string{"east", "west"}},
		Policies: []combine.Policy{{Name: "web", UID: "abcd", WECs: []string{"east", "west"}, Collectors: []string{"ready"}}},
	})
	cb.SetReturned(key, "east", combine.Returned{Reported: true, Status: map[string]any{"readyReplicas": int64(3)}})
	ch := cb.SetReturned(key, "west", combine.Returned{Reported: true, Status: map[string]any{"readyReplicas": int64(1)}})
	fmt.Println("changed:", ch.Status, ch.CombinedStatuses)

	o, _ := cb.Status(key)
	fmt.Println(o.Decision.Action, o.SetLabel, o.Status["readyReplicas"])
	cs := cb.CombinedStatusFor(key, "web")
	rows, _ := json.Marshal(cs.Results[0].Rows)
	fmt.Println(cs.Metadata.Name, string(rows))
	// Output:
	// changed: true [web]
	// Aggregate managed-by.kubestellar.io/multiwecstatus 1
	// 1234.abcd [{"columns":[{"type":"Number","float":"2"},{"type":"Number","float":"4"}]}]
}
