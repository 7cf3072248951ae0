package loop

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	workfake "open-cluster-management.io/api/client/work/clientset/versioned/fake"

	"github.com/wecforge/wecforge/registry/delivery"
)

// fakeOwnership is an Ownership and a delivery.Fencer a test edits: the WECs it owns, each
// with an epoch that grows on every gain, and leadership. Every edit signals Changes the way
// the contract says (a non-blocking send on a channel of capacity 1).
type fakeOwnership struct {
	mu      sync.Mutex
	owned   map[string]bool
	epochs  map[string]int64
	leader  bool
	changes chan struct{}
}

func newFakeOwnership(leader bool, owned ...string) *fakeOwnership {
	o := &fakeOwnership{owned: map[string]bool{}, epochs: map[string]int64{}, leader: leader, changes: make(chan struct{}, 1)}
	for _, w := range owned {
		o.owned[w] = true
		o.epochs[w] = 1
	}
	return o
}

func (o *fakeOwnership) Owns(wec string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.owned[wec]
}

func (o *fakeOwnership) Leader() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.leader
}

func (o *fakeOwnership) Changes() <-chan struct{} { return o.changes }

func (o *fakeOwnership) Fence(wec string) (string, int64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return "me", o.epochs[wec], o.owned[wec]
}

func (o *fakeOwnership) signal() {
	select {
	case o.changes <- struct{}{}:
	default:
	}
}

// set gains or loses wec (a gain raises its epoch, as a Lease transition does).
func (o *fakeOwnership) set(wec string, own bool) {
	o.mu.Lock()
	if own && !o.owned[wec] {
		o.epochs[wec]++
	}
	o.owned[wec] = own
	o.mu.Unlock()
	o.signal()
}

func (o *fakeOwnership) setLeader(v bool) {
	o.mu.Lock()
	o.leader = v
	o.mu.Unlock()
	o.signal()
}

// stamp returns the owner and epoch annotations of wec's works (one value each, or "mixed").
func (h *fakeHub) stamp(t *testing.T, wec string) (string, string) {
	t.Helper()
	list, err := h.work.WorkV1().ManifestWorks(wec).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	owner, epoch := "", ""
	for i, w := range list.Items {
		o, e := w.Annotations[delivery.OwnerAnnotation], w.Annotations[delivery.EpochAnnotation]
		if i > 0 && (o != owner || e != epoch) {
			return "mixed", "mixed"
		}
		owner, epoch = o, e
	}
	return owner, epoch
}

// writesTo counts the ManifestWork creates, updates and deletes in wec's namespace.
func (h *fakeHub) writesTo(wec string) int {
	n := 0
	for _, a := range h.work.Actions() {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete":
			if a.GetNamespace() == wec {
				n++
			}
		}
	}
	return n
}

// TestLoopOwnership: a replica delivers only the WECs it owns; gaining a WEC delivers it at
// once, stamped with the new epoch (a takeover, counted); losing one stops its writes, even for
// a source change.
func TestLoopOwnership(t *testing.T) {
	own := newFakeOwnership(true, "east1")
	m := NewMetrics()
	src := newSource(cm("a"), cm("b"))
	h := startLoop(t, Config{RelabelGrace: time.Hour, ShrinkConfirmAfter: time.Hour, Ownership: own, Metrics: m},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"}), mc("east2", map[string]string{"region": "east"})},
		nil, src)
	eventually(t, "the owned WEC delivered", func() bool { return len(h.objects(t, "east1")) == 2 })
	owner, epoch := h.stamp(t, "east1")
	assert.Equal(t, "me", owner)
	assert.Equal(t, "1", epoch)
	eventually(t, "owned gauge", func() bool { return testutil.ToFloat64(m.owned) == 1 })
	assert.Equal(t, 1.0, testutil.ToFloat64(m.leader))
	time.Sleep(200 * time.Millisecond)
	assert.Zero(t, h.writesTo("east2"), "an unowned WEC gets no write")
	assert.Equal(t, []string{"east1"}, h.c.Owned())

	own.set("east2", true)
	eventually(t, "a gained WEC is delivered at once", func() bool { return len(h.objects(t, "east2")) == 2 })
	owner, epoch = h.stamp(t, "east2")
	assert.Equal(t, "me", owner)
	assert.Equal(t, "1", epoch, "the first owner of east2")
	eventually(t, "takeover counted", func() bool { return testutil.ToFloat64(m.takeovers) == 1 })
	assert.Equal(t, 2.0, testutil.ToFloat64(m.owned))

	// Lose east1 and change the source: only east2 follows.
	own.set("east1", false)
	eventually(t, "loss seen", func() bool { return testutil.ToFloat64(m.owned) == 1 })
	before := h.writesTo("east1")
	src.set(cm("a"), cm("b"), cm("c"))
	eventually(t, "the owned WEC follows the source", func() bool { return len(h.objects(t, "east2")) == 3 })
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, before, h.writesTo("east1"), "a lost WEC gets no write")
	assert.Len(t, h.objects(t, "east1"), 2)

	// Gain it back (a new epoch): the change made meanwhile lands, stamped with the new epoch.
	own.set("east1", true)
	eventually(t, "regained WEC catches up", func() bool { return len(h.objects(t, "east1")) == 3 })
	owner, epoch = h.stamp(t, "east1")
	assert.Equal(t, "me", owner)
	assert.Equal(t, "2", epoch)
	assert.Equal(t, 2.0, testutil.ToFloat64(m.takeovers))
}

// TestLoopUnownedNeverDeleted: a WEC this replica does not own is never treated as dropped —
// relabelled out of the target set for many relabel graces, or holding works of this source
// key at start-up, its works stay. Once the replica gains it, the normal relabel grace applies
// and its works go.
func TestLoopUnownedNeverDeleted(t *testing.T) {
	own := newFakeOwnership(true, "east1", "east2")
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	plan, err := delivery.New(workfake.NewSimpleClientset(), delivery.Options{})
	require.NoError(t, err)
	left, err := plan.Plan("west9", "guard", []delivery.Object{{Object: cm("a")}}, nil)
	require.NoError(t, err)
	grace := 300 * time.Millisecond
	h := startLoop(t, Config{RelabelGrace: grace, ShrinkConfirmAfter: time.Hour, Ownership: own},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"}), mc("east2", map[string]string{"region": "east"}),
			mc("west9", map[string]string{"region": "west"})},
		[]runtime.Object{left[0]}, newSource(cm("a")))
	eventually(t, "delivered", func() bool {
		return len(h.objects(t, "east1")) == 1 && len(h.objects(t, "east2")) == 1
	})

	// east2 is lost, then relabelled out of the target set; east1 is relabelled while owned.
	own.set("east2", false)
	eventually(t, "loss seen", func() bool { return len(h.c.Owned()) == 1 })
	h.relabel(t, "east2", "west")
	h.relabel(t, "east1", "west")
	eventually(t, "the owned WEC loses its works after the grace", func() bool { return len(h.objects(t, "east1")) == 0 })
	time.Sleep(5 * grace)
	assert.Len(t, h.objects(t, "east2"), 1, "an unowned WEC keeps its works past any grace")
	assert.Len(t, h.objects(t, "west9"), 1, "the start-up sweep leaves unowned WECs alone")
	assert.Zero(t, h.writesTo("east2")-1, "east2 saw only its first delivery")

	// Gained while not a target: removed after the grace, as a relabel would be.
	gained := time.Now()
	own.set("east2", true)
	own.set("west9", true)
	eventually(t, "gained non-targets lose their works", func() bool {
		return len(h.objects(t, "east2")) == 0 && len(h.objects(t, "west9")) == 0
	})
	assert.GreaterOrEqual(t, time.Since(gained), grace, "not before the grace")
}

// TestLoopStatusOnlyAsLeader: the configuration documents' status is written only by the
// leader; gaining leadership writes it without any source change.
func TestLoopStatusOnlyAsLeader(t *testing.T) {
	own := newFakeOwnership(false, "east1")
	ct := removeCT("strip", "$.data.secret", "$[")
	status := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{customTransformsResource: "CustomTransformList", customizationRulesResource: "CustomizationRuleList"},
		ct.DeepCopy())
	h := startLoop(t, Config{LiveConfig: true, SourceStatus: status, Ownership: own},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"})}, nil, newSource(withSecret(cm("c1")), ct))
	eventually(t, "delivered", func() bool { return h.manifest(t, "east1", "c1") != nil })
	statusErrors := func() ([]string, bool) {
		u, err := status.Resource(customTransformsResource).Get(t.Context(), "strip", metav1.GetOptions{})
		require.NoError(t, err)
		return unstructuredStrings(u, "status", "errors")
	}
	time.Sleep(200 * time.Millisecond)
	_, found := statusErrors()
	assert.False(t, found, "a follower writes no status")
	for _, a := range status.Actions() {
		assert.NotEqual(t, "update", a.GetVerb(), "a follower writes nothing to the source")
	}

	own.setLeader(true)
	eventually(t, "the new leader writes the status", func() bool {
		errs, found := statusErrors()
		return found && len(errs) == 1
	})
}

// TestLoopFencedNotRetried: a delivery stopped by fencing (another owner's stamp on the works)
// is logged, counted and not retried until ownership changes.
func TestLoopFencedNotRetried(t *testing.T) {
	own := newFakeOwnership(true, "east1")
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	plan, err := delivery.New(workfake.NewSimpleClientset(), delivery.Options{})
	require.NoError(t, err)
	held, err := plan.Plan("east1", "guard", []delivery.Object{{Object: cm("old")}}, nil)
	require.NoError(t, err)
	held[0].Annotations = map[string]string{delivery.OwnerAnnotation: "other", delivery.EpochAnnotation: strconv.Itoa(7)}
	m := NewMetrics()
	h := startLoop(t, Config{RelabelGrace: time.Hour, ShrinkConfirmAfter: time.Hour, Ownership: own, Metrics: m},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"})}, []runtime.Object{held[0]}, newSource(cm("a")))
	eventually(t, "fenced", func() bool { return testutil.ToFloat64(m.fenced) >= 1 })
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, 1.0, testutil.ToFloat64(m.fenced), "not hot-retried")
	assert.Equal(t, []string{"old"}, h.objects(t, "east1"), "the other owner's works are untouched")
	assert.Zero(t, testutil.ToFloat64(m.errors.WithLabelValues(ErrorDelivery)), "fencing is not a delivery error")
}

func unstructuredStrings(u *unstructured.Unstructured, path ...string) ([]string, bool) {
	s, found, _ := unstructured.NestedStringSlice(u.Object, path...)
	return s, found
}

// raisingOwnership is a fakeOwnership that is also a delivery.EpochRaiser, the way the
// Sharder is: a stamp above its epoch makes it raise the epoch past the stamp and signal a
// change. Its RaiseEpoch returns only once the loop has started handling that change (the
// change call asked Leader), so the fenced Apply that called it ends after the change: the
// race a real Sharder's renewal can produce.
type raisingOwnership struct {
	*fakeOwnership
	leaderCalls atomic.Int64
}

func (o *raisingOwnership) Leader() bool {
	o.leaderCalls.Add(1)
	return o.fakeOwnership.Leader()
}

func (o *raisingOwnership) RaiseEpoch(wec string, past int64) {
	o.mu.Lock()
	raised := o.owned[wec] && o.epochs[wec] <= past
	if raised {
		o.epochs[wec] = past + 1
	}
	o.mu.Unlock()
	if !raised {
		return
	}
	seen := o.leaderCalls.Load()
	o.signal()
	// The loop asks Leader once per ownership change (nothing else does without LiveConfig);
	// then give that call time to finish before the fenced Apply returns.
	deadline := time.Now().Add(5 * time.Second)
	for o.leaderCalls.Load() == seen && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
}

// TestLoopFencedDuringChange: an ownership change that arrives while a delivery is being fenced
// (here the epoch raise that the fencing itself triggers) is not lost: the WEC the change queued
// again is delivered under the new epoch instead of staying fenced until some later change.
func TestLoopFencedDuringChange(t *testing.T) {
	own := &raisingOwnership{fakeOwnership: newFakeOwnership(true, "east1")}
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	plan, err := delivery.New(workfake.NewSimpleClientset(), delivery.Options{})
	require.NoError(t, err)
	held, err := plan.Plan("east1", "guard", []delivery.Object{{Object: cm("old")}}, nil)
	require.NoError(t, err)
	held[0].Annotations = map[string]string{delivery.OwnerAnnotation: "me", delivery.EpochAnnotation: "7"}
	m := NewMetrics()
	h := startLoop(t, Config{RelabelGrace: time.Hour, ShrinkConfirmAfter: time.Hour, Ownership: own, Metrics: m},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"})}, []runtime.Object{held[0]}, newSource(cm("a")))
	eventually(t, "delivered under the raised epoch after one fenced try", func() bool {
		o, e := h.stamp(t, "east1")
		return o == "me" && e == "8"
	})
	assert.Equal(t, []string{"a"}, h.objects(t, "east1"))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.fenced), "fenced once, by the stamp above the first epoch")
}

// rendered sums the (object, WEC) pairs the loop rendered, over its whole history.
func rendered(c *Controller) int {
	n := 0
	for _, r := range c.History() {
		n += r.Rendered
	}
	return n
}

// TestLoopRendersOnlyOwned: with an Ownership only the target WECs this replica owns are
// rendered. An unowned target renders nothing; gaining it renders its pairs once and delivers
// them; losing one drops it from the renderer without any hub write, and source changes then
// render only the owned WECs.
func TestLoopRendersOnlyOwned(t *testing.T) {
	own := newFakeOwnership(true, "east1")
	m := NewMetrics()
	src := newSource(cm("a"), cm("b"))
	h := startLoop(t, Config{RelabelGrace: time.Hour, ShrinkConfirmAfter: time.Hour, Ownership: own, Metrics: m},
		[]runtime.Object{mc("east1", map[string]string{"region": "east"}), mc("east2", map[string]string{"region": "east"})},
		nil, src)
	eventually(t, "the owned WEC delivered", func() bool { return len(h.objects(t, "east1")) == 2 })
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, []string{"east1"}, h.c.renderer.WECs(), "only the owned target is rendered")
	assert.Equal(t, 2, rendered(h.c), "two objects on one owned WEC")
	assert.Zero(t, h.writesTo("east2"))

	// Gaining east2 costs one render of its pairs, and delivers it.
	own.set("east2", true)
	eventually(t, "the gained WEC is delivered", func() bool { return len(h.objects(t, "east2")) == 2 })
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, []string{"east1", "east2"}, h.c.renderer.WECs())
	assert.Equal(t, 4, rendered(h.c), "the takeover rendered east2's two pairs, nothing else")
	for _, r := range h.c.History() {
		if r.Cause == "wec east2" && r.Rendered > 0 {
			t.Logf("takeover of east2: %d pairs rendered, %d writes, in %v", r.Rendered, r.Writes, r.Duration)
		}
	}

	// Losing east1 drops it from the renderer and writes nothing to it.
	before := h.writesTo("east1")
	own.set("east1", false)
	eventually(t, "the lost WEC leaves the renderer", func() bool { return !h.c.renderer.Has("east1") })
	assert.Equal(t, before, h.writesTo("east1"), "losing a WEC writes nothing")
	assert.Len(t, h.objects(t, "east1"), 2, "its works stay for the owner")

	// A source change renders only the owned WEC.
	src.set(cm("a"), cm("b"), cm("c"))
	eventually(t, "the owned WEC follows the source", func() bool { return len(h.objects(t, "east2")) == 3 })
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, 5, rendered(h.c), "the new object rendered for east2 alone")
	assert.Equal(t, before, h.writesTo("east1"))
	assert.Equal(t, []string{"east2"}, h.c.Delivered())
}
