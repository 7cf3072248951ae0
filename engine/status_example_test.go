package engine_test

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
)

// Evaluating status return in a test: a policy asking for multi-WEC state and a collector,
// two WECs' returned statuses, and what would be written back.
func ExampleEngine_CombineStatus() {
	decode := func(s string) map[string]any {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			panic(err)
		}
		return m
	}
	e, err := engine.Compile(engine.Config{Documents: []engine.Document{
		{Object: decode(`
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: web}
spec:
  clusterSelectors: [{}]
  downsync: [{objectNames: [web], wantMultiWECReportedState: true, statusCollectors: [ready]}]`)},
		{Object: decode(`
apiVersion: control.kubestellar.io/v1alpha1
kind: StatusCollector
metadata: {name: ready}
spec:
  select: [{name: wec, def: inventory.name}, {name: ready, def: returned.status.readyReplicas}]`)},
	}})
	if err != nil {
		panic(err)
	}
	objs, _ := e.Resolve([]engine.Object{{Object: &unstructured.Unstructured{Object: decode(`
{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop}}`)}}})
	east, _ := customization.New("east", nil, nil, nil)
	west, _ := customization.New("west", nil, nil, nil)
	placed, _ := e.Place(objs, []*customization.WEC{east, west})
	var statuses []engine.ReturnedStatus
	for wec, ready := range map[string]int{"east": 3, "west": 1} {
		rs, err := engine.ParseReturnedStatus(wec, decode(fmt.Sprintf(`
apiVersion: wecforge.io/v1alpha1
kind: ReturnedStatus
spec:
  wec: %s
  object: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: web}
  status: {readyReplicas: %d}`, wec, ready)))
		if err != nil {
			panic(err)
		}
		statuses = append(statuses, rs)
	}
	rep, err := e.CombineStatus(placed, statuses)
	if err != nil {
		panic(err)
	}
	o := rep.Objects[0].Outcome
	fmt.Println(rep.Objects[0].Ref, o.Decision.Action, o.SetLabel, "readyReplicas:", o.Status["readyReplicas"])
	cs := rep.CombinedStatuses[0]
	fmt.Println(cs.Metadata.Namespace+"/"+cs.Metadata.Name, cs.Results[0].ColumnNames)
	for _, r := range cs.Results[0].Rows {
		fmt.Println(*r.Columns[0].String, *r.Columns[1].Number)
	}
	// Output:
	// Deployment.apps shop/web Aggregate managed-by.kubestellar.io/multiwecstatus readyReplicas: 1
	// shop/web.web [wec ready]
	// east 3
	// west 1
}
