package e2e_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/examples/transport/crds"
	"github.com/wecforge/wecforge/examples/transport/loop"
	"github.com/wecforge/wecforge/internal/e2e"
	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/transform/resources"
)

const placementNS = "shop"

var (
	jobsGVR             = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	namespacesGVR       = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	bindingPoliciesGVR  = schema.GroupVersionResource{Group: "control.kubestellar.io", Version: "v1alpha1", Resource: "bindingpolicies"}
	customTransformsGVR = schema.GroupVersionResource{Group: "control.kubestellar.io", Version: "v1alpha1", Resource: "customtransforms"}
	customRulesGVR      = schema.GroupVersionResource{Group: "wecforge.io", Version: "v1alpha1", Resource: "customizationrules"}
)

// placementWDS is what the source API server (standing in for KubeStellar's WDS) holds.
const placementWDS = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations: {control.kubestellar.io/expand-templates: "true", wds.example/internal: "x"}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example/web:1
        env: [{name: WEC, value: "{{ .clusterName }}/{{ .name }}"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: pi, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: registry.example/pi:1}]
---
apiVersion: test.wecforge.io/v1
kind: Widget
metadata: {name: w1, namespace: shop}
spec: {secret: s3cr3t, keep: yes-please}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: web}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync:
  - {apiGroup: "", resources: [namespaces], objectNames: [shop]}
  - {apiGroup: apps, resources: [deployments], namespaces: [shop], objectNames: [web]}
  - {apiGroup: test.wecforge.io, resources: [widgets], namespaces: [shop], objectNames: [w1]}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: pi}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync:
  - {apiGroup: batch, resources: [jobs], namespaces: [shop], objectNames: [pi]}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: CustomTransform
metadata: {name: widget-secret}
spec: {apiGroup: test.wecforge.io, resource: widgets, remove: [$.spec.secret]}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: CustomTransform
metadata: {name: wds-annotation}
spec: {apiGroup: apps, resource: deployments, remove: ["$.metadata.annotations['wds.example/internal']"]}
`

func placementDocs(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, part := range splitDocs(placementWDS) {
		u := &unstructured.Unstructured{}
		require.NoError(t, yaml.Unmarshal([]byte(part), &u.Object))
		out = append(out, u)
	}
	return out
}

func splitDocs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n---\n") {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

// TestE2EPlacement runs the transport in policies mode with OCM's own agents: a source API
// server stands in for the WDS (BindingPolicies, CustomTransforms, CustomizationRules, a
// Namespace, a Deployment with templates, a Job for cluster1 only and a Widget of a CRD); each
// spoke's API server gets exactly what the policies bind to it, as rendered for it. Then live:
// a policy edit moves the Job, an added CustomizationRule renders only what it matches, and an
// invalid CustomTransform entry shows in its status while everything else keeps applying.
func TestE2EPlacement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	start := time.Now()
	env := e2e.New(t)
	var hub *e2e.Hub
	var wds *e2e.ControlPlane
	spokes := map[string]*e2e.Spoke{}
	var mu sync.Mutex
	errs := map[string]error{}
	var wg sync.WaitGroup
	wg.Go(func() {
		h, err := env.StartHub(ctx)
		mu.Lock()
		hub, errs["hub"] = h, err
		mu.Unlock()
	})
	wg.Go(func() {
		w, err := env.StartControlPlane(ctx, "wds")
		mu.Lock()
		wds, errs["wds"] = w, err
		mu.Unlock()
	})
	for _, name := range []string{"cluster1", "cluster2"} {
		wg.Go(func() {
			s, err := env.StartSpoke(ctx, name)
			mu.Lock()
			spokes[name], errs[name] = s, err
			mu.Unlock()
		})
	}
	wg.Wait()
	for name, err := range errs {
		require.NoError(t, err, "start %s", name)
	}

	// The Widget CRD on the WDS and, by the test, on the spokes; the transport's CRDs on the WDS.
	crdFile := filepath.Join(env.Dir(), "widgets.yaml")
	require.NoError(t, os.WriteFile(crdFile, []byte(widgetCRD), 0o600))
	require.NoError(t, wds.InstallCRDs([]string{crdFile}))
	for _, s := range spokes {
		require.NoError(t, s.InstallCRDs([]string{crdFile}))
	}
	wdsDyn, err := dynamic.NewForConfig(wds.Config)
	require.NoError(t, err)
	_, err = crds.Install(ctx, wdsDyn)
	require.NoError(t, err)

	for _, name := range []string{"cluster1", "cluster2"} {
		s := spokes[name]
		agent, err := s.StartRegistrationAgent(bootstrapKubeconfigAs(t, ctx, hub.Kube, hub, name), "agent-"+name, "hub-kubeconfig-secret")
		require.NoError(t, err)
		require.NoError(t, env.Eventually(ctx, "accept "+name, 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
			_, err := registry.Accept(ctx, hub.Kube, hub.OCM, name, registry.AcceptOptions{})
			if errors.Is(err, registry.ErrNoCSR) || apierrors.IsNotFound(err) {
				return false, err
			}
			return err == nil, err
		}))
		_, err = s.StartWorkAgent(ctx, agent)
		require.NoError(t, err)
		_, err = registry.Label(ctx, hub.OCM, name, map[string]string{"name": name, "location-group": "edge"})
		require.NoError(t, err)
	}
	for _, name := range []string{"cluster1", "cluster2"} {
		require.NoError(t, env.Eventually(ctx, name+" Available", 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
			st, err := registry.GetStatus(ctx, hub.OCM, name)
			return err == nil && st.Ready(), err
		}))
	}
	t.Logf("MEASURE placement planes joined after %s", time.Since(start).Round(100*time.Millisecond))

	// The WDS's objects; the CRDs must be established before the Widget is created.
	require.NoError(t, env.Eventually(ctx, "WDS CRDs served", time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err1 := wdsDyn.Resource(bindingPoliciesGVR).List(ctx, metav1.ListOptions{})
		_, err2 := wdsDyn.Resource(customTransformsGVR).List(ctx, metav1.ListOptions{})
		_, err3 := wdsDyn.Resource(customRulesGVR).List(ctx, metav1.ListOptions{})
		_, err4 := wdsDyn.Resource(widgetsGVR).List(ctx, metav1.ListOptions{})
		err := errors.Join(err1, err2, err3, err4)
		return err == nil, err
	}))
	for _, u := range placementDocs(t) {
		gvr, ns := resourceOf(u), u.GetNamespace()
		_, err := wdsDyn.Resource(gvr).Namespace(ns).Create(ctx, u, metav1.CreateOptions{})
		require.NoError(t, err, "create %s %s", u.GetKind(), u.GetName())
	}

	var crd unstructured.Unstructured
	require.NoError(t, yaml.Unmarshal([]byte(widgetCRD), &crd.Object))
	mapper, err := resources.New(resources.Options{Objects: []*unstructured.Unstructured{&crd}})
	require.NoError(t, err)
	deliverer, err := delivery.New(hub.Work, delivery.Options{Resources: mapper, MoveTimeout: time.Minute, MovePollInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	disc, err := discovery.NewDiscoveryClientForConfig(wds.Config)
	require.NoError(t, err)
	src, err := loop.NewDiscovered(wdsDyn, disc, loop.PlacementPolicies, nil, 5*time.Second)
	require.NoError(t, err)
	src.WatchConfiguration()
	c, err := loop.New(loop.Config{
		Kube: hub.Kube, OCM: hub.OCM, Deliverer: deliverer, Work: hub.Work, Source: src,
		SourceKey: "placement-e2e", Log: fileLogger(t, env), Placement: loop.PlacementPolicies,
		SourceStatus: wdsDyn, LiveConfig: true,
		RelabelGrace: 3 * time.Second, ShrinkConfirmAfter: time.Minute,
	})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("transport loop: %v", err)
		}
	})

	delivered := time.Now()
	for _, name := range []string{"cluster1", "cluster2"} {
		spokeDyn, err := dynamic.NewForConfig(spokes[name].Config)
		require.NoError(t, err)
		require.NoError(t, env.Eventually(ctx, "objects on "+name, 3*time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
			_, err1 := spokes[name].Kube.AppsV1().Deployments(placementNS).Get(ctx, "web", metav1.GetOptions{})
			_, err2 := spokeDyn.Resource(widgetsGVR).Namespace(placementNS).Get(ctx, "w1", metav1.GetOptions{})
			return err1 == nil && err2 == nil, errors.Join(err1, err2)
		}))
		dep, err := spokes[name].Kube.AppsV1().Deployments(placementNS).Get(ctx, "web", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, name+"/"+name, dep.Spec.Template.Spec.Containers[0].Env[0].Value, "template expansion on %s", name)
		assert.NotContains(t, dep.Annotations, "wds.example/internal", name)
		w, err := spokeDyn.Resource(widgetsGVR).Namespace(placementNS).Get(ctx, "w1", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"keep": "yes-please"}, w.Object["spec"], "the CustomTransform removed spec.secret on %s", name)
	}
	require.NoError(t, env.Eventually(ctx, "Job on cluster1", 2*time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err := spokes["cluster1"].Kube.BatchV1().Jobs(placementNS).Get(ctx, "pi", metav1.GetOptions{})
		return err == nil, err
	}))
	_, err = spokes["cluster2"].Kube.BatchV1().Jobs(placementNS).Get(ctx, "pi", metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "cluster2 has no Job: %v", err)
	t.Logf("MEASURE placement transport start to objects on both WECs: %s", time.Since(delivered).Round(10*time.Millisecond))

	t.Run("PolicyEditMovesTheJob", func(t *testing.T) {
		mark := len(c.History())
		moved := time.Now()
		p, err := wdsDyn.Resource(bindingPoliciesGVR).Get(ctx, "pi", metav1.GetOptions{})
		require.NoError(t, err)
		require.NoError(t, unstructured.SetNestedSlice(p.Object, []any{map[string]any{"matchLabels": map[string]any{"name": "cluster2"}}}, "spec", "clusterSelectors"))
		_, err = wdsDyn.Resource(bindingPoliciesGVR).Update(ctx, p, metav1.UpdateOptions{})
		require.NoError(t, err)
		require.NoError(t, env.Eventually(ctx, "Job moved to cluster2", 2*time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
			_, err2 := spokes["cluster2"].Kube.BatchV1().Jobs(placementNS).Get(ctx, "pi", metav1.GetOptions{})
			_, err1 := spokes["cluster1"].Kube.BatchV1().Jobs(placementNS).Get(ctx, "pi", metav1.GetOptions{})
			return err2 == nil && apierrors.IsNotFound(err1), errors.Join(err1, err2)
		}))
		t.Logf("MEASURE placement policy edit to Job moved: %s", time.Since(moved).Round(10*time.Millisecond))
		rendered := rendersSince(t, ctx, env, c, mark, 1)
		t.Logf("MEASURE placement policy edit: %d renders (the Job for cluster2)", rendered)
		assert.Equal(t, 1, rendered, "only the Job's new pair")
	})

	t.Run("AddedRuleRendersOnlyWhatItMatches", func(t *testing.T) {
		mark := len(c.History())
		rule := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "wecforge.io/v1alpha1", "kind": "CustomizationRule",
			"metadata": map[string]any{"name": "web-tier"},
			"spec": map[string]any{
				"match":   map[string]any{"resources": []any{map[string]any{"group": "apps", "kind": "Deployment"}}},
				"actions": []any{map[string]any{"labels": map[string]any{"add": map[string]any{"tier": "edge"}}}},
			},
		}}
		_, err := wdsDyn.Resource(customRulesGVR).Create(ctx, rule, metav1.CreateOptions{})
		require.NoError(t, err)
		for _, name := range []string{"cluster1", "cluster2"} {
			require.NoError(t, env.Eventually(ctx, "rule applied on "+name, 2*time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
				dep, err := spokes[name].Kube.AppsV1().Deployments(placementNS).Get(ctx, "web", metav1.GetOptions{})
				return err == nil && dep.Labels["tier"] == "edge", err
			}))
		}
		rendered := rendersSince(t, ctx, env, c, mark, 2)
		t.Logf("MEASURE placement added CustomizationRule: %d renders (1 Deployment x 2 WECs)", rendered)
		assert.Equal(t, 2, rendered, "only the Deployment's two pairs")
		require.NoError(t, env.Eventually(ctx, "rule status", time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
			u, err := wdsDyn.Resource(customRulesGVR).Get(ctx, "web-tier", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			_, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
			return found, nil
		}))
	})

	t.Run("InvalidCustomTransformEntry", func(t *testing.T) {
		mark := len(c.History())
		ct, err := wdsDyn.Resource(customTransformsGVR).Get(ctx, "widget-secret", metav1.GetOptions{})
		require.NoError(t, err)
		require.NoError(t, unstructured.SetNestedSlice(ct.Object, []any{"$.spec.secret", "$["}, "spec", "remove"))
		_, err = wdsDyn.Resource(customTransformsGVR).Update(ctx, ct, metav1.UpdateOptions{})
		require.NoError(t, err)
		var errs []string
		require.NoError(t, env.Eventually(ctx, "CustomTransform status names the entry", time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
			u, err := wdsDyn.Resource(customTransformsGVR).Get(ctx, "widget-secret", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			errs, _, _ = unstructured.NestedStringSlice(u.Object, "status", "errors")
			gen, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
			return len(errs) == 1 && gen == u.GetGeneration(), nil
		}))
		assert.Contains(t, errs[0], "spec.remove[1]")
		rendered := rendersSince(t, ctx, env, c, mark, 2)
		t.Logf("MEASURE placement CustomTransform edit: %d renders (1 Widget x 2 WECs)", rendered)
		assert.Equal(t, 2, rendered, "only the Widget's two pairs")
		// Its valid entry and the other CustomTransform keep applying.
		for _, name := range []string{"cluster1", "cluster2"} {
			spokeDyn, err := dynamic.NewForConfig(spokes[name].Config)
			require.NoError(t, err)
			w, err := spokeDyn.Resource(widgetsGVR).Namespace(placementNS).Get(ctx, "w1", metav1.GetOptions{})
			require.NoError(t, err)
			assert.Equal(t, map[string]any{"keep": "yes-please"}, w.Object["spec"], name)
			dep, err := spokes[name].Kube.AppsV1().Deployments(placementNS).Get(ctx, "web", metav1.GetOptions{})
			require.NoError(t, err)
			assert.NotContains(t, dep.Annotations, "wds.example/internal", name)
		}
		other, err := wdsDyn.Resource(customTransformsGVR).Get(ctx, "wds-annotation", metav1.GetOptions{})
		require.NoError(t, err)
		oerrs, _, _ := unstructured.NestedStringSlice(other.Object, "status", "errors")
		assert.Empty(t, oerrs)
	})
	t.Logf("MEASURE TestE2EPlacement total %s", time.Since(start).Round(100*time.Millisecond))
}

// rendersSince waits until the controller's records after the first mark count at least want
// renders and returns their sum: a sync's record is appended once its deliveries return, which
// may be after the spokes show the result.
func rendersSince(t *testing.T, ctx context.Context, env *e2e.Env, c *loop.Controller, mark, want int) int {
	t.Helper()
	rendered := 0
	require.NoError(t, env.Eventually(ctx, "the sync recorded", time.Minute, 100*time.Millisecond, func(context.Context) (bool, error) {
		rendered = 0
		for _, r := range c.History()[mark:] {
			rendered += r.Rendered
		}
		return rendered >= want, nil
	}))
	// Give a late extra render the chance to be counted.
	time.Sleep(time.Second)
	rendered = 0
	for _, r := range c.History()[mark:] {
		rendered += r.Rendered
	}
	return rendered
}

// resourceOf maps the WDS documents' kinds to their resources.
func resourceOf(u *unstructured.Unstructured) schema.GroupVersionResource {
	switch u.GetKind() {
	case "Namespace":
		return namespacesGVR
	case "Deployment":
		return deploymentsGVR
	case "Job":
		return jobsGVR
	case "Widget":
		return widgetsGVR
	case "BindingPolicy":
		return bindingPoliciesGVR
	default:
		return customTransformsGVR
	}
}
