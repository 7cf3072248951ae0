package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/wecforge/wecforge/examples/transport/crds"
	"github.com/wecforge/wecforge/examples/transport/statusback"
	"github.com/wecforge/wecforge/internal/e2e"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/rules/combine"
)

const (
	srNS        = "statusreturn"
	srSourceKey = "status-e2e"
	srLabel     = "statusreturn.test/wec"
	// srShardNS holds the Leases of the two replicas.
	srShardNS = "statusreturn-sharding"
)

// srReplicas are the identities of the two in-process transport replicas.
var srReplicas = []string{"status-a", "status-b"}

// srWECs are the WECs of TestE2EStatusReturn (bindingPoliciesGVR is placement_test.go's).
var srWECs = []string{"ret-a", "ret-b"}

// srCollector counts the WECs and sums their replicas.
const srCollector = `apiVersion: control.kubestellar.io/v1alpha1
kind: StatusCollector
metadata: {name: wecs-replicas}
spec:
  combinedFields:
  - {name: wecs, type: COUNT}
  - {name: replicas, type: SUM, subject: returned.status.replicas}
`

// srSingle sends the namespace, Deployment web and Widget big to ret-a, asking for their
// singleton reported state.
const srSingle = `apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: single}
spec:
  clusterSelectors: [{matchLabels: {"statusreturn.test/wec": ret-a}}]
  downsync:
  - {resources: [namespaces], objectNames: [statusreturn]}
  - {apiGroup: apps, resources: [deployments], namespaces: [statusreturn], objectNames: [web], wantSingletonReportedState: true}
  - {apiGroup: test.wecforge.io, resources: [widgets], namespaces: [statusreturn], objectNames: [big], wantSingletonReportedState: true}
`

// srMulti sends the namespace and Deployment web to both WECs, asking for the multi-WEC
// reported state and naming the collector.
const srMulti = `apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: multi}
spec:
  clusterSelectors: [{matchExpressions: [{key: "statusreturn.test/wec", operator: In, values: [ret-a, ret-b]}]}]
  downsync:
  - {resources: [namespaces], objectNames: [statusreturn]}
  - {apiGroup: apps, resources: [deployments], namespaces: [statusreturn], objectNames: [web], wantMultiWECReportedState: true, statusCollectors: [wecs-replicas]}
`

// statusReturn is the state TestE2EStatusReturn's steps share.
type statusReturn struct {
	env    *e2e.Env
	hub    *e2e.Hub
	spokes map[string]*e2e.Spoke
	wds    dynamic.Interface // the hub doubles as the WDS
	// replicas are the two transport replicas; their counters are summed by rendered, stats
	// and idle.
	replicas []*srReplica
	web      *unstructured.Unstructured
}

// TestE2EStatusReturn runs the whole status path with OCM's own agents: the transport
// (policies mode, the hub doubling as the WDS, which runs no deployment controller) delivers a
// Deployment with feedback rules; the spokes' controllers give it a real status; the work
// agents (RawFeedbackJsonString on) return it; the status loop writes it back. Singleton from
// one WEC, then multi-WEC over two with a StatusCollector (COUNT of WECs, SUM of replicas)
// into a CombinedStatus; a Widget whose status exceeds 1,024 bytes comes back field by field;
// ten scalings measure the latency and show that writing status back renders nothing. Two
// transport replicas share the fleet (sharding on, one source key): each delivers the WECs it
// owns, the leader alone writes to the WDS, and every assertion holds for the pair.
func TestE2EStatusReturn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	s := &statusReturn{env: e2e.New(t), spokes: map[string]*e2e.Spoke{}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := map[string]error{}
	wg.Go(func() {
		h, err := s.env.StartHub(ctx)
		mu.Lock()
		s.hub, errs["hub"] = h, err
		mu.Unlock()
	})
	for _, name := range srWECs {
		wg.Go(func() {
			sp, err := s.env.StartSpoke(ctx, name)
			mu.Lock()
			s.spokes[name], errs[name] = sp, err
			mu.Unlock()
		})
	}
	wg.Wait()
	for name, err := range errs {
		require.NoError(t, err, "start %s", name)
	}
	crdFile := filepath.Join(s.env.Dir(), "widgets.yaml")
	require.NoError(t, os.WriteFile(crdFile, []byte(widgetCRD), 0o600))
	for _, name := range srWECs {
		s.join(t, ctx, name, crdFile)
	}
	t.Logf("MEASURE status-return planes joined after %s", time.Since(start).Round(100*time.Millisecond))

	var err error
	s.wds, err = dynamic.NewForConfig(s.hub.Config)
	require.NoError(t, err)
	require.NoError(t, s.hub.InstallCRDs([]string{crdFile}))
	_, err = crds.Install(ctx, s.wds)
	require.NoError(t, err)
	require.NoError(t, s.env.Eventually(ctx, "KubeStellar CRDs served", 2*time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err1 := s.wds.Resource(bindingPoliciesGVR).List(ctx, metav1.ListOptions{})
		_, err2 := s.wds.Resource(statusback.CombinedStatusResource).Namespace("default").List(ctx, metav1.ListOptions{})
		_, err3 := s.wds.Resource(widgetsGVR).Namespace("default").List(ctx, metav1.ListOptions{})
		return err1 == nil && err2 == nil && err3 == nil, nil
	}))
	s.startTransport(t, ctx)

	t.Run("Singleton", func(t *testing.T) { testSingletonReturn(t, ctx, s) })
	t.Run("FieldByField", func(t *testing.T) { testWidgetFieldByField(t, ctx, s) })
	t.Run("MultiWEC", func(t *testing.T) { testMultiWECReturn(t, ctx, s) })
	t.Run("Scaling", func(t *testing.T) { testScalingReturn(t, ctx, s) })
	t.Logf("MEASURE TestE2EStatusReturn total %s", time.Since(start).Round(100*time.Millisecond))
}
func testSingletonReturn(t *testing.T, ctx context.Context, s *statusReturn) {
	var want map[string]any
	got := s.waitWDS(t, ctx, "web's status from ret-a in the WDS", deploymentsGVR, "web", func(u *unstructured.Unstructured) bool {
		w, err := s.spokeDeployment(ctx, "ret-a")
		if err != nil || w["replicas"] != int64(1) || w["observedGeneration"] == int64(0) {
			return false
		}
		want = w
		return hasStatus(u, w, combine.SingletonStatusLabel)
	})
	st, _, _ := unstructured.NestedMap(got.Object, "status")
	assert.Equal(t, int64(1), st["replicas"])
	assert.Equal(t, int64(1), st["updatedReplicas"])
	assert.Equal(t, want["observedGeneration"], st["observedGeneration"])
	assert.NotContains(t, got.GetLabels(), combine.MultiWECStatusLabel)
	_, err := s.spokes["ret-b"].Kube.AppsV1().Deployments(srNS).Get(ctx, "web", metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "ret-b is not a destination yet: %v", err)
}

// testWidgetFieldByField: the Widget's status on ret-a grows past 1,024 bytes; the status
// loop has the transport deliver it again field by field, and the WDS gets it whole.
func testWidgetFieldByField(t *testing.T, ctx context.Context, s *statusReturn) {
	dyn, err := dynamic.NewForConfig(s.spokes["ret-a"].Config)
	require.NoError(t, err)
	require.NoError(t, s.env.Eventually(ctx, "Widget on ret-a", 2*time.Minute, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(widgetsGVR).Namespace(srNS).Get(ctx, "big", metav1.GetOptions{})
		return err == nil, nil
	}))
	small := map[string]any{"phase": "Ready", "message": "short", "details": map[string]any{"a": "b"}}
	require.NoError(t, setWidgetStatusIn(ctx, dyn, srNS, small))
	s.waitWDS(t, ctx, "small Widget status in the WDS", widgetsGVR, "big", func(u *unstructured.Unstructured) bool {
		return hasStatus(u, small, combine.SingletonStatusLabel)
	})
	before := s.stats().Redeliveries
	big := map[string]any{"phase": "Degraded", "message": strings.Repeat("m", 600), "details": map[string]any{"x": strings.Repeat("d", 600)}}
	require.NoError(t, setWidgetStatusIn(ctx, dyn, srNS, big))
	got := s.waitWDS(t, ctx, "big Widget status in the WDS, field by field", widgetsGVR, "big", func(u *unstructured.Unstructured) bool {
		return hasStatus(u, big, combine.SingletonStatusLabel)
	})
	st, _, _ := unstructured.NestedMap(got.Object, "status")
	assert.Equal(t, big, st)
	assert.Greater(t, s.stats().Redeliveries, before, "the whole value was reported too large and delivered again")
	works, err := s.hub.Work.WorkV1().ManifestWorks("ret-a").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	var fields []string
	for _, mw := range works.Items {
		for i := range mw.Spec.ManifestConfigs {
			if mw.Spec.ManifestConfigs[i].ResourceIdentifier.Resource == "widgets" {
				_, fields = delivery.FeedbackRequest(&mw.Spec.ManifestConfigs[i])
			}
		}
	}
	assert.Equal(t, []string{"details", "message", "phase"}, fields, "asked field by field, the fields of the last status read")
}

// testMultiWECReturn: policy multi sends web to both WECs with the multi-WEC request and the
// collector, then policy single goes. The WDS gets the aggregate and the CombinedStatus.
func testMultiWECReturn(t *testing.T, ctx context.Context, s *statusReturn) {
	s.applyPolicy(t, ctx, srMulti)
	require.NoError(t, s.wds.Resource(bindingPoliciesGVR).Delete(ctx, "single", metav1.DeleteOptions{}))
	multi, err := s.wds.Resource(bindingPoliciesGVR).Get(ctx, "multi", metav1.GetOptions{})
	require.NoError(t, err)
	csName := string(s.web.GetUID()) + "." + string(multi.GetUID())
	got := s.waitWDS(t, ctx, "web's aggregate in the WDS", deploymentsGVR, "web", func(u *unstructured.Unstructured) bool {
		_, errB := s.spokeDeployment(ctx, "ret-b")
		return errB == nil && hasStatus(u, map[string]any{"replicas": int64(1), "updatedReplicas": int64(1)}, combine.MultiWECStatusLabel) &&
			u.GetLabels()[combine.SingletonStatusLabel] == ""
	})
	assert.NotContains(t, got.GetLabels(), combine.SingletonStatusLabel)
	cs := s.waitWDS(t, ctx, "CombinedStatus rows", statusback.CombinedStatusResource, csName, func(u *unstructured.Unstructured) bool {
		return equality.Semantic.DeepEqual(combinedRow(u), numbers(2, 2))
	})
	assert.Equal(t, map[string]string{
		combine.LabelAPIGroup: "apps", combine.LabelResource: "deployments", combine.LabelNamespace: srNS,
		combine.LabelName: "web", combine.LabelBindingPolicy: "multi",
	}, cs.GetLabels())
	require.Len(t, cs.GetOwnerReferences(), 1)
	assert.Equal(t, s.web.GetUID(), cs.GetOwnerReferences()[0].UID)
	results, _, _ := unstructured.NestedSlice(cs.Object, "results")
	require.Len(t, results, 1)
	assert.Equal(t, "wecs-replicas", results[0].(map[string]any)["name"])
	assert.Equal(t, []any{"wecs", "replicas"}, results[0].(map[string]any)["columnNames"])
}

// testScalingReturn scales the WDS Deployment ten times and waits each time for the
// aggregate (minimum replicas over the WECs) and the CombinedStatus SUM; the latency from the
// WDS update to both is measured. Every write-back echoes through the transport's source,
// yet the renders are exactly those of the ten spec changes (one object, two WECs each): each
// replica renders only the WECs it owns, at most once per change, and together the owners
// render every pair exactly once.
func testScalingReturn(t *testing.T, ctx context.Context, s *statusReturn) {
	multi, err := s.wds.Resource(bindingPoliciesGVR).Get(ctx, "multi", metav1.GetOptions{})
	require.NoError(t, err)
	csName := string(s.web.GetUID()) + "." + string(multi.GetUID())
	// Let the transport settle: the label changes of the previous step rendered web again.
	require.NoError(t, s.env.Eventually(ctx, "transport settled", time.Minute, 500*time.Millisecond, func(ctx context.Context) (bool, error) {
		n := s.rendered()
		time.Sleep(3 * time.Second)
		return s.rendered() == n && s.idle(), nil
	}))
	renders, writes := s.renderedBy(), s.stats().StatusWrites
	// shardMoves counts the shard acquisitions and losses of both replicas: a move during the
	// scalings (a stalled renewal) makes the gaining replica render that WEC once more.
	shardMoves := func() int64 {
		var n int64
		for _, r := range s.replicas {
			st := r.sharder.Snapshot()
			n += st.Acquired + st.Lost
		}
		return n
	}
	moves := shardMoves()
	scalings := []int64{2, 3, 1, 2, 3, 1, 2, 3, 1, 2}
	var latencies []time.Duration
	for _, n := range scalings {
		require.NoError(t, retry.RetryOnConflict(retry.DefaultBackoff, func() error {
			u, err := s.wds.Resource(deploymentsGVR).Namespace(srNS).Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return err
			}
			require.NoError(t, unstructured.SetNestedField(u.Object, n, "spec", "replicas"))
			_, err = s.wds.Resource(deploymentsGVR).Namespace(srNS).Update(ctx, u, metav1.UpdateOptions{})
			return err
		}))
		updated := time.Now()
		s.waitWDS(t, ctx, fmt.Sprintf("aggregate for %d replicas", n), deploymentsGVR, "web", func(u *unstructured.Unstructured) bool {
			return hasStatus(u, map[string]any{"replicas": n, "updatedReplicas": n}, combine.MultiWECStatusLabel)
		})
		s.waitWDS(t, ctx, fmt.Sprintf("SUM for %d replicas", n), statusback.CombinedStatusResource, csName, func(u *unstructured.Unstructured) bool {
			return equality.Semantic.DeepEqual(combinedRow(u), numbers(2, 2*n))
		})
		latencies = append(latencies, time.Since(updated))
		for _, wec := range srWECs {
			w, err := s.spokeDeployment(ctx, wec)
			require.NoError(t, err)
			assert.Equal(t, n, w["replicas"], "%s runs the scaled Deployment", wec)
		}
	}
	require.NoError(t, s.env.Eventually(ctx, "status loop idle", time.Minute, 200*time.Millisecond, func(context.Context) (bool, error) {
		return s.idle(), nil
	}))
	time.Sleep(2 * e2e.StatusSyncInterval) // any write-back still echoing reaches the transport
	total := 0
	for i, n := range s.renderedBy() {
		total += n - renders[i]
		assert.LessOrEqual(t, n-renders[i], 2*len(scalings),
			"renders of %s: at most one per WEC per spec change; the %d status write-backs rendered nothing", srReplicas[i], s.stats().StatusWrites-writes)
	}
	if moved := shardMoves() - moves; moved == 0 {
		assert.Equal(t, 2*len(scalings), total, "every WEC's pair rendered once per spec change, by its owner alone")
	} else {
		// A takeover renders the gained WEC's pairs once: the total is no longer exact.
		t.Logf("shards moved %d times during the scalings: renders checked as at least one per WEC per change", moved)
		assert.GreaterOrEqual(t, total, 2*len(scalings), "every WEC's pair rendered for every spec change")
	}
	assert.GreaterOrEqual(t, s.stats().StatusWrites-writes, int64(len(scalings)), "every scaling wrote the aggregate back")
	slices.Sort(latencies)
	t.Logf("MEASURE status-return latency over %d scalings (WDS spec update → aggregate status and CombinedStatus SUM in the WDS; agent --status-sync-interval %s): median %s, max %s, min %s; status writes %d, renders %d (both replicas)",
		len(latencies), e2e.StatusSyncInterval, latencies[len(latencies)/2].Round(10*time.Millisecond),
		latencies[len(latencies)-1].Round(10*time.Millisecond), latencies[0].Round(10*time.Millisecond),
		s.stats().StatusWrites-writes, total)
}
