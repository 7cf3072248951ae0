package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/examples/transport/loop"
	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/delivery"
)

func testDelivery(t *testing.T, ctx context.Context, f *fleet) {
	root := f.env.Root()
	td := func(n string) string { return filepath.Join(root, "examples", "transport", "testdata", n) }
	require.NoError(t, f.hub.EnsureNamespace(ctx, demoNS))
	dyn, err := dynamic.NewForConfig(f.hub.Config)
	require.NoError(t, err)
	workload, _, err := loop.ReadObjects(td("workload.yaml"))
	require.NoError(t, err)
	for _, o := range workload {
		gvr := deploymentsGVR
		if o.GetKind() == "ConfigMap" {
			gvr = configMapsGVR
		}
		_, err := dyn.Resource(gvr).Namespace(demoNS).Create(ctx, o, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	// A create-only object: the WECs get its first rendering and keep it.
	once := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "web-once", Namespace: demoNS, Annotations: map[string]string{
			"control.kubestellar.io/expand-templates": "true",
			loop.CreateOnlyAnnotation:                 "true",
		}},
		Data: map[string]string{"greeting": "first zone {{ .zone }}"},
	}
	_, err = f.hub.Kube.CoreV1().ConfigMaps(demoNS).Create(ctx, once, metav1.CreateOptions{})
	require.NoError(t, err)
	cfgDocs, _, err := loop.ReadObjects(td("config.yaml"))
	require.NoError(t, err)
	pipeline, warnings, err := loop.BuildPipeline(cfgDocs)
	require.NoError(t, err)
	require.Empty(t, warnings)
	nsObjs, _, err := loop.ReadObjects(td("namespace.yaml"))
	require.NoError(t, err)
	f.deliverer, err = delivery.New(f.hub.Work, delivery.Options{MoveTimeout: time.Minute, MovePollInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	sel, err := labels.Parse("region in (east,west)")
	require.NoError(t, err)
	c, err := loop.New(loop.Config{
		Kube: f.hub.Kube, OCM: f.hub.OCM, Deliverer: f.deliverer, Pipeline: pipeline,
		Source:     loop.Sources{loop.Static(nsObjs), loop.NewCluster(dyn, demoNS, []schema.GroupVersionResource{deploymentsGVR, configMapsGVR})},
		Clusters:   sel,
		SourceKey:  sourceKey,
		CreateOnly: loop.CreateOnlyByAnnotation,
		Log:        fileLogger(f.t, f.env),
		// Set explicitly so the relabel step stays fast: cluster1's works go 1 s after it
		// leaves the target set; no step here shrinks a delivery without a cause.
		RelabelGrace:       time.Second,
		ShrinkConfirmAfter: time.Minute,
	})
	require.NoError(t, err)
	f.controller = c
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	// The loop runs until the whole test ends, and stops before the planes (cleanups run
	// last-registered first).
	f.t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			f.t.Errorf("transport loop: %v", err)
		}
	})

	started := time.Now()
	for name, want := range map[string]struct{ region, zone string }{"cluster1": {"east", "e1"}, "cluster2": {"west", "w1"}} {
		spoke := f.spokes[name]
		require.NoError(t, f.env.Eventually(ctx, "demo objects on "+name, 3*time.Minute, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
			_, err1 := spoke.Kube.AppsV1().Deployments(demoNS).Get(ctx, "web", metav1.GetOptions{})
			_, err2 := spoke.Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "web-settings", metav1.GetOptions{})
			_, err3 := spoke.Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "web-once", metav1.GetOptions{})
			return err1 == nil && err2 == nil && err3 == nil, errors.Join(err1, err2, err3)
		}))
		dep, err := spoke.Kube.AppsV1().Deployments(demoNS).Get(ctx, "web", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, want.region+".registry.example/team/web:1.0", dep.Spec.Template.Spec.Containers[0].Image, name)
		assert.NotContains(t, dep.Annotations, "wds.example/internal", "CustomTransform removal on %s", name)
		// The API server defaults revisionHistoryLimit to 10 when the field is absent; the WDS
		// had 5.
		require.NotNil(t, dep.Spec.RevisionHistoryLimit)
		assert.EqualValues(t, 10, *dep.Spec.RevisionHistoryLimit, "revisionHistoryLimit removed on %s", name)
		cm, err := spoke.Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "web-settings", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"greeting": "hello from " + name + " in zone " + want.zone, "region": want.region}, cm.Data, name)
		cm, err = spoke.Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "web-once", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "first zone "+want.zone, cm.Data["greeting"], name)
	}
	t.Logf("MEASURE transport start to objects on both WECs: %s", time.Since(started).Round(10*time.Millisecond))

	require.NoError(t, f.env.Eventually(ctx, "works Applied and Available", 2*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		for _, name := range []string{"cluster1", "cluster2"} {
			st, err := f.deliverer.Status(ctx, name, sourceKey)
			if err != nil || !st.Ready() {
				return false, err
			}
		}
		return true, nil
	}))
	st, err := f.deliverer.Status(ctx, "cluster1", sourceKey)
	require.NoError(t, err)
	require.Len(t, st.Works, 1)
	assert.Equal(t, 4, st.Works[0].Objects, "Namespace, two ConfigMaps, Deployment")
	assert.Empty(t, st.Problems())
}

func testPropertyChange(t *testing.T, ctx context.Context, f *fleet) {
	works1 := settledVersions(t, ctx, f, "cluster1")
	require.NotEmpty(t, works1)
	spoke2 := f.spokes["cluster2"]
	const changes = 24
	var latencies []time.Duration
	histBefore := len(f.controller.History())
	for i := range changes {
		zone := fmt.Sprintf("w-%02d", i)
		want := "hello from cluster2 in zone " + zone
		begin := time.Now()
		_, err := registry.UpdateProperties(ctx, f.hub.Kube, "cluster2", map[string]string{"zone": zone})
		require.NoError(t, err)
		require.NoError(t, f.env.Eventually(ctx, "zone "+zone+" on cluster2", time.Minute, 10*time.Millisecond, func(ctx context.Context) (bool, error) {
			cm, err := spoke2.Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "web-settings", metav1.GetOptions{})
			return err == nil && cm.Data["greeting"] == want, err
		}))
		latencies = append(latencies, time.Since(begin))
	}
	sorted := append([]time.Duration(nil), latencies...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	t.Logf("MEASURE property change -> object updated on the WEC over %d changes: median %s, max %s, min %s",
		changes, sorted[len(sorted)/2].Round(time.Millisecond), sorted[len(sorted)-1].Round(time.Millisecond), sorted[0].Round(time.Millisecond))

	// Each edit waited for the previous one to land, so the loop saw every one of them: each
	// re-rendered two pairs (the ConfigMaps; not the Namespace or the Deployment) and wrote one
	// ManifestWork.
	require.NoError(t, f.env.Eventually(ctx, "history settles", 10*time.Second, 50*time.Millisecond, func(context.Context) (bool, error) {
		return countCause(f.controller.History()[histBefore:], "wec cluster2") >= changes, nil
	}))
	rendered, skipped, writes, recs := 0, 0, 0, 0
	for _, r := range f.controller.History()[histBefore:] {
		if r.Cause != "wec cluster2" {
			continue
		}
		// Other label or annotation updates of cluster2 may show up; they render nothing.
		assert.LessOrEqual(t, r.Rendered, 2, "only the two ConfigMaps read zone")
		assert.LessOrEqual(t, r.Writes, r.Rendered, "at most one ManifestWork write per rendered pair")
		if r.Rendered > 0 {
			recs++
			rendered += r.Rendered
			skipped += r.Skipped
			writes += r.Writes
		}
	}
	assert.Equal(t, 2*changes, rendered, "two pairs re-rendered per change")
	assert.Equal(t, changes, writes, "one ManifestWork written per change")
	t.Logf("MEASURE per property change: %.1f pairs re-rendered, %.1f skipped, %.1f ManifestWork writes (%d changes)",
		float64(rendered)/float64(max(recs, 1)), float64(skipped)/float64(max(recs, 1)), float64(writes)/float64(max(recs, 1)), recs)

	// cluster1 was never touched.
	assert.Equal(t, works1, workVersions(t, ctx, f, "cluster1"), "cluster1's ManifestWorks keep their resourceVersion")
	dep, err := spoke2.Kube.AppsV1().Deployments(demoNS).Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "west.registry.example/team/web:1.0", dep.Spec.Template.Spec.Containers[0].Image)

	// The create-only object was rendered anew into the ManifestWork, but the WEC kept its first
	// version: OCM's CreateOnly strategy.
	list, err := f.hub.Work.WorkV1().ManifestWorks("cluster2").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Contains(t, string(manifestRaw(t, list.Items[0].Spec.Workload.Manifests, "web-once")), fmt.Sprintf("first zone w-%02d", changes-1))
	once, err := spoke2.Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "web-once", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "first zone w1", once.Data["greeting"])
}

// settledVersions waits until wec's works are ready and the work agent has stopped writing
// their status (no resourceVersion change for longer than its 5 s status-sync interval), then
// returns their resourceVersions.
func settledVersions(t *testing.T, ctx context.Context, f *fleet, wec string) map[string]string {
	t.Helper()
	var last map[string]string
	var since time.Time
	require.NoError(t, f.env.Eventually(ctx, wec+"'s works settled", 2*time.Minute, 500*time.Millisecond, func(ctx context.Context) (bool, error) {
		st, err := f.deliverer.Status(ctx, wec, sourceKey)
		if err != nil || !st.Ready() {
			last = nil
			return false, err
		}
		cur := workVersions(t, ctx, f, wec)
		if !maps.Equal(cur, last) {
			last, since = cur, time.Now()
			return false, nil
		}
		return time.Since(since) > 6*time.Second, nil
	}))
	return last
}

// workGenerations maps the transport's ManifestWorks of wec to their spec generations.
func workGenerations(t *testing.T, ctx context.Context, f *fleet, wec string) map[string]int64 {
	t.Helper()
	list, err := f.hub.Work.WorkV1().ManifestWorks(wec).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	out := map[string]int64{}
	for _, w := range list.Items {
		out[w.Name] = w.Generation
	}
	return out
}

// manifestRaw returns the encoded manifest named name.
func manifestRaw(t *testing.T, manifests []workv1.Manifest, name string) []byte {
	t.Helper()
	for _, m := range manifests {
		if strings.Contains(string(m.Raw), `"name":"`+name+`"`) {
			return m.Raw
		}
	}
	t.Fatalf("no manifest named %s", name)
	return nil
}

func countCause(recs []loop.Record, cause string) int {
	n := 0
	for _, r := range recs {
		if r.Cause == cause {
			n++
		}
	}
	return n
}

func workVersions(t *testing.T, ctx context.Context, f *fleet, wec string) map[string]string {
	t.Helper()
	list, err := f.hub.Work.WorkV1().ManifestWorks(wec).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	out := map[string]string{}
	for _, w := range list.Items {
		out[w.Name] = w.ResourceVersion
	}
	return out
}

func testSplit(t *testing.T, ctx context.Context, f *fleet) {
	const n, size = 6, 100 * 1024
	for i := range n {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bulk-%d", i), Namespace: demoNS},
			Data:       map[string]string{"blob": strings.Repeat(string(rune('a'+i)), size)},
		}
		_, err := f.hub.Kube.CoreV1().ConfigMaps(demoNS).Create(ctx, cm, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	for _, name := range []string{"cluster1", "cluster2"} {
		spoke := f.spokes[name]
		require.NoError(t, f.env.Eventually(ctx, "bulk objects on "+name, 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
			for i := range n {
				cm, err := spoke.Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, fmt.Sprintf("bulk-%d", i), metav1.GetOptions{})
				if err != nil || len(cm.Data["blob"]) != size {
					return false, err
				}
			}
			return true, nil
		}))
		require.NoError(t, f.env.Eventually(ctx, "split works ready on "+name, 2*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
			st, err := f.deliverer.Status(ctx, name, sourceKey)
			return err == nil && st.Ready(), err
		}))
		st, err := f.deliverer.Status(ctx, name, sourceKey)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, len(st.Works), 2, "%d×%d bytes exceed one ManifestWork", n, size)
		total := 0
		for _, w := range st.Works {
			total += w.Objects
		}
		assert.Equal(t, n+4, total, "every object in exactly one part")
		t.Logf("%s: %d ManifestWorks hold %d objects", name, len(st.Works), total)
	}
}

func testRelabel(t *testing.T, ctx context.Context, f *fleet) {
	gens2 := workGenerations(t, ctx, f, "cluster2")
	// A flap shorter than the relabel grace (1 s here) changes nothing.
	gens1 := workGenerations(t, ctx, f, "cluster1")
	_, err := registry.Label(ctx, f.hub.OCM, "cluster1", map[string]string{"region": "north"})
	require.NoError(t, err)
	_, err = registry.Label(ctx, f.hub.OCM, "cluster1", map[string]string{"region": "east"})
	require.NoError(t, err)
	time.Sleep(1500 * time.Millisecond)
	assert.Equal(t, gens1, workGenerations(t, ctx, f, "cluster1"), "a label flap within the grace leaves cluster1's works alone")
	assert.Equal(t, []string{"cluster1", "cluster2"}, f.controller.Delivered())

	_, err = registry.Label(ctx, f.hub.OCM, "cluster1", map[string]string{"region": "north"})
	require.NoError(t, err)
	require.NoError(t, f.env.Eventually(ctx, "cluster1's works deleted", time.Minute, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		return len(workVersions(t, ctx, f, "cluster1")) == 0, nil
	}))
	s1 := f.spokes["cluster1"]
	require.NoError(t, f.env.Eventually(ctx, "objects gone from cluster1", 2*time.Minute, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err1 := s1.Kube.AppsV1().Deployments(demoNS).Get(ctx, "web", metav1.GetOptions{})
		_, err2 := s1.Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "web-settings", metav1.GetOptions{})
		_, err3 := s1.Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "bulk-0", metav1.GetOptions{})
		return apierrors.IsNotFound(err1) && apierrors.IsNotFound(err2) && apierrors.IsNotFound(err3), nil
	}))
	assert.Equal(t, []string{"cluster2"}, f.controller.Delivered())
	// The work agent keeps writing status, so compare spec generations here.
	assert.Equal(t, gens2, workGenerations(t, ctx, f, "cluster2"), "cluster2's works untouched")
	_, err = f.spokes["cluster2"].Kube.AppsV1().Deployments(demoNS).Get(ctx, "web", metav1.GetOptions{})
	assert.NoError(t, err)
}
