package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	workv1 "open-cluster-management.io/api/work/v1"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/internal/e2e"
	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/registry/returned"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/resources"
)

const (
	returnedWEC = "status1"
	returnedNS  = "returned"
	returnedKey = "bindingpolicy/returned-e2e"
)

var (
	widgetsGVR = schema.GroupVersionResource{Group: "test.wecforge.io", Version: "v1", Resource: "widgets"}
	// webSource is the WDS Deployment; the WEC receives it renamed web-status1.
	webSource = transform.ObjectRef{Group: "apps", Kind: "Deployment", Namespace: returnedNS, Name: "web"}
	widgetKey = returned.Key{Object: transform.ObjectRef{Group: "test.wecforge.io", Kind: "Widget", Namespace: returnedNS, Name: "big"}, WEC: returnedWEC}
)

// widgetCRD is a namespaced CRD with a status subresource whose status the test writes itself.
const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.wecforge.io
spec:
  group: test.wecforge.io
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

// returnedObjects is what the WEC receives: the Namespace, the Deployment renamed for the WEC
// with replicas, the Widget (both wanting status, the Widget with field hints) and a ConfigMap.
func returnedObjects(replicas int64, widgetFields []string) []delivery.Object {
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": returnedNS}}}
	dep := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web-" + returnedWEC, "namespace": returnedNS},
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "web", "image": "registry.example/web:1"}}},
			},
		},
	}}
	widget := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "test.wecforge.io/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "big", "namespace": returnedNS}, "spec": map[string]any{"size": "large"}}}
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "plain", "namespace": returnedNS}, "data": map[string]any{"a": "b"}}}
	return []delivery.Object{
		{Object: ns},
		{Object: dep, Status: &delivery.StatusRequest{Source: webSource}},
		{Object: widget, Status: &delivery.StatusRequest{Fields: widgetFields}},
		{Object: cm},
	}
}

// returnedState is a test's view of the plane.
type returnedState struct {
	env    *e2e.Env
	hub    *e2e.Hub
	spoke  *e2e.Spoke
	reader *returned.Reader
	d      *delivery.Deliverer
}

// read lists the WEC's works on the hub and returns what the reader reports, by key.
func (s *returnedState) read(ctx context.Context) (map[returned.Key]returned.Returned, error) {
	list, err := s.hub.Work.WorkV1().ManifestWorks(returnedWEC).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	works := make([]*workv1.ManifestWork, len(list.Items))
	for i := range list.Items {
		works[i] = &list.Items[i]
	}
	out := map[returned.Key]returned.Returned{}
	for _, r := range s.reader.Read(works) {
		out[r.Key] = r
	}
	return out, nil
}

// waitFor polls the reader until cond accepts the result for key.
func (s *returnedState) waitFor(t *testing.T, ctx context.Context, what string, key returned.Key, cond func(returned.Returned) bool) returned.Returned {
	t.Helper()
	var got returned.Returned
	require.NoError(t, s.env.Eventually(ctx, what, 3*time.Minute, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		all, err := s.read(ctx)
		if err != nil {
			return false, err
		}
		got = all[key]
		return cond(got), nil
	}))
	return got
}

// TestE2EReturnedState delivers a Deployment (renamed for the WEC) and a Widget with status
// wanted to a WEC running OCM's own work agent with the RawFeedbackJsonString gate, and reads
// their status back through package returned: the Deployment's replicas, updatedReplicas and
// observedGeneration under its source identity, across ten scalings (the feedback latency is
// measured); the Widget's status, once larger than the agent's 1,024-byte limit, field by
// field; a field alone over the limit is ErrStatusTooLarge naming it.
func TestE2EReturnedState(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	start := time.Now()
	s := &returnedState{env: e2e.New(t), reader: returned.NewReader(nil)}
	var wg sync.WaitGroup
	var hubErr, spokeErr error
	wg.Go(func() { s.hub, hubErr = s.env.StartHub(ctx) })
	wg.Go(func() { s.spoke, spokeErr = s.env.StartSpoke(ctx, returnedWEC) })
	wg.Wait()
	require.NoError(t, hubErr)
	require.NoError(t, spokeErr)

	crdFile := filepath.Join(s.env.Dir(), "widgets.yaml")
	require.NoError(t, os.WriteFile(crdFile, []byte(widgetCRD), 0o600))
	require.NoError(t, s.spoke.InstallCRDs([]string{crdFile}))
	agent, err := s.spoke.StartRegistrationAgent(bootstrapKubeconfigAs(t, ctx, s.hub.Kube, s.hub, returnedWEC), "agent-"+returnedWEC, "hub-kubeconfig-secret")
	require.NoError(t, err)
	require.NoError(t, s.env.Eventually(ctx, "accept "+returnedWEC, 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err := registry.Accept(ctx, s.hub.Kube, s.hub.OCM, returnedWEC, registry.AcceptOptions{})
		if errors.Is(err, registry.ErrNoCSR) || apierrors.IsNotFound(err) {
			return false, err
		}
		return err == nil, err
	}))
	_, err = s.spoke.StartWorkAgent(ctx, agent)
	require.NoError(t, err)
	require.NoError(t, s.env.Eventually(ctx, returnedWEC+" Available", 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		st, err := registry.GetStatus(ctx, s.hub.OCM, returnedWEC)
		return err == nil && st.Ready(), err
	}))
	t.Logf("MEASURE returned-state planes joined after %s", time.Since(start).Round(100*time.Millisecond))

	// The assembly's mapper: built-in kinds plus the Widget CRD.
	var crd unstructured.Unstructured
	require.NoError(t, yaml.Unmarshal([]byte(widgetCRD), &crd.Object))
	mapper, err := resources.New(resources.Options{Objects: []*unstructured.Unstructured{&crd}})
	require.NoError(t, err)
	s.d, err = delivery.New(s.hub.Work, delivery.Options{Resources: mapper})
	require.NoError(t, err)
	spokeDyn, err := dynamic.NewForConfig(s.spoke.Config)
	require.NoError(t, err)

	// The informer form, over the same works: its cache holds no manifests.
	inf, err := returned.NewInformer(s.hub.Work, 0)
	require.NoError(t, err)
	stop := make(chan struct{})
	defer close(stop)
	go inf.Run(stop)

	t.Run("DeploymentStatus", func(t *testing.T) { testDeploymentStatus(t, ctx, s) })
	t.Run("Informer", func(t *testing.T) { testInformer(t, ctx, s, inf) })
	t.Run("FieldByField", func(t *testing.T) { testFieldByField(t, ctx, s, spokeDyn) })
	t.Logf("MEASURE TestE2EReturnedState total %s", time.Since(start).Round(100*time.Millisecond))
}

// deploymentReturned reports whether r carries the spoke Deployment's current status for
// replicas n: replicas and updatedReplicas n, observedGeneration the spoke's generation.
func deploymentReturned(r returned.Returned, n, generation int64) bool {
	return r.Reported && r.Err == nil &&
		r.Status["replicas"] == n && r.Status["updatedReplicas"] == n && r.Status["observedGeneration"] == generation
}

func testDeploymentStatus(t *testing.T, ctx context.Context, s *returnedState) {
	key := returned.Key{Object: webSource, WEC: returnedWEC}
	spokeDeps := s.spoke.Kube.AppsV1().Deployments(returnedNS)
	var latencies []time.Duration
	for i, n := range []int64{2, 1, 3, 2, 1, 3, 2, 1, 3, 2, 1} {
		_, err := s.d.Apply(ctx, returnedWEC, returnedKey, returnedObjects(n, nil), delivery.ApplyOptions{})
		require.NoError(t, err)
		applied := time.Now()
		var generation int64
		got := s.waitFor(t, ctx, fmt.Sprintf("Deployment status for %d replicas", n), key, func(r returned.Returned) bool {
			dep, err := spokeDeps.Get(ctx, "web-"+returnedWEC, metav1.GetOptions{})
			if err != nil || dep.Spec.Replicas == nil || *dep.Spec.Replicas != int32(n) {
				return false
			}
			generation = dep.Generation
			return deploymentReturned(r, n, generation)
		})
		if i > 0 { // the first includes creating the Namespace and the Deployment
			latencies = append(latencies, time.Since(applied))
		}
		// What came back is what the WEC's API server holds.
		dep, err := spokeDeps.Get(ctx, "web-"+returnedWEC, metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, int64(dep.Status.Replicas), got.Status["replicas"])
		assert.Equal(t, dep.Status.ObservedGeneration, got.Status["observedGeneration"])
		assert.Equal(t, "web-"+returnedWEC, got.Delivered.Name, "matched through the source identity recorded at delivery")
		assert.False(t, got.LastUpdated.IsZero())
	}
	slices.Sort(latencies)
	t.Logf("MEASURE returned-status latency over %d scalings (Apply returned → new replicas and observedGeneration read back; agent --status-sync-interval %s): median %s, max %s, min %s",
		len(latencies), e2e.StatusSyncInterval, latencies[len(latencies)/2].Round(10*time.Millisecond),
		latencies[len(latencies)-1].Round(10*time.Millisecond), latencies[0].Round(10*time.Millisecond))
}

// testInformer reads the Deployment's status from the informer's stripped cache with a fresh
// reader (as after a restart) and finds what the listing reader finds; LastUpdated is then the
// time of the work's last status write, not the time of reading.
func testInformer(t *testing.T, ctx context.Context, s *returnedState, inf cache.SharedIndexInformer) {
	require.True(t, cache.WaitForCacheSync(ctx.Done(), inf.HasSynced))
	key := returned.Key{Object: webSource, WEC: returnedWEC}
	fresh := returned.NewReader(nil)
	var got, want returned.Returned
	require.NoError(t, s.env.Eventually(ctx, "informer cache has the listed status", time.Minute, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		listed, err := s.read(ctx)
		if err != nil {
			return false, err
		}
		want = listed[key]
		for _, r := range fresh.ReadStore(inf.GetStore()) {
			if r.Key == key {
				got = r
			}
		}
		return want.Reported && got.Reported && reflect.DeepEqual(want.Status, got.Status), nil
	}))
	for _, o := range inf.GetStore().List() {
		assert.Empty(t, o.(*workv1.ManifestWork).Spec.Workload.Manifests, "cache transform strips spec.workload")
	}
	list, err := s.hub.Work.WorkV1().ManifestWorks(returnedWEC).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	var lastWrite time.Time
	for _, mw := range list.Items {
		for _, f := range mw.ManagedFields {
			if mw.Name == got.Work && f.Subresource == "status" && f.Time != nil && f.Time.After(lastWrite) {
				lastWrite = f.Time.Time
			}
		}
	}
	assert.False(t, got.LastUpdated.IsZero())
	assert.False(t, got.LastUpdated.After(lastWrite), "first observation after a restart: %s is at most the work's last status write %s", got.LastUpdated, lastWrite)
	t.Logf("listing reader observed the current status at %s; a fresh reader reports the work's last status write, %s",
		want.LastUpdated.Format(time.RFC3339Nano), got.LastUpdated.Format(time.RFC3339))
}

// setWidgetStatus writes the Widget's status on the WEC.
func setWidgetStatus(ctx context.Context, dyn dynamic.Interface, status map[string]any) error {
	widgets := dyn.Resource(widgetsGVR).Namespace(returnedNS)
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		w, err := widgets.Get(ctx, "big", metav1.GetOptions{})
		if err != nil {
			return err
		}
		w.Object["status"] = status
		_, err = widgets.UpdateStatus(ctx, w, metav1.UpdateOptions{})
		return err
	})
}

func testFieldByField(t *testing.T, ctx context.Context, s *returnedState, dyn dynamic.Interface) {
	small := map[string]any{"phase": "Ready", "message": "short", "details": map[string]any{"a": "b"}}
	require.NoError(t, setWidgetStatus(ctx, dyn, small))
	got := s.waitFor(t, ctx, "small Widget status as one value", widgetKey, func(r returned.Returned) bool {
		return r.Reported && r.Err == nil && r.Status["phase"] == "Ready"
	})
	assert.Equal(t, small, got.Status)
	lastFields := slices.Sorted(func(yield func(string) bool) {
		for f := range got.Status {
			if !yield(f) {
				return
			}
		}
	})

	// Over 1,024 bytes as a whole; each field under.
	big := map[string]any{"phase": "Degraded", "message": strings.Repeat("m", 600), "details": map[string]any{"x": strings.Repeat("d", 600)}}
	require.NoError(t, setWidgetStatus(ctx, dyn, big))
	got = s.waitFor(t, ctx, "whole Widget status reported too large", widgetKey, func(r returned.Returned) bool {
		return errors.Is(r.Err, returned.ErrStatusTooLarge)
	})
	var tl *returned.TooLargeError
	require.ErrorAs(t, got.Err, &tl)
	assert.Empty(t, tl.Fields, "the whole value failed")
	t.Logf("agent's report: %s", tl.AgentMessage)

	// The next Apply of the pair asks field by field (the fields of the last returned value).
	rep, err := s.d.Apply(ctx, returnedWEC, returnedKey, returnedObjects(1, lastFields), delivery.ApplyOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, rep.Updated, "the feedback rules changed: %s", rep)
	got = s.waitFor(t, ctx, "Widget status reassembled field by field", widgetKey, func(r returned.Returned) bool {
		return r.Reported && r.Err == nil && r.Status["phase"] == "Degraded"
	})
	assert.Equal(t, big, got.Status)

	// One field alone over the limit: typed, named, and the others still come back.
	huge := map[string]any{"phase": "Broken", "message": "ok", "details": map[string]any{"x": strings.Repeat("h", 1500)}}
	require.NoError(t, setWidgetStatus(ctx, dyn, huge))
	got = s.waitFor(t, ctx, "Widget field too large", widgetKey, func(r returned.Returned) bool {
		return r.Status["phase"] == "Broken" && errors.Is(r.Err, returned.ErrStatusTooLarge)
	})
	require.ErrorAs(t, got.Err, &tl)
	assert.Equal(t, []string{"details"}, tl.Fields)
	assert.Equal(t, widgetKey.Object, tl.Object)
	assert.Equal(t, map[string]any{"phase": "Broken", "message": "ok"}, got.Status)
}
