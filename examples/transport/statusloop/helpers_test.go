package statusloop

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/examples/transport/statusback"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/resources"
)

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

var fixtureCounter atomic.Int32

// fixture is one test's world on the shared API server: a WDS namespace, two WEC namespaces
// on the hub, a deliverer and a running Controller.
type fixture struct {
	t          *testing.T
	ctx        context.Context
	dyn        dynamic.Interface
	works      workclient.Interface
	deliverer  *delivery.Deliverer
	ctl        *Controller
	ns         string
	wec1, wec2 string

	mu         sync.Mutex
	redelivers []string // "wec ref"
	singletons []string // "ref: error" or "ref: cleared"
}

// newFixture starts a Controller over collectors; it stops with the test.
func newFixture(t *testing.T, collectors ...*combine.Collector) *fixture {
	t.Helper()
	return newLedFixture(t, nil, collectors...)
}

// newLedFixture is newFixture with Options.Leadership lead (nil: always the leader).
func newLedFixture(t *testing.T, lead Leadership, collectors ...*combine.Collector) *fixture {
	t.Helper()
	cfg := server.Config(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	kube, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	f := &fixture{t: t, ctx: ctx}
	f.dyn, err = dynamic.NewForConfig(cfg)
	require.NoError(t, err)
	f.works, err = workclient.NewForConfig(cfg)
	require.NoError(t, err)
	n := fixtureCounter.Add(1)
	f.ns, f.wec1, f.wec2 = fmt.Sprintf("wds-%d", n), fmt.Sprintf("wec1-%d", n), fmt.Sprintf("wec2-%d", n)
	for _, ns := range []string{f.ns, f.wec1, f.wec2} {
		_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	f.deliverer, err = delivery.New(f.works, delivery.Options{Resources: resources.Builtin()})
	require.NoError(t, err)
	f.ctl, err = New(Options{
		Works: f.works, WDS: f.dyn, Resources: resources.Builtin(), Collectors: collectors, Leadership: lead,
		Redeliver: func(wec string, ref transform.ObjectRef) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.redelivers = append(f.redelivers, wec+" "+ref.String())
		},
		OnSingletonError: func(ref transform.ObjectRef, err *combine.SingletonCountError) {
			f.mu.Lock()
			defer f.mu.Unlock()
			msg := "cleared"
			if err != nil {
				msg = fmt.Sprintf("%d qualified", err.Qualified)
			}
			f.singletons = append(f.singletons, ref.Name+": "+msg)
		},
	})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- f.ctl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.Eventually(t, f.ctl.HasSynced, time.Minute, 20*time.Millisecond)
	return f
}

// createDeployment creates a Deployment in the WDS namespace and returns it as stored.
func (f *fixture) createDeployment(name string) *unstructured.Unstructured {
	f.t.Helper()
	got, err := f.dyn.Resource(deploymentsGVR).Namespace(f.ns).Create(f.ctx, deployment(f.ns, name), metav1.CreateOptions{})
	require.NoError(f.t, err)
	return got
}

func deployment(ns, name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"replicas": int64(2),
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": name}},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "app", "image": "app:1"}}},
			},
		},
	}}
}

// get reads a Deployment from the WDS.
func (f *fixture) get(name string) *unstructured.Unstructured {
	f.t.Helper()
	got, err := f.dyn.Resource(deploymentsGVR).Namespace(f.ns).Get(f.ctx, name, metav1.GetOptions{})
	require.NoError(f.t, err)
	return got
}

// deliver delivers Deployment name to wec with the status request the controller gives.
func (f *fixture) deliver(wec, name string) {
	f.t.Helper()
	ref := transform.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: f.ns, Name: name}
	f.deliverWith(wec, name, f.ctl.StatusRequest(ref, wec))
}

// deliverWith delivers Deployment name to wec with status request req.
func (f *fixture) deliverWith(wec, name string, req *delivery.StatusRequest) {
	f.t.Helper()
	_, err := f.deliverer.Apply(f.ctx, wec, "test/"+name, []delivery.Object{
		{Object: deployment(f.ns, name), Status: req},
	}, delivery.ApplyOptions{})
	require.NoError(f.t, err)
}

const (
	waitFor = time.Minute
	tick    = 50 * time.Millisecond
)

// combined reads CombinedStatus name in the WDS namespace.
func (f *fixture) combined(name string) *unstructured.Unstructured {
	f.t.Helper()
	got, err := f.dyn.Resource(statusback.CombinedStatusResource).Namespace(f.ns).Get(f.ctx, name, metav1.GetOptions{})
	require.NoError(f.t, err)
	return got
}

// waitCombined waits until CombinedStatus name's only result has the one row
// [COUNT = wecs, SUM = sum], then for the controller to settle.
func (f *fixture) waitCombined(name string, wecs, sum int) {
	f.t.Helper()
	want := []any{
		map[string]any{"type": "Number", "float": strconv.Itoa(wecs)},
		map[string]any{"type": "Number", "float": strconv.Itoa(sum)},
	}
	require.Eventually(f.t, func() bool {
		got, err := f.dyn.Resource(statusback.CombinedStatusResource).Namespace(f.ns).Get(f.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		results, _, _ := unstructured.NestedSlice(got.Object, "results")
		if len(results) != 1 {
			return false
		}
		rows, _, _ := unstructured.NestedSlice(results[0].(map[string]any), "rows")
		if len(rows) != 1 {
			return false
		}
		cols, _, _ := unstructured.NestedSlice(rows[0].(map[string]any), "columns")
		return equality.Semantic.DeepEqual(want, cols)
	}, waitFor, tick)
	f.settle()
}

// work returns the ManifestWork delivering Deployment name to wec.
func (f *fixture) work(wec, name string) *workv1.ManifestWork {
	f.t.Helper()
	list, err := f.works.WorkV1().ManifestWorks(wec).List(f.ctx, metav1.ListOptions{})
	require.NoError(f.t, err)
	for i := range list.Items {
		for _, m := range list.Items[i].Spec.Workload.Manifests {
			var obj struct {
				Metadata struct{ Name string } `json:"metadata"`
			}
			if json.Unmarshal(m.Raw, &obj) == nil && obj.Metadata.Name == name {
				return &list.Items[i]
			}
		}
	}
	require.FailNow(f.t, "no ManifestWork delivers "+name+" to "+wec)
	return nil
}

// report plays the work agent: Deployment name on wec reports values with the feedback
// condition (synced when failure is "", else failed with that message).
func (f *fixture) report(wec, name, failure string, values ...workv1.FeedbackValue) {
	f.t.Helper()
	mw := f.work(wec, name).DeepCopy()
	cond := metav1.Condition{Type: delivery.FeedbackConditionType, Status: metav1.ConditionTrue, Reason: "StatusFeedbackSynced",
		LastTransitionTime: metav1.Now()}
	if failure != "" {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, "StatusFeedbackSyncFailed", failure
	}
	mw.Status.ResourceStatus.Manifests = []workv1.ManifestCondition{{
		ResourceMeta: workv1.ManifestResourceMeta{Group: "apps", Version: "v1", Kind: "Deployment",
			Resource: "deployments", Namespace: f.ns, Name: name},
		StatusFeedbacks: workv1.StatusFeedbackResult{Values: values},
		Conditions:      []metav1.Condition{cond},
	}}
	updated, err := f.works.WorkV1().ManifestWorks(wec).UpdateStatus(f.ctx, mw, metav1.UpdateOptions{})
	require.NoError(f.t, err)
	f.seen(updated)
}

// seen waits until the controller's informer holds mw's resourceVersion (or a later one), then
// until the controller has processed what that queued.
func (f *fixture) seen(mw *workv1.ManifestWork) {
	f.t.Helper()
	require.Eventually(f.t, func() bool {
		obj, ok, err := f.ctl.informer.GetStore().GetByKey(mw.Namespace + "/" + mw.Name)
		if err != nil || !ok {
			return false
		}
		have, _ := strconv.ParseUint(obj.(*workv1.ManifestWork).ResourceVersion, 10, 64)
		want, _ := strconv.ParseUint(mw.ResourceVersion, 10, 64)
		return have >= want
	}, time.Minute, 20*time.Millisecond)
	f.settle()
}

// whole is the feedback value of a whole status.
func whole(status map[string]any) workv1.FeedbackValue {
	b, _ := json.Marshal(status)
	s := string(b)
	return workv1.FeedbackValue{Name: delivery.StatusRuleName, Value: workv1.FieldValue{Type: workv1.JsonRaw, JsonRaw: &s}}
}

// field is the feedback value of one status field.
func field(name string, v any) workv1.FeedbackValue {
	b, _ := json.Marshal(v)
	s := string(b)
	return workv1.FeedbackValue{Name: delivery.StatusFieldRulePrefix + name, Value: workv1.FieldValue{Type: workv1.JsonRaw, JsonRaw: &s}}
}

// settle waits until the controller has processed everything queued: the informer has
// delivered the last write (observed through resourceVersion) and the queue stayed empty over
// a few polls.
func (f *fixture) settle() {
	f.t.Helper()
	quiet := 0
	require.Eventually(f.t, func() bool {
		if f.ctl.Idle() {
			quiet++
		} else {
			quiet = 0
		}
		return quiet >= 5
	}, time.Minute, 50*time.Millisecond)
}

// waitStatus waits until Deployment name's status in the WDS satisfies ok.
func (f *fixture) waitStatus(name string, ok func(status map[string]any, labels map[string]string) bool) {
	f.t.Helper()
	require.Eventually(f.t, func() bool {
		got := f.get(name)
		st, _, _ := unstructured.NestedMap(got.Object, "status")
		return ok(st, got.GetLabels())
	}, time.Minute, 50*time.Millisecond)
	f.settle()
}

func (f *fixture) redelivered() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.redelivers...)
}

func (f *fixture) singletonEvents() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.singletons...)
}
