package returned_test

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/registry/returned"
)

// A ManifestWork as package delivery writes it for a Deployment wanting status, with the
// status OCM's work agent returned for it.
func Example() {
	status := `{"replicas":2,"updatedReplicas":2,"observedGeneration":4}`
	mw := &workv1.ManifestWork{
		ObjectMeta: metav1.ObjectMeta{Name: "wecforge-bp-web-0", Namespace: "wec1",
			Labels: map[string]string{delivery.ManagedByLabel: delivery.ManagedByValue}},
		Spec: workv1.ManifestWorkSpec{ManifestConfigs: []workv1.ManifestConfigOption{{
			ResourceIdentifier: workv1.ResourceIdentifier{Group: "apps", Resource: "deployments", Namespace: "prod", Name: "web"},
			FeedbackRules: []workv1.FeedbackRule{{Type: workv1.JSONPathsType,
				JsonPaths: []workv1.JsonPath{{Name: delivery.StatusRuleName, Path: ".status"}}}},
		}}},
		Status: workv1.ManifestWorkStatus{ResourceStatus: workv1.ManifestResourceStatus{Manifests: []workv1.ManifestCondition{{
			ResourceMeta: workv1.ManifestResourceMeta{Group: "apps", Version: "v1", Kind: "Deployment",
				Resource: "deployments", Namespace: "prod", Name: "web"},
			StatusFeedbacks: workv1.StatusFeedbackResult{Values: []workv1.FeedbackValue{{
				Name: delivery.StatusRuleName, Value: workv1.FieldValue{Type: workv1.JsonRaw, JsonRaw: &status}}}},
		}}}},
	}
	for _, r := range returned.NewReader(nil).Read([]*workv1.ManifestWork{mw}) {
		fmt.Println(r.Object, "on", r.WEC, "reported:", r.Reported)
		fmt.Println("replicas", r.Status["replicas"], "observedGeneration", r.Status["observedGeneration"])
	}
	// Output:
	// Deployment.apps prod/web on wec1 reported: true
	// replicas 2 observedGeneration 4
}
