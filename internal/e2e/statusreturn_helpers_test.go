package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/examples/transport/loop"
	"github.com/wecforge/wecforge/examples/transport/statusloop"
	"github.com/wecforge/wecforge/internal/e2e"
	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/registry/sharding"
	"github.com/wecforge/wecforge/transform"
)

// join makes WEC name join the hub with its registration and work agents, labels it and
// installs the Widget CRD on it.
func (s *statusReturn) join(t *testing.T, ctx context.Context, name, crdFile string) {
	require.NoError(t, s.spokes[name].InstallCRDs([]string{crdFile}))
	joinWEC(t, ctx, s.env, s.hub, s.spokes[name], map[string]string{srLabel: name})
}

// joinWEC makes spoke join hub with its registration and work agents (accepted with the hub's
// admin rights), waits until its ManagedCluster is Available and sets labels on it.
func joinWEC(t *testing.T, ctx context.Context, env *e2e.Env, hub *e2e.Hub, spoke *e2e.Spoke, labels map[string]string) {
	t.Helper()
	name := spoke.Name
	agent, err := spoke.StartRegistrationAgent(bootstrapKubeconfigAs(t, ctx, hub.Kube, hub, name), "agent-"+name, "hub-kubeconfig-secret")
	require.NoError(t, err)
	require.NoError(t, env.Eventually(ctx, "accept "+name, 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err := registry.Accept(ctx, hub.Kube, hub.OCM, name, registry.AcceptOptions{})
		if errors.Is(err, registry.ErrNoCSR) || apierrors.IsNotFound(err) {
			return false, err
		}
		return err == nil, err
	}))
	_, err = spoke.StartWorkAgent(ctx, agent)
	require.NoError(t, err)
	require.NoError(t, env.Eventually(ctx, name+" Available", 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		st, err := registry.GetStatus(ctx, hub.OCM, name)
		return err == nil && st.Ready(), err
	}))
	require.NoError(t, retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		mc, err := hub.OCM.ClusterV1().ManagedClusters().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if mc.Labels == nil {
			mc.Labels = map[string]string{}
		}
		maps.Copy(mc.Labels, labels)
		_, err = hub.OCM.ClusterV1().ManagedClusters().Update(ctx, mc, metav1.UpdateOptions{})
		return err
	}))
}

// startTransport creates the workload in the WDS and runs two transport replicas
// ([srReplicas]) in policies mode, as examples/transport's app wires them with sharding on,
// until the test ends: they share the source key, split the WECs through Leases in
// [srShardNS], and the leader alone writes to the WDS.
func (s *statusReturn) startTransport(t *testing.T, ctx context.Context) {
	_, err := s.hub.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: srNS}}, metav1.CreateOptions{})
	require.NoError(t, err)
	dep := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": srNS},
		"spec": map[string]any{
			"replicas": int64(1),
			"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "web", "image": "registry.example/web:1"}}},
			},
		},
	}}
	s.web, err = s.wds.Resource(deploymentsGVR).Namespace(srNS).Create(ctx, dep, metav1.CreateOptions{})
	require.NoError(t, err)
	widget := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "test.wecforge.io/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "big", "namespace": srNS}, "spec": map[string]any{"size": "large"}}}
	_, err = s.wds.Resource(widgetsGVR).Namespace(srNS).Create(ctx, widget, metav1.CreateOptions{})
	require.NoError(t, err)
	s.applyPolicy(t, ctx, srSingle)

	var collector unstructured.Unstructured
	require.NoError(t, yaml.Unmarshal([]byte(srCollector), &collector.Object))
	require.NoError(t, s.hub.EnsureNamespace(ctx, srShardNS))
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 3*len(srReplicas))
	log := fileLogger(t, s.env)
	t.Cleanup(func() {
		stop()
		for range 3 * len(s.replicas) {
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("transport: %v", err)
			}
		}
	})
	for _, id := range srReplicas {
		r := s.newReplica(t, id, &collector, log.WithValues("replica", id))
		s.replicas = append(s.replicas, r)
		go func() { done <- r.sharder.Run(runCtx) }()
		go func() { done <- r.loop.Run(runCtx) }()
		go func() { done <- r.status.Run(runCtx) }()
	}
	require.NoError(t, s.env.Eventually(ctx, "the replicas split the WECs and elect a leader", time.Minute, 100*time.Millisecond, func(context.Context) (bool, error) {
		leaders := 0
		owners := map[string]int{}
		for _, r := range s.replicas {
			if r.sharder.Leader() {
				leaders++
			}
			for _, wec := range srWECs {
				if r.sharder.Owns(wec) {
					owners[wec]++
				}
			}
		}
		return leaders == 1 && owners["ret-a"] == 1 && owners["ret-b"] == 1, nil
	}))
	for i, r := range s.replicas {
		snap := r.sharder.Snapshot()
		t.Logf("replica %s: leader %v, owns %d shards", srReplicas[i], snap.Leader, len(snap.Owned))
	}
}

// srReplica is one in-process transport replica of TestE2EStatusReturn: its own Sharder,
// source, Deliverer (fenced by the Sharder), transport loop (delivering the WECs it owns) and
// status loop (writing to the WDS while it holds the leader Lease).
type srReplica struct {
	sharder *sharding.Sharder
	loop    *loop.Controller
	status  *statusloop.Controller
}

// newReplica wires one replica as examples/transport's app wires it in policies mode with
// --shard-namespace set; it does not start it.
func (s *statusReturn) newReplica(t *testing.T, identity string, collector *unstructured.Unstructured, log logr.Logger) *srReplica {
	sharder, err := sharding.New(sharding.Options{
		Client: s.hub.Kube, Namespace: srShardNS, Group: srSourceKey, Identity: identity,
		LeaseDuration: shardLease, RenewInterval: shardRenew, SkewTolerance: shardSkew, Log: log.WithName("sharding"),
	})
	require.NoError(t, err)
	eng, _, err := loop.BuildEngine([]*unstructured.Unstructured{collector})
	require.NoError(t, err)
	disc, err := discovery.NewDiscoveryClientForConfig(s.hub.Config)
	require.NoError(t, err)
	source, err := loop.NewDiscovered(s.wds, disc, loop.PlacementPolicies, nil, 2*time.Second)
	require.NoError(t, err)
	mapper := loop.ResourceMapper(source, eng.Mapper())
	deliverer, err := delivery.New(s.hub.Work, delivery.Options{Resources: mapper, MoveTimeout: time.Minute, MovePollInterval: 100 * time.Millisecond, Fencer: sharder})
	require.NoError(t, err)
	r := &srReplica{sharder: sharder}
	r.status, err = statusloop.New(statusloop.Options{
		Works: s.hub.Work, WDS: s.wds, Resources: mapper, Collectors: eng.Collectors(), Log: log.WithName("status"),
		Redeliver: func(wec string, _ transform.ObjectRef) { r.loop.Redeliver(wec) }, Leadership: sharder,
	})
	require.NoError(t, err)
	r.loop, err = loop.New(loop.Config{
		Kube: s.hub.Kube, OCM: s.hub.OCM, Work: s.hub.Work, Deliverer: deliverer, Pipeline: eng.Pipeline(), Source: source,
		SourceKey: srSourceKey, Log: log, Placement: loop.PlacementPolicies, SourceStatus: s.wds,
		Status: r.status, RelabelGrace: time.Second, ShrinkConfirmAfter: time.Minute, Ownership: sharder,
	})
	require.NoError(t, err)
	return r
}

// rendered sums the pairs the replicas' transport loops rendered so far.
func (s *statusReturn) rendered() int {
	n := 0
	for _, r := range s.renderedBy() {
		n += r
	}
	return n
}

// renderedBy returns the pairs each replica's transport loop rendered so far, in the order of
// [srReplicas].
func (s *statusReturn) renderedBy() []int {
	out := make([]int, len(s.replicas))
	for i, r := range s.replicas {
		out[i] = rendered(r.loop)
	}
	return out
}

// stats sums the replicas' status loop counters.
func (s *statusReturn) stats() statusloop.Stats {
	var sum statusloop.Stats
	for _, r := range s.replicas {
		st := r.status.Stats()
		sum.StatusWrites += st.StatusWrites
		sum.CombinedApplies += st.CombinedApplies
		sum.CombinedDeletes += st.CombinedDeletes
		sum.CollectorWrites += st.CollectorWrites
		sum.Redeliveries += st.Redeliveries
		sum.Failures += st.Failures
	}
	return sum
}

// idle reports whether every replica's status loop is idle.
func (s *statusReturn) idle() bool {
	for _, r := range s.replicas {
		if !r.status.Idle() {
			return false
		}
	}
	return true
}

// applyPolicy creates or replaces a BindingPolicy in the WDS.
func (s *statusReturn) applyPolicy(t *testing.T, ctx context.Context, doc string) {
	var u unstructured.Unstructured
	require.NoError(t, yaml.Unmarshal([]byte(doc), &u.Object))
	_, err := s.wds.Resource(bindingPoliciesGVR).Create(ctx, &u, metav1.CreateOptions{})
	require.NoError(t, err)
}

// waitWDS polls an object in the WDS until cond accepts it.
func (s *statusReturn) waitWDS(t *testing.T, ctx context.Context, what string, gvr schema.GroupVersionResource, name string, cond func(*unstructured.Unstructured) bool) *unstructured.Unstructured {
	t.Helper()
	var got *unstructured.Unstructured
	require.NoError(t, s.env.Eventually(ctx, what, 3*time.Minute, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		u, err := s.wds.Resource(gvr).Namespace(srNS).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		got = u
		return cond(u), nil
	}))
	return got
}

// spokeDeployment returns web on a WEC: replicas, updatedReplicas and observedGeneration.
func (s *statusReturn) spokeDeployment(ctx context.Context, wec string) (map[string]any, error) {
	dep, err := s.spokes[wec].Kube.AppsV1().Deployments(srNS).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return map[string]any{"replicas": int64(dep.Status.Replicas), "updatedReplicas": int64(dep.Status.UpdatedReplicas),
		"observedGeneration": dep.Status.ObservedGeneration}, nil
}

// hasStatus reports whether u's status carries want's fields and label is set.
func hasStatus(u *unstructured.Unstructured, want map[string]any, label string) bool {
	st, _, _ := unstructured.NestedMap(u.Object, "status")
	for k, v := range want {
		if !equality.Semantic.DeepEqual(st[k], v) {
			return false
		}
	}
	return u.GetLabels()[label] == "true"
}

// setWidgetStatusIn writes the Widget's status on a WEC.
func setWidgetStatusIn(ctx context.Context, dyn dynamic.Interface, ns string, status map[string]any) error {
	widgets := dyn.Resource(widgetsGVR).Namespace(ns)
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

// combinedRow returns the one row of CombinedStatus name's one result, as its values.
func combinedRow(u *unstructured.Unstructured) []any {
	results, _, _ := unstructured.NestedSlice(u.Object, "results")
	if len(results) != 1 {
		return nil
	}
	rows, _, _ := unstructured.NestedSlice(results[0].(map[string]any), "rows")
	if len(rows) != 1 {
		return nil
	}
	cols, _, _ := unstructured.NestedSlice(rows[0].(map[string]any), "columns")
	return cols
}
func numbers(ns ...int64) []any {
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = map[string]any{"type": "Number", "float": fmt.Sprint(n)}
	}
	return out
}

// rendered sums the pairs the transport rendered so far.
func rendered(c *loop.Controller) int {
	n := 0
	for _, r := range c.History() {
		n += r.Rendered
	}
	return n
}
