package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"

	"github.com/wecforge/wecforge/examples/transport/crds"
	"github.com/wecforge/wecforge/examples/transport/loop"
	"github.com/wecforge/wecforge/examples/transport/statusloop"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/transform"
)

// Main runs the transport with the command line args (without the program name) until ctx ends,
// logging to stderr, and returns the process exit code: 0 when ctx ended and everything stopped
// cleanly, 2 when args are invalid (the reason and the usage are written to stderr), 1 when
// running failed (the reason is logged). It does not read os.Args and does not exit; it may be
// called several times, also concurrently, with distinct writers.
func Main(ctx context.Context, args []string, stderr io.Writer) int {
	out := &lockedWriter{w: stderr}
	f, err := parseFlags(args, out)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(out, err)
		return 2
	}
	log := funcr.New(func(prefix, args string) {
		if prefix == "" {
			fmt.Fprintln(out, args)
			return
		}
		fmt.Fprintln(out, prefix, args)
	}, funcr.Options{Verbosity: f.verbosity, LogTimestamp: true})
	if err := run(ctx, f, log); err != nil {
		log.Error(err, "transport failed")
		if errors.Is(err, ErrUsage) {
			return 2
		}
		return 1
	}
	return 0
}

// lockedWriter serialises the log lines written from many goroutines to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func run(ctx context.Context, f flags, log logr.Logger) (err error) {
	selector, err := labels.Parse(f.clusters)
	if err != nil {
		return usageError("--clusters: %w", err)
	}
	mode, err := loop.ParsePlacementMode(f.placement)
	if err != nil {
		return usageError("--placement: %w", err)
	}
	placing := mode != loop.PlacementSelector
	if placing && f.sourceKubeconfig == "" {
		return usageError("--placement=%s reads BindingPolicies or Bindings and the objects they select from a source API server: give --source-kubeconfig", mode)
	}
	if placing && (f.set["source-namespace"] || f.set["source-resources"]) {
		return usageError("--placement=%s watches every resource the placement documents can select, across namespaces: --source-namespace and --source-resources apply to --placement=selector only", mode)
	}
	hub, err := clientcmd.BuildConfigFromFlags("", f.hubKubeconfig)
	if err != nil {
		return err
	}
	// client-go's 5 requests/s would make a fleet-wide change take minutes per thousand WECs;
	// delivery's defaults are measured in benchmarks/README.md (bench-delivery).
	hub = delivery.ClientConfig(hub)
	kube, err := kubernetes.NewForConfig(hub)
	if err != nil {
		return err
	}
	ocm, err := clusterclient.NewForConfig(hub)
	if err != nil {
		return err
	}
	work, err := workclient.NewForConfig(hub)
	if err != nil {
		return err
	}
	// Several replicas: the Sharder runs until this function returns, after the loops stopped.
	var shards *replicas
	if f.shardNamespace != "" {
		if shards, err = startSharding(ctx, f, hub, log); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, shards.stop()) }()
	}
	configDocs, readWarnings, err := loop.ReadObjects(f.configs...)
	for _, w := range readWarnings {
		log.Info("configuration file warning", "warning", w.String())
	}
	if err != nil {
		return err
	}
	var placementDocs []*unstructured.Unstructured
	if placing {
		configDocs, placementDocs = loop.SplitPlacement(configDocs)
	}
	// The files' engine gives the mapper and the StatusCollectors in every mode. In the policies
	// and bindings modes the CustomTransforms and CustomizationRules are also read live from the
	// source (loop.Config.LiveConfig) and compiled with the files' documents, so the loop builds
	// its pipeline itself.
	eng, warnings, err := loop.BuildEngine(configDocs)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Info("configuration warning", "warning", w)
	}
	var pipeline *transform.Pipeline
	if !placing {
		pipeline = eng.Pipeline()
	}
	var sources loop.Sources
	var sourceStatus dynamic.Interface
	if len(f.files) > 0 {
		objs, readWarnings, err := loop.ReadObjects(f.files...)
		for _, w := range readWarnings {
			log.Info("workload file warning", "warning", w.String())
		}
		if err != nil {
			return err
		}
		sources = append(sources, loop.Static(objs))
	}
	if f.sourceKubeconfig != "" {
		src, err := clientcmd.BuildConfigFromFlags("", f.sourceKubeconfig)
		if err != nil {
			return err
		}
		dyn, err := dynamic.NewForConfig(src)
		if err != nil {
			return err
		}
		if f.installCRDs {
			res, err := crds.Install(ctx, dyn)
			log.Info("CRDs installed on the source API server", "created", res.Created, "updated", res.Updated,
				"unchanged", res.Unchanged, "notOursLeftAlone", res.NotOurs)
			if err != nil {
				return fmt.Errorf("--install-crds: %w", err)
			}
		}
		if placing {
			disc, err := discovery.NewDiscoveryClientForConfig(src)
			if err != nil {
				return err
			}
			sourceStatus = dyn
			d, err := loop.NewDiscovered(dyn, disc, mode, placementDocs, f.rediscover)
			if err != nil {
				return err
			}
			d.WatchConfiguration()
			sources = append(sources, d)
		} else {
			gvrs, err := loop.ParseResources(f.sourceResources)
			if err != nil {
				return err
			}
			sources = append(sources, loop.NewCluster(dyn, f.sourceNamespace, gvrs))
		}
	}
	// The works are read from a cache (one update per changed WEC, no list request); a stale
	// cache only costs a conflict and a fresh read.
	lister, err := delivery.NewCachedLister(work, 0)
	if err != nil {
		return err
	}
	go lister.Run(ctx)
	if !lister.WaitForSync(ctx) {
		return fmt.Errorf("the ManifestWork cache did not sync: %w", context.Cause(ctx))
	}
	// One mapper for placement, delivery and status: the source's discovery, then the engine's.
	mapper := loop.ResourceMapper(sources, eng.Mapper())
	dopts := delivery.Options{MaxBytes: f.maxBytes, MoveTimeout: f.moveTimeout, Lister: lister, Resources: mapper}
	if shards != nil {
		dopts.Fencer = shards.sharder
	}
	deliverer, err := delivery.New(work, dopts)
	if err != nil {
		return err
	}
	var status *statusloop.Controller
	var c *loop.Controller
	if placing && f.returnStatus {
		sopts := statusloop.Options{
			Works: work, WDS: sourceStatus, Resources: mapper, Collectors: eng.Collectors(), Log: log.WithName("status"),
			// c is set before anything runs.
			Redeliver: func(wec string, _ transform.ObjectRef) { c.Redeliver(wec) },
		}
		if shards != nil {
			sopts.Leadership = shards.sharder
		}
		status, err = statusloop.New(sopts)
		if err != nil {
			return err
		}
	}
	var metrics *loop.Metrics
	var ln net.Listener
	if f.metricsAddr != "" {
		metrics = loop.NewMetrics()
		if ln, err = net.Listen("tcp", f.metricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
	}
	cfg := loop.Config{
		Kube: kube, OCM: ocm, Deliverer: deliverer, Work: work, Pipeline: pipeline, Source: sources,
		Clusters: selector, SourceKey: f.sourceKey, Log: log,
		CreateOnly:   loop.CreateOnlyByAnnotation,
		RelabelGrace: f.relabelGrace, ShrinkConfirmAfter: f.shrinkAfter, Workers: f.workers,
		Metrics: metrics, Placement: mode, PlacementDocuments: placementDocs, SourceStatus: sourceStatus,
		LiveConfig: placing, ConfigDocuments: configDocs,
	}
	if status != nil {
		cfg.Status = status
	}
	if shards != nil {
		cfg.Ownership = shards.sharder
	}
	c, err = loop.New(cfg)
	if err != nil {
		if ln != nil {
			_ = ln.Close()
		}
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	statusDone := make(chan error, 1)
	if status != nil {
		go func() { statusDone <- status.Run(ctx) }()
	} else {
		statusDone <- nil
	}
	if ln == nil {
		err := c.Run(ctx)
		cancel()
		return errors.Join(err, <-statusDone)
	}
	served := make(chan error, 1)
	go func() {
		err := serveMetrics(ctx, ln, metrics)
		if err != nil {
			cancel() // a transport whose metrics cannot be served stops rather than run blind
		}
		served <- err
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	err = c.Run(ctx)
	cancel()
	return errors.Join(err, <-served, <-statusDone)
}
