package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clienttesting "k8s.io/client-go/testing"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	"open-cluster-management.io/api/client/work/clientset/versioned/fake"
	workv1 "open-cluster-management.io/api/work/v1"
)

// testFencer is a Fencer whose answer tests change; before answering call n (from 1) it runs
// hook(n), outside its lock, so a test can act "between" a Deliverer's read and its write.
type testFencer struct {
	mu    sync.Mutex
	owner string
	epoch int64
	ok    bool
	// okCalls, when positive, makes every call after the first okCalls answer not ok.
	okCalls int
	calls   int
	hook    func(n int)
}

func newFencer(owner string, epoch int64) *testFencer {
	return &testFencer{owner: owner, epoch: epoch, ok: true}
}

func (f *testFencer) Fence(string) (string, int64, bool) {
	f.mu.Lock()
	f.calls++
	n, hook := f.calls, f.hook
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ok := f.ok && (f.okCalls == 0 || n <= f.okCalls)
	return f.owner, f.epoch, ok
}

func (f *testFencer) set(owner string, epoch int64, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.owner, f.epoch, f.ok = owner, epoch, ok
}

// write is one write request a client sent: verb (create, update, delete), the work's name,
// the stamp and content hash it carried (create and update) and whether a delete had
// preconditions.
type write struct {
	Verb, Work, Owner, Epoch, Hash string
	Preconditioned                 bool
}

// writeRecorder records the write requests of one client.
type writeRecorder struct {
	mu     sync.Mutex
	writes []write
}

func (r *writeRecorder) take() []write {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.writes
	r.writes = nil
	return out
}

func (r *writeRecorder) RoundTrip(next http.RoundTripper, req *http.Request) (*http.Response, error) {
	verb := map[string]string{http.MethodPost: "create", http.MethodPut: "update", http.MethodDelete: "delete", http.MethodPatch: "patch"}[req.Method]
	if verb == "" || !strings.Contains(req.URL.Path, "/manifestworks") {
		return next.RoundTrip(req)
	}
	w := write{Verb: verb}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var obj struct {
			Metadata      metav1.ObjectMeta     `json:"metadata"`
			Preconditions *metav1.Preconditions `json:"preconditions"`
		}
		_ = json.Unmarshal(body, &obj)
		w.Work = obj.Metadata.Name
		w.Owner, w.Epoch = obj.Metadata.Annotations[OwnerAnnotation], obj.Metadata.Annotations[EpochAnnotation]
		w.Hash = obj.Metadata.Annotations[ContentHashAnnotation]
		w.Preconditioned = obj.Preconditions != nil && obj.Preconditions.ResourceVersion != nil && obj.Preconditions.UID != nil
	}
	if verb != "create" {
		w.Work = req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
	}
	r.mu.Lock()
	r.writes = append(r.writes, w)
	r.mu.Unlock()
	return next.RoundTrip(req)
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// fenceHub is a namespace on the shared API server (the real one: it enforces
// resourceVersions and delete preconditions) standing in for one WEC's namespace.
type fenceHub struct {
	cfg  *rest.Config
	ns   string
	work workclient.Interface // unrecorded, for the test's own reads and writes
}

func newFenceHub(t *testing.T) *fenceHub {
	t.Helper()
	_, work, ns := setup(t, Options{})
	return &fenceHub{cfg: requireEnv(t), ns: ns, work: work}
}

// deliverer returns a Deliverer with opts whose write requests rec records.
func (h *fenceHub) deliverer(t *testing.T, opts Options, rec *writeRecorder) *Deliverer {
	t.Helper()
	cfg := rest.CopyConfig(h.cfg)
	cfg.Wrap(func(next http.RoundTripper) http.RoundTripper {
		return rtFunc(func(r *http.Request) (*http.Response, error) { return rec.RoundTrip(next, r) })
	})
	work, err := workclient.NewForConfig(cfg)
	require.NoError(t, err)
	d, err := New(work, opts)
	require.NoError(t, err)
	return d
}

func (h *fenceHub) works(t *testing.T) map[string]*workv1.ManifestWork {
	return listWorks(t, h.work, h.ns)
}

// restamp stamps the live work name with owner and epoch, as another replica would.
func (h *fenceHub) restamp(t *testing.T, name, owner string, epoch int64) {
	t.Helper()
	mw, err := h.work.WorkV1().ManifestWorks(h.ns).Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	mw.Annotations[OwnerAnnotation] = owner
	mw.Annotations[EpochAnnotation] = strconv.FormatInt(epoch, 10)
	_, err = h.work.WorkV1().ManifestWorks(h.ns).Update(context.Background(), mw, metav1.UpdateOptions{})
	require.NoError(t, err)
}

// twoParts is a delivery that needs two ManifestWorks under fenceOpts; image varies content.
func twoParts(image string) []Object {
	return []Object{
		{Object: configMap("apps", "a", 1200)},
		{Object: configMap("apps", "b", 1200)},
		{Object: deployment("apps", "web", image)},
	}
}

var fenceOpts = Options{MaxBytes: 2048}

func withFencer(f Fencer) Options {
	o := fenceOpts
	o.Fencer = f
	return o
}

func stamps(works map[string]*workv1.ManifestWork) map[string]string {
	out := map[string]string{}
	for n, mw := range works {
		out[n] = mw.Annotations[OwnerAnnotation] + "/" + mw.Annotations[EpochAnnotation]
	}
	return out
}

// TestFenceNoFencerNoAnnotations checks that without a Fencer nothing changes: no stamp on
// any work.
func TestFenceNoFencerNoAnnotations(t *testing.T) {
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	cs := fake.NewSimpleClientset()
	d, err := New(cs, fenceOpts)
	require.NoError(t, err)
	rep, err := d.Apply(context.Background(), "wec1", "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	require.Len(t, rep.Created, 2)
	assert.Empty(t, rep.Stamped)
	list, err := cs.WorkV1().ManifestWorks("wec1").List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	for _, mw := range list.Items {
		assert.NotContains(t, mw.Annotations, OwnerAnnotation)
		assert.NotContains(t, mw.Annotations, EpochAnnotation)
	}
}

// TestFenceNotOwnerSendsNothing checks that a Fencer saying no stops Apply and Delete before
// any request, even a read.
func TestFenceNotOwnerSendsNothing(t *testing.T) {
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	cs := fake.NewSimpleClientset()
	f := newFencer("r1", 1)
	f.set("r1", 1, false)
	d, err := New(cs, withFencer(f))
	require.NoError(t, err)
	rep, err := d.Apply(context.Background(), "wec1", "k", twoParts("r/web:1"), ApplyOptions{})
	require.ErrorIs(t, err, ErrNotOwner)
	assert.NotErrorIs(t, err, ErrFenced)
	var fe *FencedError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "wec1", fe.WEC)
	assert.Zero(t, rep.Writes())
	_, err = d.Delete(context.Background(), "wec1", "k")
	require.ErrorIs(t, err, ErrNotOwner)
	assert.Empty(t, cs.Actions(), "not even a list")
}

// TestFenceInvalidAnswer checks that a Fencer answering ok with no owner or a negative epoch
// is an input error, not a write.
func TestFenceInvalidAnswer(t *testing.T) {
	for _, tc := range []struct {
		owner string
		epoch int64
	}{{"", 1}, {"r1", -1}} {
		//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
		cs := fake.NewSimpleClientset()
		d, err := New(cs, withFencer(newFencer(tc.owner, tc.epoch)))
		require.NoError(t, err)
		_, err = d.Apply(context.Background(), "wec1", "k", twoParts("r/web:1"), ApplyOptions{})
		require.ErrorIs(t, err, ErrInvalidInput)
		assert.Empty(t, cs.Actions())
	}
}

// TestFenceHeld checks that works stamped by a later epoch, or by another owner at the same
// epoch, fence the call before any write; and that an earlier epoch, no stamp or a malformed
// one is taken over.
func TestFenceHeld(t *testing.T) {
	for _, tc := range []struct {
		name        string
		owner       string
		epoch       string // "" = no epoch annotation
		fenced      bool
		heldBy      string
		heldEpoch   int64
		description string
	}{
		{name: "later-epoch", owner: "r2", epoch: "5", fenced: true, heldBy: "r2", heldEpoch: 5, description: "a later owner holds the works"},
		{name: "same-epoch-other-owner", owner: "r2", epoch: "3", fenced: true, heldBy: "r2", heldEpoch: 3, description: "two owners cannot share an epoch"},
		{name: "earlier-epoch", owner: "r2", epoch: "2", description: "the previous owner's works are taken over"},
		{name: "unstamped", description: "works written before fencing are taken over"},
		{name: "malformed-epoch", owner: "r2", epoch: "x9", description: "an unparsable epoch counts as unstamped"},
		{name: "negative-epoch", owner: "r2", epoch: "-4", description: "a negative epoch counts as unstamped"},
		{name: "same-stamp", owner: "r1", epoch: "3", description: "own works are written as usual"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
			cs := fake.NewSimpleClientset()
			plain, err := New(cs, fenceOpts)
			require.NoError(t, err)
			_, err = plain.Apply(context.Background(), "wec1", "k", twoParts("r/web:1"), ApplyOptions{})
			require.NoError(t, err)
			list, err := cs.WorkV1().ManifestWorks("wec1").List(context.Background(), metav1.ListOptions{})
			require.NoError(t, err)
			for i := range list.Items {
				mw := list.Items[i].DeepCopy()
				if tc.owner != "" {
					mw.Annotations[OwnerAnnotation] = tc.owner
				}
				if tc.epoch != "" {
					mw.Annotations[EpochAnnotation] = tc.epoch
				}
				require.NoError(t, cs.Tracker().Update(worksGVR, mw, "wec1"))
			}
			cs.ClearActions()

			d, err := New(cs, withFencer(newFencer("r1", 3)))
			require.NoError(t, err)
			rep, err := d.Apply(context.Background(), "wec1", "k", twoParts("r/web:2"), ApplyOptions{})
			if !tc.fenced {
				require.NoError(t, err, tc.description)
				after, err := cs.WorkV1().ManifestWorks("wec1").List(context.Background(), metav1.ListOptions{})
				require.NoError(t, err)
				for _, mw := range after.Items {
					assert.Equal(t, "r1", mw.Annotations[OwnerAnnotation], tc.description)
					assert.Equal(t, "3", mw.Annotations[EpochAnnotation], tc.description)
				}
				return
			}
			require.ErrorIs(t, err, ErrFenced, tc.description)
			var fe *FencedError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.heldBy, fe.HeldBy)
			assert.Equal(t, tc.heldEpoch, fe.HeldEpoch)
			assert.Equal(t, "r1", fe.Owner)
			assert.EqualValues(t, 3, fe.Epoch)
			assert.NotEmpty(t, fe.Work)
			assert.Zero(t, rep.Writes())
			assert.Equal(t, []string{"list"}, requests(cs), "nothing written")
		})
	}
}

// TestFenceTakeoverStampsFirst checks a takeover on the real API server: the new owner first
// stamps every work (annotations only, at the resourceVersion read), then writes the new
// content in place — same names, same UIDs.
func TestFenceTakeoverStampsFirst(t *testing.T) {
	h := newFenceHub(t)
	ctx := context.Background()
	var rec1, rec2 writeRecorder
	d1 := h.deliverer(t, withFencer(newFencer("r1", 1)), &rec1)
	_, err := d1.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	rec1.take()
	before := h.works(t)
	require.Len(t, before, 2)
	for _, mw := range before {
		assert.Equal(t, "r1", mw.Annotations[OwnerAnnotation])
		assert.Equal(t, "1", mw.Annotations[EpochAnnotation])
	}

	d2 := h.deliverer(t, withFencer(newFencer("r2", 2)), &rec2)
	var logged []string
	lctx := logr.NewContext(ctx, funcr.New(func(prefix, args string) { logged = append(logged, args) }, funcr.Options{}))
	rep, err := d2.Apply(lctx, h.ns, "k", twoParts("r/web:2"), ApplyOptions{})
	require.NoError(t, err)
	takeovers := 0
	for _, l := range logged {
		if strings.Contains(l, "taking over") {
			takeovers++
			assert.Contains(t, l, `"previousOwner"="r1"`)
			assert.Contains(t, l, `"previousEpoch"=1`)
		}
	}
	assert.Equal(t, 2, takeovers, "one V(0) line per stamped work: %v", logged)
	assert.Len(t, rep.Stamped, 2)
	assert.Len(t, rep.Updated, 1, "only the part holding the Deployment changes")
	assert.Empty(t, rep.Created)
	assert.Empty(t, rep.Deleted)
	writes := rec2.take()
	t.Logf("writes: %+v", writes)
	require.Len(t, writes, 3)
	for i, w := range writes[:2] {
		assert.Equal(t, "update", w.Verb, "write %d is a stamp", i)
		assert.Equal(t, before[w.Work].Annotations[ContentHashAnnotation], w.Hash, "a stamp keeps the content")
		assert.Equal(t, "r2", w.Owner)
		assert.Equal(t, "2", w.Epoch)
	}
	assert.Equal(t, "update", writes[2].Verb)
	assert.NotEqual(t, before[writes[2].Work].Annotations[ContentHashAnnotation], writes[2].Hash, "then the content")

	after := h.works(t)
	require.Len(t, after, 2)
	for name, mw := range after {
		require.Contains(t, before, name, "same names")
		assert.Equal(t, before[name].UID, mw.UID, "updated in place, not re-created")
		assert.NotEqual(t, before[name].ResourceVersion, mw.ResourceVersion)
		assert.Equal(t, "r2", mw.Annotations[OwnerAnnotation])
		assert.Equal(t, "2", mw.Annotations[EpochAnnotation])
	}
	assert.Empty(t, rec1.take(), "the old owner wrote nothing")
}

// TestFenceTakeoverUnchangedContent checks that a takeover alone writes only the stamps: the
// content hash, spec and generation stay, and a second Apply writes nothing.
func TestFenceTakeoverUnchangedContent(t *testing.T) {
	h := newFenceHub(t)
	ctx := context.Background()
	var rec writeRecorder
	plain := h.deliverer(t, fenceOpts, &rec)
	_, err := plain.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	before := h.works(t)
	rec.take()

	d := h.deliverer(t, withFencer(newFencer("r2", 7)), &rec)
	rep, err := d.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	assert.Len(t, rep.Stamped, 2)
	assert.Len(t, rep.Unchanged, 2)
	assert.Empty(t, rep.Updated)
	assert.Equal(t, 2, rep.Writes())
	for _, w := range rec.take() {
		assert.Equal(t, "update", w.Verb)
		assert.Equal(t, before[w.Work].Annotations[ContentHashAnnotation], w.Hash)
	}
	for name, mw := range h.works(t) {
		assert.Equal(t, before[name].Annotations[ContentHashAnnotation], mw.Annotations[ContentHashAnnotation])
		assert.Equal(t, before[name].Spec, mw.Spec)
		assert.Equal(t, before[name].Generation, mw.Generation)
		assert.Equal(t, "7", mw.Annotations[EpochAnnotation])
	}

	rep, err = d.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	assert.Zero(t, rep.Writes(), "stamped and up to date: not rewritten")
	assert.Empty(t, rec.take())
}

// TestFenceLostMidApply checks that the Fencer is asked before every write: once it says no
// (or gives another epoch), Apply stops and writes nothing more; the report lists what was
// written.
func TestFenceLostMidApply(t *testing.T) {
	for _, tc := range []struct {
		name string
		flip func(f *testFencer)
	}{
		{name: "lease lost", flip: func(f *testFencer) { f.set("r1", 1, false) }},
		{name: "epoch changed", flip: func(f *testFencer) { f.set("r1", 2, true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
			cs := fake.NewSimpleClientset()
			f := newFencer("r1", 1)
			// Call 1 starts the Apply, call 2 guards the first create; the third answer changes.
			f.hook = func(n int) {
				if n == 3 {
					tc.flip(f)
				}
			}
			d, err := New(cs, withFencer(f))
			require.NoError(t, err)
			rep, err := d.Apply(context.Background(), "wec1", "k", twoParts("r/web:1"), ApplyOptions{})
			require.ErrorIs(t, err, ErrNotOwner)
			var fe *FencedError
			require.ErrorAs(t, err, &fe)
			assert.NotEmpty(t, fe.Work)
			assert.Len(t, rep.Created, 1)
			assert.Equal(t, []string{"list", "create"}, requests(cs))
		})
	}
}

// TestFenceUpdateConflictNewerOwner checks that an update that conflicts because a newer
// owner stamped the work meanwhile reads it again and stops with ErrFenced.
func TestFenceUpdateConflictNewerOwner(t *testing.T) {
	h := newFenceHub(t)
	ctx := context.Background()
	var rec writeRecorder
	f := newFencer("r1", 1)
	d := h.deliverer(t, withFencer(f), &rec)
	_, err := d.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	rec.take()
	var target string
	for n, mw := range h.works(t) {
		if strings.Contains(string(mw.Spec.Workload.Manifests[len(mw.Spec.Workload.Manifests)-1].Raw), "r/web:1") {
			target = n
		}
	}
	require.NotEmpty(t, target)
	// Between the list and the update (call 1 starts the Apply, call 2 guards the update),
	// replica r2 takes the WEC over with epoch 2.
	f.mu.Lock()
	f.calls = 0
	f.hook = func(n int) {
		if n == 2 {
			h.restamp(t, target, "r2", 2)
		}
	}
	f.mu.Unlock()
	rep, err := d.Apply(ctx, h.ns, "k", twoParts("r/web:2"), ApplyOptions{})
	require.ErrorIs(t, err, ErrFenced)
	var fe *FencedError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, target, fe.Work)
	assert.Equal(t, "r2", fe.HeldBy)
	assert.EqualValues(t, 2, fe.HeldEpoch)
	assert.Zero(t, rep.Writes())
	writes := rec.take()
	require.Len(t, writes, 1, "the one update that conflicted, nothing after")
	live := h.works(t)[target]
	assert.Equal(t, "r2", live.Annotations[OwnerAnnotation])
	assert.NotContains(t, string(live.Spec.Workload.Manifests[len(live.Spec.Workload.Manifests)-1].Raw), "r/web:2")
}

// TestFenceCreateFindsNewerOwner checks that a create that finds the work existing (a stale
// cache did not show it) reads it and stops when a newer owner holds it.
func TestFenceCreateFindsNewerOwner(t *testing.T) {
	h := newFenceHub(t)
	ctx := context.Background()
	var rec writeRecorder
	newer := h.deliverer(t, withFencer(newFencer("r2", 2)), &rec)
	_, err := newer.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	before := h.works(t)
	rec.take()

	empty := WorkListerFunc(func(context.Context, string, labels.Selector) ([]*workv1.ManifestWork, error) { return nil, nil })
	opts := withFencer(newFencer("r1", 1))
	opts.Lister = empty
	stale := h.deliverer(t, opts, &rec)
	rep, err := stale.Apply(ctx, h.ns, "k", twoParts("r/web:9"), ApplyOptions{})
	require.ErrorIs(t, err, ErrFenced)
	assert.Zero(t, rep.Writes())
	writes := rec.take()
	require.Len(t, writes, 1, "one create that found the work, nothing after")
	assert.Equal(t, "create", writes[0].Verb)
	for n, mw := range h.works(t) {
		assert.Equal(t, before[n].ResourceVersion, mw.ResourceVersion, "untouched")
	}
}

// TestFenceDeletePreconditions checks that stale parts are deleted only at the UID and
// resourceVersion read, and that a work re-stamped by another owner between the read and the
// delete is not deleted.
func TestFenceDeletePreconditions(t *testing.T) {
	h := newFenceHub(t)
	ctx := context.Background()
	var rec writeRecorder
	f := newFencer("r1", 1)
	d := h.deliverer(t, withFencer(f), &rec)
	_, err := d.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	require.Len(t, h.works(t), 2)
	rec.take()

	t.Run("re-stamped by another owner: kept", func(t *testing.T) {
		// Call 1 starts Delete; the next guards the first delete (works are deleted in name
		// order): r3 takes that work meanwhile.
		first := slices.Sorted(maps.Keys(h.works(t)))[0]
		f.mu.Lock()
		f.calls = 0
		f.hook = func(n int) {
			if n == 2 {
				h.restamp(t, first, "r3", 3)
			}
		}
		f.mu.Unlock()
		rep, err := d.Delete(ctx, h.ns, "k")
		require.ErrorIs(t, err, ErrFenced)
		var fe *FencedError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "r3", fe.HeldBy)
		assert.Zero(t, rep.Writes())
		writes := rec.take()
		require.Len(t, writes, 1, "one preconditioned delete that conflicted")
		assert.Equal(t, "delete", writes[0].Verb)
		assert.True(t, writes[0].Preconditioned)
		assert.Len(t, h.works(t), 2, "nothing deleted")
	})

	t.Run("own works: deleted with preconditions", func(t *testing.T) {
		h2 := newFenceHub(t)
		var rec2 writeRecorder
		d2 := h2.deliverer(t, withFencer(newFencer("r1", 1)), &rec2)
		_, err := d2.Apply(ctx, h2.ns, "k", twoParts("r/web:1"), ApplyOptions{})
		require.NoError(t, err)
		rec2.take()
		rep, err := d2.Delete(ctx, h2.ns, "k")
		require.NoError(t, err)
		assert.Len(t, rep.Deleted, 2)
		for _, w := range rec2.take() {
			assert.Equal(t, "delete", w.Verb)
			assert.True(t, w.Preconditioned)
		}
		assert.Empty(t, h2.works(t))
	})

	t.Run("changed by the owner itself meanwhile: re-read and deleted", func(t *testing.T) {
		h3 := newFenceHub(t)
		var rec3 writeRecorder
		f3 := newFencer("r1", 1)
		d3 := h3.deliverer(t, withFencer(f3), &rec3)
		_, err := d3.Apply(ctx, h3.ns, "k", twoParts("r/web:1"), ApplyOptions{})
		require.NoError(t, err)
		rec3.take()
		f3.mu.Lock()
		f3.calls = 0
		f3.hook = func(n int) {
			if n == 2 { // a label added by someone else: the resourceVersion read is stale
				for name, mw := range h3.works(t) {
					mw.Labels["team"] = "edge"
					_, err := h3.work.WorkV1().ManifestWorks(h3.ns).Update(ctx, mw, metav1.UpdateOptions{})
					require.NoError(t, err, name)
					break
				}
			}
		}
		f3.mu.Unlock()
		rep, err := d3.Delete(ctx, h3.ns, "k")
		require.NoError(t, err)
		assert.Len(t, rep.Deleted, 2)
		assert.Len(t, rec3.take(), 3, "a conflicted delete, then two")
		assert.Empty(t, h3.works(t))
	})
}

// TestFenceTwoOwnersInterleaved runs two Deliverers, epochs 1 and 2, on one WEC: the epoch-1
// one is paused between its read and its write while the epoch-2 one takes over, as a replica
// paused past its lease would be. The works end stamped by epoch 2 with its content; the
// epoch-1 Deliverer gets ErrFenced and writes nothing after the stamp.
func TestFenceTwoOwnersInterleaved(t *testing.T) {
	h := newFenceHub(t)
	ctx := context.Background()
	var rec1, rec2 writeRecorder
	f1 := newFencer("r1", 1)
	d1 := h.deliverer(t, withFencer(f1), &rec1)
	d2 := h.deliverer(t, withFencer(newFencer("r2", 2)), &rec2)
	_, err := d1.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	before := h.works(t)
	rec1.take()

	var rep2 Report
	f1.mu.Lock()
	f1.calls = 0
	f1.hook = func(n int) {
		if n == 2 { // r1 has read the works and is about to write: r2 delivers in full
			var err error
			rep2, err = d2.Apply(ctx, h.ns, "k", twoParts("r/web:2"), ApplyOptions{})
			require.NoError(t, err)
		}
	}
	f1.mu.Unlock()
	rep1, err := d1.Apply(ctx, h.ns, "k", twoParts("r/web:1b"), ApplyOptions{})
	require.ErrorIs(t, err, ErrFenced)
	assert.Zero(t, rep1.Writes())
	assert.Len(t, rep2.Stamped, 2)
	stale := rec1.take()
	require.Len(t, stale, 1, "only the one update that conflicted: %+v", stale)
	assert.Equal(t, "update", stale[0].Verb)

	after := h.works(t)
	assert.Equal(t, map[string]string{
		d1.baseName("k") + "-0": "r2/2", d1.baseName("k") + "-1": "r2/2",
	}, stamps(after))
	for name, mw := range after {
		assert.Equal(t, before[name].UID, mw.UID)
		for _, m := range mw.Spec.Workload.Manifests {
			assert.NotContains(t, string(m.Raw), "r/web:1b", "nothing of r1's second delivery landed")
		}
	}

	// r1, still believing it owns the WEC, tries again: fenced at the read, nothing written.
	f1.mu.Lock()
	f1.hook = nil
	f1.mu.Unlock()
	_, err = d1.Apply(ctx, h.ns, "k", twoParts("r/web:1c"), ApplyOptions{})
	require.ErrorIs(t, err, ErrFenced)
	_, err = d1.Delete(ctx, h.ns, "k")
	require.ErrorIs(t, err, ErrFenced)
	assert.Empty(t, rec1.take())
	assert.Len(t, h.works(t), 2)
}

// TestFenceStampConflict checks the takeover stamp against a stale read (a cache that lags):
// the conflicting stamp reads the work again and stamps it, unless a newer owner holds it by
// then.
func TestFenceStampConflict(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(h *fenceHub, name string)
		fenced bool
	}{
		{name: "changed by someone else", change: func(h *fenceHub, name string) {
			mw, err := h.work.WorkV1().ManifestWorks(h.ns).Get(context.Background(), name, metav1.GetOptions{})
			require.NoError(t, err)
			mw.Labels["team"] = "edge"
			_, err = h.work.WorkV1().ManifestWorks(h.ns).Update(context.Background(), mw, metav1.UpdateOptions{})
			require.NoError(t, err)
		}},
		{name: "taken by a newer owner", fenced: true, change: func(h *fenceHub, name string) {
			h.restamp(t, name, "r3", 3)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFenceHub(t)
			ctx := context.Background()
			var rec writeRecorder
			old := h.deliverer(t, withFencer(newFencer("r1", 1)), &rec)
			_, err := old.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
			require.NoError(t, err)
			snapshot := h.works(t)
			for name := range snapshot {
				tc.change(h, name)
			}
			rec.take()
			opts := withFencer(newFencer("r2", 2))
			opts.Lister = WorkListerFunc(func(context.Context, string, labels.Selector) ([]*workv1.ManifestWork, error) {
				var out []*workv1.ManifestWork
				for _, mw := range snapshot {
					out = append(out, mw.DeepCopy())
				}
				return out, nil
			})
			d := h.deliverer(t, opts, &rec)
			rep, err := d.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
			writes := rec.take()
			if tc.fenced {
				require.ErrorIs(t, err, ErrFenced)
				assert.Zero(t, rep.Writes())
				require.Len(t, writes, 1, "the conflicted stamp only")
				for _, s := range stamps(h.works(t)) {
					assert.Equal(t, "r3/3", s)
				}
				return
			}
			require.NoError(t, err)
			assert.Len(t, rep.Stamped, 2)
			assert.Len(t, writes, 4, "two conflicted stamps, two stamps")
			for name, mw := range h.works(t) {
				assert.Equal(t, "r2/2", stamps(h.works(t))[name])
				assert.Equal(t, "edge", mw.Labels["team"], "the other writer's label is kept")
			}
		})
	}
}

// TestFenceThrottledStaysWorkError checks that a hub that throttles (429) gives the usual
// *WorkError the caller retries, not a fencing error.
func TestFenceThrottledStaysWorkError(t *testing.T) {
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	cs := fake.NewSimpleClientset()
	cs.PrependReactor("create", "manifestworks", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewTooManyRequests("slow down", 1)
	})
	d, err := New(cs, withFencer(newFencer("r1", 1)))
	require.NoError(t, err)
	_, err = d.Apply(context.Background(), "wec1", "k", twoParts("r/web:1"), ApplyOptions{})
	var we *WorkError
	require.ErrorAs(t, err, &we)
	assert.True(t, apierrors.IsTooManyRequests(err))
	assert.NotErrorIs(t, err, ErrFenced)
	assert.NotErrorIs(t, err, ErrNotOwner)
}

// TestFenceNamespaceGone checks that a WEC namespace missing, or deleted under the transport,
// is the usual ErrNoNamespace with fencing on, and that Delete then has nothing to do.
func TestFenceNamespaceGone(t *testing.T) {
	h := newFenceHub(t)
	ctx := context.Background()
	kube, err := kubernetes.NewForConfig(h.cfg)
	require.NoError(t, err)
	var rec writeRecorder
	d := h.deliverer(t, withFencer(newFencer("r1", 1)), &rec)
	_, err = d.Apply(ctx, h.ns+"-none", "k", twoParts("r/web:1"), ApplyOptions{})
	require.ErrorIs(t, err, ErrNoNamespace)
	_, err = d.Delete(ctx, h.ns+"-none", "k")
	require.NoError(t, err)

	// envtest runs no namespace controller: a deleted namespace stays terminating.
	require.NoError(t, kube.CoreV1().Namespaces().Delete(ctx, h.ns, metav1.DeleteOptions{}))
	_, err = d.Apply(ctx, h.ns, "k", twoParts("r/web:1"), ApplyOptions{})
	require.ErrorIs(t, err, ErrNoNamespace)
	assert.True(t, apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause))
}

// TestFencedErrorText checks the error names what it must and unwraps to its sentinel.
func TestFencedErrorText(t *testing.T) {
	fenced := &FencedError{WEC: "c1", Work: "w-0", Owner: "r1", Epoch: 1, HeldBy: "r2", HeldEpoch: 2, Err: ErrFenced}
	for _, s := range []string{"c1", "w-0", `"r1"`, "epoch 1", `"r2"`, "epoch 2"} {
		assert.Contains(t, fenced.Error(), s)
	}
	assert.ErrorIs(t, fmt.Errorf("wrapped: %w", fenced), ErrFenced)
	notOwner := &FencedError{WEC: "c1", Err: ErrNotOwner}
	assert.Contains(t, notOwner.Error(), "c1")
	assert.True(t, errors.Is(notOwner, ErrNotOwner))
	assert.False(t, errors.Is(notOwner, ErrFenced))
}

// TestFenceMove checks a move under fencing on the modelled work agent: completed, every part
// ends stamped; with the lease lost after the receiving part is written, the giving part is
// not written again and no object leaves the WEC.
func TestFenceMove(t *testing.T) {
	for _, lose := range []bool{false, true} {
		t.Run(fmt.Sprintf("lose=%v", lose), func(t *testing.T) {
			h := newAgentHub("wec1")
			f := newFencer("r1", 1)
			opts := fakeOpts
			opts.Fencer = f
			d, err := New(h.cs, opts)
			require.NoError(t, err)
			ctx := context.Background()
			sizes := map[string]int{"a": 600, "b": 600, "c": 600, "d": 600}
			_, err = d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
			require.NoError(t, err)
			h.settle()
			h.protect(cmRef("a"), cmRef("b"), cmRef("c"), cmRef("d"))
			h.onGet = func(h *agentHub) {
				for _, n := range h.names() {
					h.reconcile(n)
				}
			}
			f.mu.Lock()
			f.calls = 0
			if lose {
				// 1 starts the Apply, 2 guards the receiving part's create, 3 the giving part's
				// transitional update; the lease is gone before the giving part's last write.
				f.hook = func(n int) {
					if n == 4 {
						f.set("r1", 1, false)
					}
				}
			}
			f.mu.Unlock()
			sizes["b"] = 1300
			n := len(h.writeLog())
			_, err = d.Apply(ctx, "wec1", "k", sized(sizes), ApplyOptions{})
			writes := h.writeLog()[n:]
			h.settle()
			assert.Empty(t, h.lostObjects())
			if lose {
				require.ErrorIs(t, err, ErrNotOwner)
				assert.Len(t, writes, 2, "the receiving part and the giving part's transitional content: %v", writes)
				return
			}
			require.NoError(t, err)
			list, err := h.cs.WorkV1().ManifestWorks("wec1").List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			require.Len(t, list.Items, 3)
			for _, mw := range list.Items {
				assert.Equal(t, "r1", mw.Annotations[OwnerAnnotation])
				assert.Equal(t, "1", mw.Annotations[EpochAnnotation])
			}
		})
	}
}

// raisingFencer is a testFencer that implements EpochRaiser and records its calls.
type raisingFencer struct {
	*testFencer
	raised []int64
}

func (f *raisingFencer) RaiseEpoch(wec string, past int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.raised = append(f.raised, past)
}

// TestFenceEpochWentBackwards checks the recovery from stamps above the Fencer's epoch while
// it holds the WEC (its Leases were created again): the call is fenced and writes nothing, an
// EpochRaiser is told the epoch found, and once the Fencer gives a higher epoch the works are
// stamped with it in place (same names and UIDs, content unchanged). A stamp at the same epoch
// by another owner is fenced without a raise.
func TestFenceEpochWentBackwards(t *testing.T) {
	//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
	cs := fake.NewSimpleClientset()
	ctx := context.Background()
	old, err := New(cs, withFencer(newFencer("r1", 7)))
	require.NoError(t, err)
	_, err = old.Apply(ctx, "wec1", "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	before := listWorks(t, cs, "wec1")

	f := &raisingFencer{testFencer: newFencer("r1", 1)}
	d, err := New(cs, withFencer(f))
	require.NoError(t, err)
	rep, err := d.Apply(ctx, "wec1", "k", twoParts("r/web:1"), ApplyOptions{})
	require.ErrorIs(t, err, ErrFenced)
	assert.Zero(t, rep.Writes())
	require.NotEmpty(t, f.raised)
	assert.Equal(t, int64(7), f.raised[0])
	assert.Equal(t, before, listWorks(t, cs, "wec1"), "nothing written")

	f.set("r1", 8, true) // the Fencer moved past the stamp
	rep, err = d.Apply(ctx, "wec1", "k", twoParts("r/web:1"), ApplyOptions{})
	require.NoError(t, err)
	assert.Len(t, rep.Stamped, 2)
	after := listWorks(t, cs, "wec1")
	require.Len(t, after, len(before))
	for name, mw := range after {
		assert.Equal(t, before[name].UID, mw.UID)
		assert.Equal(t, before[name].Spec, mw.Spec)
		assert.Equal(t, "r1/8", stamps(after)[name])
	}

	g := &raisingFencer{testFencer: newFencer("r2", 8)}
	d2, err := New(cs, withFencer(g))
	require.NoError(t, err)
	_, err = d2.Apply(ctx, "wec1", "k", twoParts("r/web:1"), ApplyOptions{})
	require.ErrorIs(t, err, ErrFenced)
	assert.Empty(t, g.raised, "same epoch, other owner: no raise")
}
