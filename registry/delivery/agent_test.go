package delivery

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
	"open-cluster-management.io/api/client/work/clientset/versioned/fake"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/transform"
)

var worksGVR = schema.GroupVersionResource{Group: "work.open-cluster-management.io", Version: "v1", Resource: "manifestworks"}

// agentHub is OCM's fake work clientset made to behave like the hub's API server where it
// matters here (metadata.generation moves with the spec), plus a model of OCM's work agent for
// one WEC. The model keeps, per object on the WEC, the set of works that applied it (its owner
// references); reconciling a work applies its manifests (adding the work as owner) and drops
// the work from the owners of objects it no longer holds, deleting an object left without
// owners. Each work is reconciled on its own, when step or reconcile says so; a deleted work
// releases its objects when it is reconciled next.
type agentHub struct {
	cs *fake.Clientset
	ns string

	mu      sync.Mutex
	owners  map[transform.ObjectRef]map[string]bool
	content map[transform.ObjectRef]string
	applied map[string]map[transform.ObjectRef]string
	deleted map[string]bool
	// down stops the agent: reconcile and onGet do nothing.
	down bool
	// onGet runs (with mu held) whenever the hub serves a Get, standing in for the agent
	// working while a client polls.
	onGet func(h *agentHub)
	// writes records "action name" of every create, update and delete, in order.
	writes []string
	// lost records objects that were on the WEC and vanished while protected.
	lost []string
	// protected objects must never vanish from the WEC once there.
	protected map[transform.ObjectRef]bool
}

func newAgentHub(ns string) *agentHub {
	h := &agentHub{
		//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
		cs: fake.NewSimpleClientset(), ns: ns,
		owners: map[transform.ObjectRef]map[string]bool{}, content: map[transform.ObjectRef]string{},
		applied: map[string]map[transform.ObjectRef]string{}, deleted: map[string]bool{},
		protected: map[transform.ObjectRef]bool{},
	}
	tracker := h.cs.Tracker()
	h.cs.PrependReactor("create", "manifestworks", func(a clienttesting.Action) (bool, runtime.Object, error) {
		mw := a.(clienttesting.CreateAction).GetObject().(*workv1.ManifestWork)
		mw.Generation = 1
		h.mu.Lock()
		h.writes = append(h.writes, "create "+mw.Name)
		h.mu.Unlock()
		return false, nil, nil
	})
	h.cs.PrependReactor("update", "manifestworks", func(a clienttesting.Action) (bool, runtime.Object, error) {
		mw := a.(clienttesting.UpdateAction).GetObject().(*workv1.ManifestWork)
		old, err := tracker.Get(worksGVR, mw.Namespace, mw.Name)
		if err != nil {
			return true, nil, err
		}
		prev := old.(*workv1.ManifestWork)
		mw.Generation = prev.Generation
		if !equality.Semantic.DeepEqual(prev.Spec, mw.Spec) {
			mw.Generation++
		}
		h.mu.Lock()
		h.writes = append(h.writes, "update "+mw.Name)
		h.mu.Unlock()
		return false, nil, nil
	})
	h.cs.PrependReactor("delete", "manifestworks", func(a clienttesting.Action) (bool, runtime.Object, error) {
		name := a.(clienttesting.DeleteAction).GetName()
		h.mu.Lock()
		h.writes = append(h.writes, "delete "+name)
		h.deleted[name] = true
		h.mu.Unlock()
		return false, nil, nil
	})
	h.cs.PrependReactor("get", "manifestworks", func(clienttesting.Action) (bool, runtime.Object, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.onGet != nil && !h.down {
			h.onGet(h)
		}
		return false, nil, nil
	})
	return h
}

// names returns the works the agent can reconcile: live ones and deleted ones not yet released.
func (h *agentHub) names() []string {
	objs, _ := h.cs.Tracker().List(worksGVR, schema.GroupVersionKind{Group: "work.open-cluster-management.io", Version: "v1", Kind: "ManifestWork"}, h.ns)
	set := map[string]bool{}
	for _, mw := range objs.(*workv1.ManifestWorkList).Items {
		set[mw.Name] = true
	}
	for n := range h.deleted {
		set[n] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// reconcile runs the agent on one work; mu must be held.
func (h *agentHub) reconcile(name string) {
	if h.down {
		return
	}
	obj, err := h.cs.Tracker().Get(worksGVR, h.ns, name)
	now := map[transform.ObjectRef]string{}
	var mw *workv1.ManifestWork
	if err == nil {
		mw = obj.(*workv1.ManifestWork).DeepCopy()
		for _, m := range mw.Spec.Workload.Manifests {
			var u map[string]any
			if json.Unmarshal(m.Raw, &u) != nil {
				continue
			}
			id := identity(transform.RefOf(u))
			now[id] = string(m.Raw)
			if h.owners[id] == nil {
				h.owners[id] = map[string]bool{}
			}
			h.owners[id][name] = true
			h.content[id] = string(m.Raw)
		}
	} else {
		delete(h.deleted, name)
	}
	for id := range h.applied[name] {
		if _, ok := now[id]; ok {
			continue
		}
		delete(h.owners[id], name)
		if len(h.owners[id]) == 0 {
			delete(h.owners, id)
			delete(h.content, id)
			if h.protected[id] {
				h.lost = append(h.lost, fmt.Sprintf("%s deleted when %s released it", id, name))
			}
		}
	}
	if mw == nil {
		delete(h.applied, name)
		return
	}
	h.applied[name] = now
	meta.SetStatusCondition(&mw.Status.Conditions, metav1.Condition{Type: workv1.WorkApplied, Status: metav1.ConditionTrue,
		Reason: "AppliedManifestWorkComplete", ObservedGeneration: mw.Generation})
	_ = h.cs.Tracker().Update(worksGVR, mw, h.ns)
}

// settle reconciles every work until nothing changes (bounded).
func (h *agentHub) settle() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for range 4 {
		for _, n := range h.names() {
			h.reconcile(n)
		}
	}
}

// onWEC returns the objects on the WEC with their content.
func (h *agentHub) onWEC() map[transform.ObjectRef]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.content)
}

// protect marks objects that must never vanish once on the WEC.
func (h *agentHub) protect(ids ...transform.ObjectRef) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		h.protected[id] = true
	}
}

func (h *agentHub) lostObjects() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.lost)
}

func (h *agentHub) writeLog() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.writes)
}

// held returns, per work, the identities its spec holds.
func (h *agentHub) held(t testing.TB) map[string][]transform.ObjectRef {
	t.Helper()
	objs, err := h.cs.Tracker().List(worksGVR, schema.GroupVersionKind{Group: "work.open-cluster-management.io", Version: "v1", Kind: "ManifestWork"}, h.ns)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]transform.ObjectRef{}
	for _, mw := range objs.(*workv1.ManifestWorkList).Items {
		for _, m := range mw.Spec.Workload.Manifests {
			var u map[string]any
			if err := json.Unmarshal(m.Raw, &u); err != nil {
				t.Fatal(err)
			}
			out[mw.Name] = append(out[mw.Name], identity(transform.RefOf(u)))
		}
	}
	return out
}
