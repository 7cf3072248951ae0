package loop

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wecforge/wecforge/examples/transport/statusloop"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
)

// recordingSink is a statusloop.PlacementSink that records what the loop hands over and
// wants the status of the WECs in S.
type recordingSink struct {
	mu      sync.Mutex
	placed  map[string]statusloop.ObjectPlacement // by object name
	deleted []string
}

func (r *recordingSink) SetPlacement(p statusloop.ObjectPlacement) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.placed[p.Object.GetName()] = p
	return nil
}

func (r *recordingSink) DeletePlacement(ref transform.ObjectRef) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.placed, ref.Name)
	r.deleted = append(r.deleted, ref.Name)
}

func (r *recordingSink) StatusRequest(ref transform.ObjectRef, wec string) *delivery.StatusRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.placed[ref.Name]; ok && slices.Contains(p.Request.S, wec) {
		return &delivery.StatusRequest{Source: ref}
	}
	return nil
}

func (r *recordingSink) get(name string) (statusloop.ObjectPlacement, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.placed[name]
	return p, ok
}

// statusPolicy is policy() asking for the singleton reported state and naming collectors.
func statusPolicy(name, uid, wec string, collectors []any, names ...string) *unstructured.Unstructured {
	p := policy(name, wec, names...)
	p.SetUID(types.UID("uid-" + uid))
	clause := p.Object["spec"].(map[string]any)["downsync"].([]any)[0].(map[string]any)
	clause["wantSingletonReportedState"] = true
	if collectors != nil {
		clause["statusCollectors"] = collectors
	}
	return p
}

// feedbackFor returns the names of the objects wec's works ask feedback for.
func (h *fakeHub) feedbackFor(t *testing.T, wec string) []string {
	t.Helper()
	list, err := h.work.WorkV1().ManifestWorks(wec).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, w := range list.Items {
		for i := range w.Spec.ManifestConfigs {
			if whole, fields := delivery.FeedbackRequest(&w.Spec.ManifestConfigs[i]); whole || len(fields) > 0 {
				out = append(out, w.Spec.ManifestConfigs[i].ResourceIdentifier.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestLoopHandsStatusOver: in policies mode the loop hands the status loop each object whose
// policies ask for reported state, with the request and the policies naming collectors (and
// their UIDs); deliveries carry the sink's status requests; when a policy stops asking, the
// object is forgotten and the WEC is delivered again without the feedback rule although no
// rendered object changed.
func TestLoopHandsStatusOver(t *testing.T) {
	clusters := []runtime.Object{mc("east1", map[string]string{"region": "east", "name": "east1"})}
	sink := &recordingSink{placed: map[string]statusloop.ObjectPlacement{}}
	src := newSource(cm("a"), cm("b"), statusPolicy("p", "p", "east1", []any{"sum"}, "a"), policy("w", "east1", "a", "b"))
	h := startLoop(t, Config{Placement: PlacementPolicies, ShrinkConfirmAfter: time.Hour, Status: sink}, clusters, nil, src)
	eventually(t, "a delivered with feedback, b without", func() bool {
		return assert.ObjectsAreEqual([]string{"a"}, h.feedbackFor(t, "east1")) && len(h.objects(t, "east1")) == 2
	})
	p, ok := sink.get("a")
	assert.True(t, ok)
	assert.Equal(t, placement.StatusRequest{Singleton: true, S: []string{"east1"}, M: []string{}}, p.Request)
	assert.Equal(t, []combine.Policy{{Name: "p", UID: "uid-p", WECs: []string{"east1"}, Collectors: []string{"sum"}}}, p.Policies)
	_, ok = sink.get("b")
	assert.False(t, ok, "b asks for nothing")

	src.set(cm("a"), cm("b"), policy("p", "east1", "a"), policy("w", "east1", "a", "b"))
	eventually(t, "a delivered again without feedback", func() bool {
		return len(h.feedbackFor(t, "east1")) == 0
	})
	sink.mu.Lock()
	assert.Equal(t, []string{"a"}, sink.deleted)
	sink.mu.Unlock()
	assert.Len(t, h.objects(t, "east1"), 2)
}
