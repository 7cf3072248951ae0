package statusloop

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/registry/returned"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/resources"
)

var webRef = transform.ObjectRef{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}

func ret(wec, work string, at int, status map[string]any) returned.Returned {
	r := returned.Returned{Key: returned.Key{Object: webRef, WEC: wec}, Work: work}
	if status != nil {
		r.Reported, r.Status, r.LastUpdated = true, status, time.Unix(int64(at), 0)
	}
	return r
}

// TestFeedbackMovesBetweenWorks: an object reported by two works of one WEC for a moment
// (delivery moved it) keeps one effective value; deleting the old work changes nothing,
// deleting the last one forgets the pair.
func TestFeedbackMovesBetweenWorks(t *testing.T) {
	f := newFeedbackState()
	k := fbKey{webRef, "east"}
	a, b := workKey{"east", "w-a"}, workKey{"east", "w-b"}

	changed, redeliver := f.setWork(a, []returned.Returned{ret("east", "w-a", 1, map[string]any{"replicas": int64(1)})})
	assert.Equal(t, []fbKey{k}, changed)
	assert.Empty(t, redeliver)

	// The new work reports a newer value: it wins.
	changed, _ = f.setWork(b, []returned.Returned{ret("east", "w-b", 2, map[string]any{"replicas": int64(2)})})
	assert.Equal(t, []fbKey{k}, changed)
	assert.Equal(t, int64(2), f.returnedOf(k).Status["replicas"])

	// The old work is deleted: the effective value stays.
	changed, _ = f.setWork(a, nil)
	assert.Empty(t, changed)
	// The same value read again: no change.
	changed, _ = f.setWork(b, []returned.Returned{ret("east", "w-b", 2, map[string]any{"replicas": int64(2)})})
	assert.Empty(t, changed)

	assert.Equal(t, []combine.WECStatus{{WEC: "east", Returned: combine.Returned{Reported: true,
		Status: map[string]any{"replicas": int64(2)}, LastUpdated: time.Unix(2, 0)}}}, f.statusesOf(webRef))

	changed, _ = f.setWork(b, nil)
	assert.Equal(t, []fbKey{k}, changed, "the WEC no longer reports")
	assert.Empty(t, f.statusesOf(webRef))
	assert.Empty(t, f.byKey)
	assert.Empty(t, f.works)
	assert.Empty(t, f.fields)
}

// TestFeedbackTooLarge: a whole-status too-large report asks for redelivery once per
// episode and keeps the last status read; a field-level one does not ask.
func TestFeedbackTooLarge(t *testing.T) {
	f := newFeedbackState()
	k := fbKey{webRef, "east"}
	w := workKey{"east", "w"}
	f.setWork(w, []returned.Returned{ret("east", "w", 1, map[string]any{"replicas": int64(1), "conditions": []any{}})})

	tooLarge := ret("east", "w", 0, nil)
	tooLarge.Err = &returned.TooLargeError{Object: webRef, WEC: "east", Work: "w"}
	changed, redeliver := f.setWork(w, []returned.Returned{tooLarge})
	assert.Equal(t, []fbKey{k}, redeliver)
	assert.Empty(t, changed, "the last status stands")
	assert.Equal(t, map[string]any{"replicas": int64(1), "conditions": []any{}}, f.returnedOf(k).Status)
	assert.Equal(t, []string{"conditions", "replicas"}, f.fieldsOf(webRef, "east"))

	_, redeliver = f.setWork(w, []returned.Returned{tooLarge})
	assert.Empty(t, redeliver, "asked once")

	// Field by field now, one field still too large: no new request.
	fields := ret("east", "w", 3, map[string]any{"replicas": int64(4)})
	fields.Err = &returned.TooLargeError{Object: webRef, WEC: "east", Work: "w", Fields: []string{"conditions"}}
	changed, redeliver = f.setWork(w, []returned.Returned{fields})
	assert.Equal(t, []fbKey{k}, changed)
	assert.Empty(t, redeliver)
	assert.True(t, errors.Is(f.effective[k].Err, returned.ErrStatusTooLarge))

	// Whole again later (a new work, say): a new episode asks again.
	_, redeliver = f.setWork(w, []returned.Returned{tooLarge})
	assert.Equal(t, []fbKey{k}, redeliver)
}

// TestSetPlacementInvalid: unusable placements are typed errors naming the object; nothing
// is recorded.
func TestSetPlacementInvalid(t *testing.T) {
	c := &Controller{opts: Options{Resources: resources.Builtin()}, placed: map[transform.ObjectRef]*placed{}}
	for _, tc := range []struct {
		name   string
		object *unstructured.Unstructured
	}{
		{"no object", nil},
		{"no name", &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment"}}},
		{"unknown kind", &unstructured.Unstructured{Object: map[string]any{"apiVersion": "x.io/v1", "kind": "Gizmo",
			"metadata": map[string]any{"name": "g"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.SetPlacement(ObjectPlacement{Object: tc.object, Request: placement.StatusRequest{Singleton: true, S: []string{"a"}}})
			require.ErrorIs(t, err, ErrInvalidPlacement)
			var pe *PlacementError
			require.ErrorAs(t, err, &pe)
			if tc.object != nil {
				assert.Contains(t, err.Error(), tc.object.GetKind())
			}
			assert.Empty(t, c.placed)
		})
	}
	var unknown *resources.UnknownKindError
	err := c.SetPlacement(ObjectPlacement{Object: &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "x.io/v1", "kind": "Gizmo", "metadata": map[string]any{"name": "g"}}}})
	assert.ErrorAs(t, err, &unknown, "the mapper's error is wrapped")
}

// TestPlacementInputNotModified: SetPlacement copies the slices it keeps and never modifies
// the object; StatusRequest answers only for the WECs whose status is wanted.
func TestPlacementInputNotModified(t *testing.T) {
	obj := deployment("shop", "web")
	obj.SetLabels(map[string]string{"app": "web"})
	before := obj.DeepCopy()
	s := []string{"east"}
	pols := []combine.Policy{{Name: "bp", WECs: []string{"north", "south"}, Collectors: []string{"c"}}}
	pl, err := newPlaced(ObjectPlacement{Object: obj, Request: placement.StatusRequest{Singleton: true, S: s}, Policies: pols}, resources.Builtin())
	require.NoError(t, err)
	s[0], pols[0].WECs[0] = "changed", "changed"
	assert.Equal(t, before, obj)
	assert.Equal(t, []string{"east"}, pl.spec.Request.S)
	assert.Equal(t, []string{"north", "south"}, pl.spec.Policies[0].WECs)
	assert.Equal(t, map[string]bool{"east": true, "north": true, "south": true}, pl.wecs)

	// The same object with a new resourceVersion is the same placement; a new label is not.
	again := obj.DeepCopy()
	again.SetResourceVersion("42")
	pl2, err := newPlaced(ObjectPlacement{Object: again, Request: placement.StatusRequest{Singleton: true, S: []string{"east"}},
		Policies: []combine.Policy{{Name: "bp", WECs: []string{"north", "south"}, Collectors: []string{"c"}}}}, resources.Builtin())
	require.NoError(t, err)
	assert.True(t, pl2.sameAs(pl))
	again.SetLabels(map[string]string{"app": "web", "x": "y"})
	pl3, err := newPlaced(ObjectPlacement{Object: again, Request: pl2.spec.Request, Policies: pl2.spec.Policies}, resources.Builtin())
	require.NoError(t, err)
	assert.False(t, pl3.sameAs(pl))
}
