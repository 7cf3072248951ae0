package delivery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/transform"
)

// fakeOpts keeps parts small and waits short, so moves happen with few objects and a stalled
// agent times out quickly.
var fakeOpts = Options{MaxBytes: 2048, MoveTimeout: 50 * time.Millisecond, MovePollInterval: time.Millisecond}

func cmRef(name string) transform.ObjectRef {
	return transform.ObjectRef{Kind: "ConfigMap", Namespace: "apps", Name: name}
}

func sized(sizes map[string]int) []Object {
	var out []Object
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for k := range sizes {
			if !yield(k) {
				return
			}
		}
	}) {
		out = append(out, Object{Object: configMap("apps", n, sizes[n])})
	}
	return out
}

func index(writes []string, w string) int { return slices.Index(writes, w) }

// TestApplyMoveWritesReceiverFirst grows an object out of its part and checks the order of
// writes: the receiving part, then (only once the agent reports it Applied) the giving part;
// and that no object is ever without an applied owner on the WEC.
func TestApplyMoveWritesReceiverFirst(t *testing.T) {
	h := newAgentHub("wec1")
	d, err := New(h.cs, fakeOpts)
	require.NoError(t, err)
	ctx := context.Background()
	sizes := map[string]int{"a": 600, "b": 600, "c": 600, "d": 600}
	rep, err := d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
	require.NoError(t, err)
	require.Len(t, rep.Created, 2, "a, b in part 0; c, d in part 1")
	h.settle()
	h.protect(cmRef("a"), cmRef("b"), cmRef("c"), cmRef("d"))
	before := h.held(t)

	// The agent reconciles only when asked about a work, and then only that one work.
	h.onGet = func(h *agentHub) {
		for _, n := range h.names() {
			h.reconcile(n)
		}
	}
	sizes["b"] = 1300 // b no longer fits beside a
	n := len(h.writeLog())
	rep, err = d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
	require.NoError(t, err)
	writes := h.writeLog()[n:]
	t.Logf("writes: %v, report: %s", writes, rep)
	after := h.held(t)
	assert.Equal(t, before[rep.Unchanged[0]], after[rep.Unchanged[0]], "the part that did not change keeps its objects")
	// b moved to a new part; part 0 first held it too (same content), then dropped it.
	base := d.baseName("k")
	require.Contains(t, writes, "create "+base+"-2")
	first := index(writes, "update "+base+"-0")
	require.GreaterOrEqual(t, first, 0)
	assert.Less(t, index(writes, "create "+base+"-2"), first, "receiver written before the giver")
	h.settle()
	assert.Empty(t, h.lostObjects())
	assert.Equal(t, map[string][]transform.ObjectRef{
		base + "-0": {cmRef("a")}, base + "-1": {cmRef("c"), cmRef("d")}, base + "-2": {cmRef("b")},
	}, after)
	assert.Contains(t, h.onWEC()[cmRef("b")], strings.Repeat("x", 1300))
}

// TestApplyMoveUnconfirmed stops the agent: the move times out with a *MoveError, the object
// stays in both parts with the same content, nothing is lost; the next Apply with the agent
// back finishes the move.
func TestApplyMoveUnconfirmed(t *testing.T) {
	h := newAgentHub("wec1")
	d, err := New(h.cs, fakeOpts)
	require.NoError(t, err)
	ctx := context.Background()
	sizes := map[string]int{"a": 600, "b": 600, "c": 600}
	_, err = d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
	require.NoError(t, err)
	h.settle()
	h.protect(cmRef("a"), cmRef("b"), cmRef("c"))

	h.mu.Lock()
	h.down = true
	h.mu.Unlock()
	sizes["a"] = 1300
	_, err = d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
	require.Error(t, err)
	require.ErrorIs(t, err, ErrMoveUnconfirmed)
	var me *MoveError
	require.True(t, errors.As(err, &me))
	assert.Equal(t, "wec1", me.WEC)
	assert.Equal(t, []transform.ObjectRef{cmRef("a")}, me.Objects)
	assert.Len(t, me.Waiting, 1)
	assert.Contains(t, err.Error(), "ConfigMap apps/a")

	holders := 0
	var contents []string
	list, err := h.cs.WorkV1().ManifestWorks("wec1").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, o := range list.Items {
		for _, m := range o.Spec.Workload.Manifests {
			if strings.Contains(string(m.Raw), `"name":"a"`) {
				holders++
				contents = append(contents, string(m.Raw))
			}
		}
	}
	assert.Equal(t, 2, holders, "a is in the giving and the receiving part")
	require.Len(t, contents, 2)
	assert.Equal(t, contents[0], contents[1], "with the same content")

	h.mu.Lock()
	h.down = false
	h.onGet = func(h *agentHub) {
		for _, n := range h.names() {
			h.reconcile(n)
		}
	}
	h.mu.Unlock()
	h.settle()
	assert.Empty(t, h.lostObjects())
	_, err = d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
	require.NoError(t, err)
	h.settle()
	assert.Empty(t, h.lostObjects())
	count := 0
	for _, ids := range h.held(t) {
		for _, id := range ids {
			if id == cmRef("a") {
				count++
			}
		}
	}
	assert.Equal(t, 1, count, "the move finished: a is in one part")
}

// TestApplyMoveReceiverDeleted deletes the receiving part by hand while Apply waits for it: a
// *MoveError wrapping ErrWorkDeleted, and the giving part still holds the object.
func TestApplyMoveReceiverDeleted(t *testing.T) {
	h := newAgentHub("wec1")
	d, err := New(h.cs, fakeOpts)
	require.NoError(t, err)
	ctx := context.Background()
	sizes := map[string]int{"a": 600, "b": 600}
	_, err = d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
	require.NoError(t, err)
	h.settle()
	receiver := d.baseName("k") + "-1"
	h.onGet = func(h *agentHub) {
		_ = h.cs.Tracker().Delete(worksGVR, "wec1", receiver)
	}
	sizes["b"] = 1500
	_, err = d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
	require.ErrorIs(t, err, ErrWorkDeleted)
	var me *MoveError
	require.True(t, errors.As(err, &me))
	assert.Equal(t, []string{receiver}, me.Waiting)
	assert.Contains(t, h.held(t)[d.baseName("k")+"-0"], cmRef("b"), "the giving part still holds b")
}

// TestApplyHubFailsMidMove makes the hub time out on the giving part's final write: the error
// is a *WorkError that apierrors.IsTimeout recognizes, and every object is still delivered.
func TestApplyHubFailsMidMove(t *testing.T) {
	h := newAgentHub("wec1")
	d, err := New(h.cs, fakeOpts)
	require.NoError(t, err)
	ctx := context.Background()
	sizes := map[string]int{"a": 600, "b": 600}
	_, err = d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
	require.NoError(t, err)
	h.settle()
	h.protect(cmRef("a"), cmRef("b"))
	h.onGet = func(h *agentHub) {
		for _, n := range h.names() {
			h.reconcile(n)
		}
	}
	giver := d.baseName("k") + "-0"
	updates := 0
	h.cs.PrependReactor("update", "manifestworks", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.(clienttesting.UpdateAction).GetObject().(metav1.Object).GetName() != giver {
			return false, nil, nil
		}
		updates++
		if updates == 2 { // the transitional write passes, the final one times out
			return true, nil, apierrors.NewTimeoutError("etcd request timed out", 1)
		}
		return false, nil, nil
	})
	sizes["b"] = 1500
	_, err = d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
	require.Error(t, err)
	assert.True(t, apierrors.IsTimeout(err), "%v", err)
	var we *WorkError
	require.True(t, errors.As(err, &we))
	assert.Equal(t, giver, we.Work)
	assert.Equal(t, "update", we.Action)
	h.settle()
	assert.Empty(t, h.lostObjects())
	assert.Len(t, h.onWEC(), 2)
}

// TestApplyWorkDeletedByHand deletes a part on the hub: the next Apply writes it again.
func TestApplyWorkDeletedByHand(t *testing.T) {
	h := newAgentHub("wec1")
	d, err := New(h.cs, fakeOpts)
	require.NoError(t, err)
	ctx := context.Background()
	objs := sized(map[string]int{"a": 600, "b": 600, "c": 600})
	_, err = d.Apply(ctx, "wec1", "k", objs, ApplyOptions{})
	require.NoError(t, err)
	part1 := d.baseName("k") + "-1"
	require.NoError(t, h.cs.WorkV1().ManifestWorks("wec1").Delete(ctx, part1, metav1.DeleteOptions{}))
	rep, err := d.Apply(ctx, "wec1", "k", objs, ApplyOptions{})
	require.NoError(t, err, "losing one of three objects is no shrink to refuse: it is not removed from the plan")
	assert.Equal(t, []string{part1}, rep.Created)

	// Deleted between the list and the update (the update, made at the listed version, finds
	// it gone): created again as well.
	h.cs.PrependReactor("update", "manifestworks", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.(clienttesting.UpdateAction).GetObject().(*workv1.ManifestWork).Name == part1 {
			_ = h.cs.Tracker().Delete(worksGVR, "wec1", part1)
		}
		return false, nil, nil
	})
	objs[2] = Object{Object: configMap("apps", "c", 700)}
	rep, err = d.Apply(ctx, "wec1", "k", objs, ApplyOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{part1}, rep.Created)
}

// FuzzApplyNeverOrphans drives random sequences of object growth, shrinkage and additions,
// with the modelled work agent reconciling random works at random times (and sometimes
// stopping), and checks that no object ever loses its last applied owner on the WEC; at the end
// the WEC holds exactly the wanted objects, each in one part.
func FuzzApplyNeverOrphans(f *testing.F) {
	f.Add(uint64(1), []byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add(uint64(7), []byte{10, 200, 30, 4, 250, 6, 17, 80, 9, 99})
	f.Add(uint64(42), []byte{255, 254, 253, 1, 1, 1, 128, 64, 32})
	f.Fuzz(func(t *testing.T, seed uint64, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		rng := rand.New(rand.NewPCG(seed, uint64(len(ops))))
		h := newAgentHub("wec1")
		d, err := New(h.cs, Options{MaxBytes: 2048, MoveTimeout: 3 * time.Millisecond, MovePollInterval: 100 * time.Microsecond})
		if err != nil {
			t.Fatal(err)
		}
		h.onGet = func(h *agentHub) {
			names := h.names()
			for i := rng.IntN(3); i > 0 && len(names) > 0; i-- {
				h.reconcile(names[rng.IntN(len(names))])
			}
		}
		ctx := context.Background()
		sizes := map[string]int{"a": 300, "b": 300, "c": 300}
		apply := func() {
			_, err := d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
			if err != nil && !errors.Is(err, ErrMoveUnconfirmed) {
				t.Fatalf("apply: %v", err)
			}
		}
		apply()
		h.settle()
		for n := range sizes {
			h.protect(cmRef(n))
		}
		for _, op := range ops {
			switch op % 5 {
			case 0, 1: // resize an object
				names := slices.Sorted(func(yield func(string) bool) {
					for k := range sizes {
						if !yield(k) {
							return
						}
					}
				})
				sizes[names[int(op/5)%len(names)]] = 50 + int(op)*7%1900
				apply()
			case 2: // add an object
				if len(sizes) < 10 {
					name := fmt.Sprintf("n%d", len(sizes))
					sizes[name] = 50 + int(op)*13%1500
					apply()
				}
			case 3: // the agent reconciles some works
				h.mu.Lock()
				names := h.names()
				for i := int(op/5)%4 + 1; i > 0 && len(names) > 0; i-- {
					h.reconcile(names[rng.IntN(len(names))])
				}
				h.mu.Unlock()
			case 4: // the agent stops or starts
				h.mu.Lock()
				h.down = !h.down
				h.mu.Unlock()
			}
			// Whatever reached the WEC is protected from now on.
			on := h.onWEC()
			for id := range on {
				h.protect(id)
			}
			if lost := h.lostObjects(); len(lost) > 0 {
				t.Fatalf("objects lost: %v", lost)
			}
		}
		h.mu.Lock()
		h.down = false
		h.mu.Unlock()
		h.settle()
		if _, err := d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{}); err != nil {
			t.Fatalf("final apply with the agent up: %v", err)
		}
		h.settle()
		if lost := h.lostObjects(); len(lost) > 0 {
			t.Fatalf("objects lost: %v", lost)
		}
		on := h.onWEC()
		if len(on) != len(sizes) {
			t.Fatalf("WEC holds %d objects, want %d", len(on), len(sizes))
		}
		seen := map[transform.ObjectRef]int{}
		for _, ids := range h.held(t) {
			for _, id := range ids {
				seen[id]++
			}
		}
		for n, size := range sizes {
			if seen[cmRef(n)] != 1 {
				t.Fatalf("%s is in %d parts", n, seen[cmRef(n)])
			}
			if !strings.Contains(on[cmRef(n)], `"blob":"`+strings.Repeat("x", size)+`"`) {
				t.Fatalf("%s has stale content on the WEC", n)
			}
		}
	})
}
