package returned

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/resources"
)

var webSource = transform.ObjectRef{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web"}

func deployment(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": "prod"},
		"spec":     map[string]any{"replicas": int64(2)},
	}}
}

// planned returns the one ManifestWork delivery plans for WEC wec: Deployment web, delivered
// as deliveredName, wanting status; and a ConfigMap not wanting it.
func planned(t *testing.T, wec, deliveredName string, current []*workv1.ManifestWork) *workv1.ManifestWork {
	t.Helper()
	d, err := delivery.New(workclient.NewForConfigOrDie(&rest.Config{Host: "http://127.0.0.1:1"}), delivery.Options{Resources: resources.Builtin()})
	require.NoError(t, err)
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "cm", "namespace": "prod"}}}
	works, err := d.Plan(wec, "bp/web", []delivery.Object{
		{Object: deployment(deliveredName), Status: &delivery.StatusRequest{Source: webSource}},
		{Object: cm},
	}, current)
	require.NoError(t, err)
	require.Len(t, works, 1)
	return works[0]
}

// report sets the agent's report for the Deployment in mw: values and the feedback condition.
func report(mw *workv1.ManifestWork, deliveredName string, cond *metav1.Condition, values ...workv1.FeedbackValue) {
	mc := workv1.ManifestCondition{
		ResourceMeta: workv1.ManifestResourceMeta{Group: "apps", Version: "v1", Kind: "Deployment",
			Resource: "deployments", Namespace: "prod", Name: deliveredName},
		StatusFeedbacks: workv1.StatusFeedbackResult{Values: values},
	}
	applied := metav1.Condition{Type: workv1.ManifestApplied, Status: metav1.ConditionTrue, Reason: "AppliedManifestComplete",
		LastTransitionTime: metav1.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	mc.Conditions = []metav1.Condition{applied}
	if cond != nil {
		c := *cond
		c.LastTransitionTime = applied.LastTransitionTime
		mc.Conditions = append(mc.Conditions, c)
	}
	cmc := workv1.ManifestCondition{ResourceMeta: workv1.ManifestResourceMeta{Version: "v1", Kind: "ConfigMap",
		Resource: "configmaps", Namespace: "prod", Name: "cm"}, Conditions: []metav1.Condition{applied}}
	mw.Status.ResourceStatus.Manifests = []workv1.ManifestCondition{cmc, mc}
}

func raw(name, js string) workv1.FeedbackValue {
	return workv1.FeedbackValue{Name: name, Value: workv1.FieldValue{Type: workv1.JsonRaw, JsonRaw: &js}}
}

func integer(name string, n int64) workv1.FeedbackValue {
	return workv1.FeedbackValue{Name: name, Value: workv1.FieldValue{Type: workv1.Integer, Integer: &n}}
}

var synced = &metav1.Condition{Type: delivery.FeedbackConditionType, Status: metav1.ConditionTrue, Reason: "StatusFeedbackSynced"}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// TestReadWholeStatusRenamed: the whole status comes back under the source identity recorded
// at delivery although the WEC holds the object under another name; objects without a status
// request give nothing.
func TestReadWholeStatusRenamed(t *testing.T) {
	mw := planned(t, "wec1", "web-wec1", nil)
	report(mw, "web-wec1", synced, raw("status", `{"replicas":2,"updatedReplicas":2,"observedGeneration":3,"conditions":[{"type":"Available"}]}`))
	got := NewReader(nil).Read([]*workv1.ManifestWork{mw})
	require.Len(t, got, 1)
	r := got[0]
	assert.Equal(t, Key{Object: webSource, WEC: "wec1"}, r.Key)
	assert.Equal(t, "web-wec1", r.Delivered.Name)
	assert.Equal(t, mw.Name, r.Work)
	assert.True(t, r.Reported)
	require.NoError(t, r.Err)
	assert.Equal(t, int64(2), r.Status["replicas"], "integers decode as int64, like unstructured objects")
	assert.Equal(t, int64(3), r.Status["observedGeneration"])
	assert.Len(t, r.Status["conditions"], 1)
}

// TestReadNotReported: no feedback yet, and a work not written by delivery, report nothing
// returned.
func TestReadNotReported(t *testing.T) {
	mw := planned(t, "wec1", "web", nil)
	report(mw, "web", nil)
	got := NewReader(nil).Read([]*workv1.ManifestWork{mw, nil})
	require.Len(t, got, 1)
	assert.False(t, got[0].Reported)
	assert.Nil(t, got[0].Status)
	assert.True(t, got[0].LastUpdated.IsZero())

	foreign := mw.DeepCopy()
	delete(foreign.Labels, delivery.ManagedByLabel)
	assert.Empty(t, NewReader(nil).Read([]*workv1.ManifestWork{foreign}))

	// Synced with no value: the object on the WEC has no .status; reported, empty.
	report(mw, "web", synced)
	got = NewReader(nil).Read([]*workv1.ManifestWork{mw})
	assert.True(t, got[0].Reported)
	assert.Equal(t, map[string]any{}, got[0].Status)
}

// TestReadWholeTooLarge: the agent failed the whole value: typed error, nothing reported.
func TestReadWholeTooLarge(t *testing.T) {
	mw := planned(t, "wec1", "web", nil)
	report(mw, "web", &metav1.Condition{Type: delivery.FeedbackConditionType, Status: metav1.ConditionFalse,
		Reason: "StatusFeedbackSyncFailed", Message: "the length of returned json raw string for name status is larger than the maximum length 1024"})
	got := NewReader(nil).Read([]*workv1.ManifestWork{mw})
	require.Len(t, got, 1)
	assert.False(t, got[0].Reported)
	require.ErrorIs(t, got[0].Err, ErrStatusTooLarge)
	var tl *TooLargeError
	require.ErrorAs(t, got[0].Err, &tl)
	assert.Equal(t, webSource, tl.Object)
	assert.Equal(t, "wec1", tl.WEC)
	assert.Empty(t, tl.Fields)
}

// TestReadFieldByField: after delivery split the request, the fields are reassembled; a field
// alone too large is a typed error naming it, and the other fields still come back.
func TestReadFieldByField(t *testing.T) {
	first := planned(t, "wec1", "web", nil)
	report(first, "web", &metav1.Condition{Type: delivery.FeedbackConditionType, Status: metav1.ConditionFalse, Reason: "StatusFeedbackSyncFailed"})
	mw := planned(t, "wec1", "web", []*workv1.ManifestWork{first})
	_, fields := delivery.FeedbackRequest(configFor(mw, delivery.ResourceID{Group: "apps", Resource: "deployments", Namespace: "prod", Name: "web"}))
	require.Contains(t, fields, "conditions")

	report(mw, "web", &metav1.Condition{Type: delivery.FeedbackConditionType, Status: metav1.ConditionFalse, Reason: "StatusFeedbackSyncFailed",
		Message: "Sync status feedback failed with error the length of returned json raw string for name status.conditions is larger than the maximum length 1024"},
		integer("status.replicas", 2), integer("status.observedGeneration", 3), raw("status.availableReplicas", "0"))
	got := NewReader(nil).Read([]*workv1.ManifestWork{mw})
	require.Len(t, got, 1)
	r := got[0]
	assert.True(t, r.Reported)
	assert.Equal(t, map[string]any{"replicas": int64(2), "observedGeneration": int64(3), "availableReplicas": int64(0)}, r.Status)
	var tl *TooLargeError
	require.ErrorAs(t, r.Err, &tl)
	assert.Equal(t, []string{"conditions"}, tl.Fields, "only the field the agent named, not the absent ones")
}

// TestReadBadValues: hostile values are typed errors, never panics.
func TestReadBadValues(t *testing.T) {
	for name, v := range map[string]workv1.FeedbackValue{
		"not JSON":       raw("status", `{"replicas":`),
		"not an object":  raw("status", `[1,2]`),
		"scalar":         integer("status", 1),
		"missing member": {Name: "status", Value: workv1.FieldValue{Type: workv1.JsonRaw}},
	} {
		t.Run(name, func(t *testing.T) {
			mw := planned(t, "wec1", "web", nil)
			report(mw, "web", synced, v)
			got := NewReader(nil).Read([]*workv1.ManifestWork{mw})
			require.Len(t, got, 1)
			require.ErrorIs(t, got[0].Err, ErrBadFeedback)
			var fe *FeedbackError
			require.ErrorAs(t, got[0].Err, &fe)
			assert.Equal(t, "status", fe.Rule)
		})
	}
	mw := planned(t, "wec1", "web-x", nil)
	mw.Annotations[delivery.StatusSourcesAnnotation] = "not json"
	report(mw, "web-x", synced, raw("status", `{}`))
	got := NewReader(nil).Read([]*workv1.ManifestWork{mw})
	require.Len(t, got, 1)
	assert.ErrorIs(t, got[0].Err, delivery.ErrInvalidInput)
	assert.Equal(t, "web-x", got[0].Object.Name, "falls back to the delivered identity")
}

// TestLastUpdated: the first observation takes the work's newest status write; an unchanged
// value keeps its time; a changed value gets the time it was observed; Forget starts over.
func TestLastUpdated(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	statusWrite := c.t.Add(-time.Hour)
	mw := planned(t, "wec1", "web", nil)
	mw.ManagedFields = []metav1.ManagedFieldsEntry{
		{Manager: "work-agent", Subresource: "status", Time: &metav1.Time{Time: statusWrite.Add(-time.Minute)}},
		{Manager: "work-agent", Subresource: "status", Time: &metav1.Time{Time: statusWrite}},
		{Manager: "wecforge", Time: &metav1.Time{Time: c.t}},
	}
	report(mw, "web", synced, raw("status", `{"replicas":1}`))
	r := NewReader(c.now)
	assert.Equal(t, statusWrite, r.Read([]*workv1.ManifestWork{mw})[0].LastUpdated)

	c.add(time.Minute)
	assert.Equal(t, statusWrite, r.Read([]*workv1.ManifestWork{mw})[0].LastUpdated, "unchanged value")

	report(mw, "web", synced, raw("status", `{"replicas":2}`))
	changed := c.now()
	c.add(time.Minute)
	assert.Equal(t, c.now(), r.Read([]*workv1.ManifestWork{mw})[0].LastUpdated)
	c.add(time.Minute)
	assert.NotEqual(t, changed, r.Read([]*workv1.ManifestWork{mw})[0].LastUpdated)

	r.Forget("wec1", mw.Name)
	assert.Equal(t, statusWrite, r.Read([]*workv1.ManifestWork{mw})[0].LastUpdated, "forgotten: first observation again")
}

// TestReaderConcurrent: one Reader used from many goroutines (run with -race), the input
// never modified.
func TestReaderConcurrent(t *testing.T) {
	mw := planned(t, "wec1", "web", nil)
	report(mw, "web", synced, raw("status", `{"replicas":1}`))
	before := mw.DeepCopy()
	r := NewReader(nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				got := r.Read([]*workv1.ManifestWork{mw})
				got[0].Status["mutated"] = true
			}
		})
	}
	wg.Wait()
	assert.Equal(t, before, mw)
}

// TestStripWorkload: the transform drops the manifests and non-status managedFields and keeps
// what the reader needs; the reader reads the stripped work the same.
func TestStripWorkload(t *testing.T) {
	mw := planned(t, "wec1", "web-wec1", nil)
	report(mw, "web-wec1", synced, raw("status", `{"replicas":2}`))
	mw.ManagedFields = []metav1.ManagedFieldsEntry{
		{Manager: "wecforge", FieldsV1: metav1.NewFieldsV1(`{"f:spec":{}}`)},
		{Manager: "work-agent", Subresource: "status", FieldsV1: metav1.NewFieldsV1(`{"f:status":{}}`)},
	}
	c := &clock{t: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	want := NewReader(c.now).Read([]*workv1.ManifestWork{mw})
	out, err := StripWorkload(mw.DeepCopy())
	require.NoError(t, err)
	s := out.(*workv1.ManifestWork)
	assert.Empty(t, s.Spec.Workload.Manifests)
	require.Len(t, s.ManagedFields, 1)
	assert.Equal(t, "status", s.ManagedFields[0].Subresource)
	assert.NotEmpty(t, s.Spec.ManifestConfigs)
	assert.Equal(t, want, NewReader(c.now).Read([]*workv1.ManifestWork{s}))

	other := "tombstone"
	got, err := StripWorkload(other)
	require.NoError(t, err)
	assert.Equal(t, other, got)
	_, err = NewInformer(nil, 0)
	assert.Error(t, err)
	assert.False(t, errors.Is(err, ErrStatusTooLarge))
}
