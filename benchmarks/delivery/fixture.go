package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/internal/kubeplane"
)

// etcdQuota is etcd's --quota-backend-bytes: 8 GiB instead of the default 2 GiB, so the
// fixture and every revision of the ManifestWorks written fit without compaction pressure.
const etcdQuota = 8 << 30

// sourceNamespace holds the workload on the API server that doubles as the source (WDS).
const sourceNamespace = "demo"

// regions are the ManagedCluster region labels, given round-robin; the demo rule makes the
// image registry "<region>.registry.example".
var regions = []string{"east", "west", "north", "south"}

// hub is the plane of one size and the clients the harness itself uses (rate limiting off).
type hub struct {
	plane *kubeplane.Plane
	kube  kubernetes.Interface
	ocm   clusterclient.Interface
	work  workclient.Interface
	dyn   dynamic.Interface
}

// startHub starts etcd (quota raised, no fsync) and kube-apiserver under dir and installs the
// ManagedCluster and ManifestWork CRDs from crdFiles.
func startHub(ctx context.Context, dir, binDir string, crdFiles []string) (*hub, error) {
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		return nil, err
	}
	start := func(name string, tier kubeplane.Tier, bin string, args ...string) (*kubeplane.Process, error) {
		if tier == kubeplane.TierEtcd {
			args = append(args, "--quota-backend-bytes", strconv.Itoa(etcdQuota))
		}
		return kubeplane.StartProcess(name, filepath.Join(logs, name+".log"), tier, bin, args...)
	}
	plane, err := kubeplane.Start(ctx, kubeplane.Options{
		Name: "bench", Dir: dir, Start: start, Ready: 5 * time.Minute,
		Etcd: filepath.Join(binDir, "etcd"), APIServer: filepath.Join(binDir, "kube-apiserver"),
	})
	if err != nil {
		// With a Start hook, Start leaves stopping to the caller.
		if plane != nil {
			plane.Stop(10 * time.Second)
		}
		return nil, err
	}
	h := &hub{plane: plane}
	if err := plane.InstallCRDs(ctx, crdFiles, 5*time.Minute); err != nil {
		h.stop()
		return nil, err
	}
	cfg := unlimited(plane.Config)
	if h.kube, err = kubernetes.NewForConfig(cfg); err == nil {
		if h.ocm, err = clusterclient.NewForConfig(cfg); err == nil {
			if h.work, err = workclient.NewForConfig(cfg); err == nil {
				h.dyn, err = dynamic.NewForConfig(cfg)
			}
		}
	}
	if err != nil {
		h.stop()
		return nil, err
	}
	return h, nil
}

// meter starts measuring the CPU time of the transport, kube-apiserver and etcd (t may be nil).
func (h *hub) meter(t *transport) *cpuMeter {
	names := []string{"kube-apiserver", "etcd"}
	pids := []int{h.plane.APIServer.Pid(), h.plane.Etcd.Pid()}
	if t != nil {
		names, pids = append(names, "transport"), append(pids, t.pid())
	}
	return newCPUMeter(names, pids)
}

// stop stops kube-apiserver, then etcd.
func (h *hub) stop() { h.plane.Stop(15 * time.Second) }

// unlimited returns a copy of cfg with client-side rate limiting off.
func unlimited(cfg *rest.Config) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.QPS, out.Burst, out.RateLimiter = -1, 0, nil
	return out
}

// wecName is the name of WEC i: ManagedCluster, hub namespace and properties ConfigMap.
func wecName(i int) string { return fmt.Sprintf("wec-%05d", i) }

// zone is the properties value of WEC i in generation gen.
func zone(i, gen int) string { return fmt.Sprintf("zone-%d-%d", i%7, gen) }

// createFleet creates n ManagedClusters, their namespaces and properties ConfigMaps, with
// fixtureWriters requests in flight.
func (h *hub) createFleet(ctx context.Context, n int) error {
	for _, ns := range []string{customization.PropertiesNamespace, sourceNamespace} {
		if _, err := h.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("namespace %s: %w", ns, err)
		}
	}
	return parallel(ctx, n, fixtureWriters, func(ctx context.Context, i int) error {
		name := wecName(i)
		mc := &clusterv1.ManagedCluster{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"region": regions[i%len(regions)]}},
			Spec:       clusterv1.ManagedClusterSpec{HubAcceptsClient: true},
		}
		if _, err := h.ocm.ClusterV1().ManagedClusters().Create(ctx, mc, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("ManagedCluster %s: %w", name, err)
		}
		if _, err := h.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("namespace %s: %w", name, err)
		}
		return h.setZone(ctx, i, 0)
	})
}

// setZone creates or updates WEC i's properties ConfigMap with the zone of generation gen.
func (h *hub) setZone(ctx context.Context, i, gen int) error {
	cms := h.kube.CoreV1().ConfigMaps(customization.PropertiesNamespace)
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: wecName(i), Namespace: customization.PropertiesNamespace},
		Data:       map[string]string{"zone": zone(i, gen)},
	}
	if gen == 0 {
		_, err := cms.Create(ctx, cm, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("properties ConfigMap %s: %w", cm.Name, err)
		}
		return nil
	}
	cur, err := cms.Get(ctx, cm.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("properties ConfigMap %s: %w", cm.Name, err)
	}
	cur.Data = cm.Data
	if _, err := cms.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("properties ConfigMap %s: %w", cm.Name, err)
	}
	return nil
}

// fixtureWriters is how many fixture requests are in flight.
const fixtureWriters = 32

// createWorkload creates the workload objects in the source namespace.
func (h *hub) createWorkload(ctx context.Context, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		gvr, err := sourceResource(o)
		if err != nil {
			return err
		}
		if _, err := h.dyn.Resource(gvr).Namespace(sourceNamespace).Create(ctx, o, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("source %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// sourceResources are the resources the transport watches in the source namespace.
var sourceResources = map[string]schema.GroupVersionResource{
	"apps/v1, Kind=Deployment": {Group: "apps", Version: "v1", Resource: "deployments"},
	"/v1, Kind=ConfigMap":      {Version: "v1", Resource: "configmaps"},
}

// sourceResource maps a workload object to its watched resource.
func sourceResource(o *unstructured.Unstructured) (schema.GroupVersionResource, error) {
	gvr, ok := sourceResources[o.GroupVersionKind().String()]
	if !ok {
		return gvr, fmt.Errorf("workload %s %s: only Deployments and ConfigMaps are watched", o.GetKind(), o.GetName())
	}
	return gvr, nil
}

// setImage updates the source Deployment's first container image.
func (h *hub) setImage(ctx context.Context, name, image string) error {
	deps := h.kube.AppsV1().Deployments(sourceNamespace)
	d, err := deps.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("source Deployment %s: %w", name, err)
	}
	d.Spec.Template.Spec.Containers[0].Image = image
	if _, err := deps.Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("source Deployment %s: %w", name, err)
	}
	return nil
}

// works lists every ManifestWork on the hub, by namespace/name, 500 per page.
func (h *hub) works(ctx context.Context) (map[string]*workv1.ManifestWork, error) {
	out := map[string]*workv1.ManifestWork{}
	opts := metav1.ListOptions{Limit: 500}
	for page := 0; ; page++ {
		if page > 1_000_000 {
			return nil, fmt.Errorf("list ManifestWorks: more than %d pages", page)
		}
		list, err := h.work.WorkV1().ManifestWorks(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list ManifestWorks: %w", err)
		}
		for i := range list.Items {
			mw := &list.Items[i]
			out[mw.Namespace+"/"+mw.Name] = mw
		}
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// parallel calls f for 0..n-1 with at most workers calls in flight, and returns the first
// error (the others still finish; no new call starts after an error).
func parallel(ctx context.Context, n, workers int, f func(context.Context, int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}
