package delivery

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/resources"
)

// fixedMapper maps every kind to one resource, to prove the resource comes from the mapper.
type fixedMapper string

func (m fixedMapper) ResourceFor(gk schema.GroupKind) (schema.GroupResource, error) {
	return schema.GroupResource{Group: gk.Group, Resource: string(m)}, nil
}

func onlyConfig(t *testing.T, works []*workv1.ManifestWork) workv1.ManifestConfigOption {
	t.Helper()
	require.Len(t, works, 1)
	require.Len(t, works[0].Spec.ManifestConfigs, 1)
	return works[0].Spec.ManifestConfigs[0]
}

// TestStatusRuleWholeStatus: an object wanting status gets one JSONPaths rule for `.status`,
// keyed by the resource the mapper gives (not a guessed plural); others get none.
func TestStatusRuleWholeStatus(t *testing.T) {
	d := newTestDeliverer(t, Options{Resources: fixedMapper("webs")})
	works, err := d.Plan("wec1", "k", []Object{
		{Object: deployment("prod", "web", "nginx"), Status: &StatusRequest{}},
		{Object: configMap("prod", "cm", 10)},
	}, nil)
	require.NoError(t, err)
	cfg := onlyConfig(t, works)
	assert.Equal(t, workv1.ResourceIdentifier{Group: "apps", Resource: "webs", Namespace: "prod", Name: "web"}, cfg.ResourceIdentifier)
	whole, fields := FeedbackRequest(&cfg)
	assert.True(t, whole)
	assert.Empty(t, fields)
	assert.Nil(t, cfg.UpdateStrategy)
	assert.NotContains(t, works[0].Annotations, StatusSourcesAnnotation, "not renamed: no sources entry")
}

// TestStatusNeedsMapper: without a mapper the resource would be a guess; refused, typed.
func TestStatusNeedsMapper(t *testing.T) {
	d := newTestDeliverer(t, Options{})
	_, err := d.Plan("wec1", "k", []Object{{Object: deployment("prod", "web", "nginx"), Status: &StatusRequest{}}}, nil)
	require.ErrorIs(t, err, ErrInvalidInput)
	var oe *ObjectError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "web", oe.Object.Name)
}

// TestStatusAndCreateOnlyShareConfig: one manifest config carries both the update strategy and
// the feedback rule.
func TestStatusAndCreateOnlyShareConfig(t *testing.T) {
	d := newTestDeliverer(t, Options{Resources: resources.Builtin()})
	works, err := d.Plan("wec1", "k", []Object{{Object: deployment("prod", "web", "nginx"), CreateOnly: true, Status: &StatusRequest{}}}, nil)
	require.NoError(t, err)
	cfg := onlyConfig(t, works)
	assert.Equal(t, "deployments", cfg.ResourceIdentifier.Resource)
	require.NotNil(t, cfg.UpdateStrategy)
	assert.Equal(t, workv1.UpdateStrategyTypeCreateOnly, cfg.UpdateStrategy.Type)
	whole, _ := FeedbackRequest(&cfg)
	assert.True(t, whole)
}

// TestStatusSourcesRecorded: a renamed object records its source identity, read back by
// StatusSources; the record is part of the content hash.
func TestStatusSourcesRecorded(t *testing.T) {
	d := newTestDeliverer(t, Options{Resources: resources.Builtin()})
	src := transform.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "prod", Name: "web"}
	plan := func(source transform.ObjectRef) *workv1.ManifestWork {
		works, err := d.Plan("wec1", "k", []Object{{Object: deployment("prod", "web-wec1", "nginx"), Status: &StatusRequest{Source: source}}}, nil)
		require.NoError(t, err)
		require.Len(t, works, 1)
		return works[0]
	}
	mw := plan(src)
	got, err := StatusSources(mw)
	require.NoError(t, err)
	want := src
	want.Version = ""
	assert.Equal(t, map[ResourceID]transform.ObjectRef{
		{Group: "apps", Resource: "deployments", Namespace: "prod", Name: "web-wec1"}: want,
	}, got)
	other := src
	other.Name = "api"
	assert.NotEqual(t, mw.Annotations[ContentHashAnnotation], plan(other).Annotations[ContentHashAnnotation])

	mw.Annotations[StatusSourcesAnnotation] = "{"
	_, err = StatusSources(mw)
	assert.ErrorIs(t, err, ErrInvalidInput)
}

// failedWholeStatus returns works as planned, with the agent's report that the whole status
// of every manifest could not be returned.
func failedWholeStatus(works []*workv1.ManifestWork) []*workv1.ManifestWork {
	out := make([]*workv1.ManifestWork, 0, len(works))
	for _, w := range works {
		w = w.DeepCopy()
		for _, c := range w.Spec.ManifestConfigs {
			rid := c.ResourceIdentifier
			w.Status.ResourceStatus.Manifests = append(w.Status.ResourceStatus.Manifests, workv1.ManifestCondition{
				ResourceMeta: workv1.ManifestResourceMeta{Group: rid.Group, Version: "v1", Kind: "Deployment",
					Resource: rid.Resource, Namespace: rid.Namespace, Name: rid.Name},
				Conditions: []metav1.Condition{{Type: FeedbackConditionType, Status: metav1.ConditionFalse,
					Reason: "StatusFeedbackSyncFailed", Message: "too long"}},
			})
		}
		out = append(out, w)
	}
	return out
}

// TestStatusSplitWhenTooLarge: once the agent reports the whole status failed, the next plan
// requests each top-level field (the kind's known fields and the caller's), and keeps doing so.
func TestStatusSplitWhenTooLarge(t *testing.T) {
	d := newTestDeliverer(t, Options{Resources: resources.Builtin()})
	objs := []Object{{Object: deployment("prod", "web", "nginx"), Status: &StatusRequest{Fields: []string{"custom", "not a field", "replicas"}}}}
	first, err := d.Plan("wec1", "k", objs, nil)
	require.NoError(t, err)

	second, err := d.Plan("wec1", "k", objs, failedWholeStatus(first))
	require.NoError(t, err)
	cfg := onlyConfig(t, second)
	whole, fields := FeedbackRequest(&cfg)
	assert.False(t, whole)
	want := append(KnownStatusFields(schema.GroupKind{Group: "apps", Kind: "Deployment"}), "custom")
	assert.ElementsMatch(t, want, fields)
	for _, r := range cfg.FeedbackRules {
		for _, p := range r.JsonPaths {
			assert.Equal(t, ".status."+p.Name[len(StatusFieldRulePrefix):], p.Path)
		}
	}

	// Sticky: planned against works already split (and no failure reported), it stays split.
	third, err := d.Plan("wec1", "k", []Object{{Object: deployment("prod", "web", "nginx"), Status: &StatusRequest{}}}, second)
	require.NoError(t, err)
	cfg3 := onlyConfig(t, third)
	whole, again := FeedbackRequest(&cfg3)
	assert.False(t, whole)
	assert.Equal(t, fields, again)
}

// TestStatusRulesSurviveRoundTrip: the planned config is what FeedbackRequest reads after JSON.
func TestStatusRulesSurviveRoundTrip(t *testing.T) {
	b, err := json.Marshal(statusRules([]string{"a", "b"}))
	require.NoError(t, err)
	var rules []workv1.FeedbackRule
	require.NoError(t, json.Unmarshal(b, &rules))
	whole, fields := FeedbackRequest(&workv1.ManifestConfigOption{FeedbackRules: rules})
	assert.False(t, whole)
	assert.Equal(t, []string{"a", "b"}, fields)
}

// TestStatusRulesCountTowardsSize: an object that fits a ManifestWork alone but not with its
// feedback rules is ErrTooLarge, naming it.
func TestStatusRulesCountTowardsSize(t *testing.T) {
	dep := deployment("prod", "web", "nginx")
	raw, err := json.Marshal(dep.Object)
	require.NoError(t, err)
	d := newTestDeliverer(t, Options{Resources: resources.Builtin(), MaxBytes: len(raw) + partOverhead + 10})
	_, err = d.Plan("wec1", "k", []Object{{Object: dep}}, nil)
	require.NoError(t, err, "fits without rules")
	_, err = d.Plan("wec1", "k", []Object{{Object: dep, Status: &StatusRequest{}}}, nil)
	require.ErrorIs(t, err, ErrTooLarge)
	var oe *ObjectError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "web", oe.Object.Name)
}
