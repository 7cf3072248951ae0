package returned

import (
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/registry/delivery"
)

// FuzzRead feeds arbitrary returned values, agent messages and source annotations to the
// reader: it never panics, every error is one of the typed ones, and a reported status without
// a decode error is an object.
func FuzzRead(f *testing.F) {
	f.Add(`{"replicas":1}`, "", false, "", "status")
	f.Add(`[1,`, "name status.conditions is larger", true, "[]", "status.conditions")
	f.Add(`null`, "", true, `[{"delivered":{"resource":"deployments","name":"x"},"source":{"kind":"K","name":"y"}}]`, "status")
	f.Fuzz(func(t *testing.T, js, message string, failed bool, sources, rule string) {
		mw := &workv1.ManifestWork{}
		mw.Name, mw.Namespace = "w", "wec1"
		mw.Labels = map[string]string{delivery.ManagedByLabel: delivery.ManagedByValue}
		mw.Annotations = map[string]string{delivery.StatusSourcesAnnotation: sources}
		mw.Spec.ManifestConfigs = []workv1.ManifestConfigOption{{
			ResourceIdentifier: workv1.ResourceIdentifier{Group: "apps", Resource: "deployments", Namespace: "prod", Name: "web"},
			FeedbackRules: []workv1.FeedbackRule{{Type: workv1.JSONPathsType, JsonPaths: []workv1.JsonPath{
				{Name: "status", Path: ".status"}, {Name: "status.conditions", Path: ".status.conditions"}}}},
		}}
		status := metav1.ConditionTrue
		if failed {
			status = metav1.ConditionFalse
		}
		mw.Status.ResourceStatus.Manifests = []workv1.ManifestCondition{{
			ResourceMeta: workv1.ManifestResourceMeta{Group: "apps", Version: "v1", Kind: "Deployment", Resource: "deployments", Namespace: "prod", Name: "web"},
			StatusFeedbacks: workv1.StatusFeedbackResult{Values: []workv1.FeedbackValue{
				{Name: rule, Value: workv1.FieldValue{Type: workv1.JsonRaw, JsonRaw: &js}}}},
			Conditions: []metav1.Condition{{Type: delivery.FeedbackConditionType, Status: status, Reason: "StatusFeedbackSynced", Message: message}},
		}}
		for _, r := range NewReader(nil).Read([]*workv1.ManifestWork{mw}) {
			if r.Err != nil && !errors.Is(r.Err, ErrStatusTooLarge) && !errors.Is(r.Err, ErrBadFeedback) && !errors.Is(r.Err, delivery.ErrInvalidInput) {
				t.Fatalf("untyped error %v", r.Err)
			}
			if r.Reported && r.Status == nil {
				t.Fatal("reported without a status map")
			}
		}
	})
}
