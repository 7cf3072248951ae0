// Command transport is a runnable KubeStellar-style transport controller built on wecforge: it
// renders workload objects for every target WEC of an OCM hub and delivers them as
// ManifestWorks, re-rendering only what an inventory change can affect. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

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

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type flags struct {
	hubKubeconfig    string
	sourceKubeconfig string
	sourceNamespace  string
	sourceResources  string
	files            listFlag
	configs          listFlag
	clusters         string
	sourceKey        string
	maxBytes         int
	verbosity        int
	relabelGrace     time.Duration
	shrinkAfter      time.Duration
	moveTimeout      time.Duration
	workers          int
	metricsAddr      string
	placement        string
	rediscover       time.Duration
	installCRDs      bool
	returnStatus     bool
	set              map[string]bool // flags given on the command line
}

func main() {
	var f flags
	fs := flag.NewFlagSet("transport", flag.ExitOnError)
	fs.StringVar(&f.hubKubeconfig, "hub-kubeconfig", "", "kubeconfig of the OCM hub (required)")
	fs.StringVar(&f.sourceKubeconfig, "source-kubeconfig", "", "kubeconfig of a source API server (a WDS) to watch")
	fs.StringVar(&f.sourceNamespace, "source-namespace", "", "namespace to watch on the source API server")
	fs.StringVar(&f.sourceResources, "source-resources", "deployments.v1.apps,configmaps.v1", "resources to watch there, resource.version[.group], comma-separated")
	fs.Var(&f.files, "f", "file of workload objects (multi-document YAML); repeatable")
	fs.Var(&f.configs, "config", "file of CustomizationRule and CustomTransform documents; repeatable")
	fs.StringVar(&f.clusters, "clusters", "", "label selector choosing the target WECs (empty: all)")
	fs.StringVar(&f.sourceKey, "source-key", "transport", "name under which this controller's ManifestWorks are kept")
	fs.IntVar(&f.maxBytes, "max-bytes", delivery.DefaultMaxBytes, "size budget of one ManifestWork")
	fs.IntVar(&f.verbosity, "v", 0, "log verbosity (1 logs every processed change and every ManifestWork write)")
	fs.DurationVar(&f.relabelGrace, "relabel-grace", loop.DefaultRelabelGrace, "how long a WEC must stay out of the target set before its works are deleted; a label flap within it changes nothing")
	fs.DurationVar(&f.shrinkAfter, "shrink-confirm-after", loop.DefaultShrinkConfirmAfter, "how long a much smaller delivery without an observed cause must persist before objects are removed")
	fs.DurationVar(&f.moveTimeout, "move-timeout", delivery.DefaultMoveTimeout, "how long to wait for the work agent to apply the receiving ManifestWork of a moving object")
	fs.IntVar(&f.workers, "workers", loop.DefaultWorkers, "WECs delivered at once")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "address serving Prometheus metrics on /metrics, e.g. :8080 (empty: no metrics)")
	fs.StringVar(&f.placement, "placement", string(loop.PlacementSelector), "how objects are placed on WECs: selector (every object to every WEC matching --clusters), policies (BindingPolicies resolved here) or bindings (KubeStellar's Bindings)")
	fs.DurationVar(&f.rediscover, "rediscover", loop.DefaultRediscover, "policies and bindings modes: how often the source API server's resources are discovered again (new CRDs)")
	fs.BoolVar(&f.installCRDs, "install-crds", false, "install the shipped CRDs (BindingPolicy, Binding, CustomTransform, CustomizationRule) on the source API server; a CRD of the same name the transport did not create is left alone")
	fs.BoolVar(&f.returnStatus, "return-status", true, "policies and bindings modes: bring status home — objects whose policies ask for singleton or multi-WEC reported state or name StatusCollectors (from --config files) get feedback rules, and their status and CombinedStatus objects are written to the source API server (WECs' work agents need --feature-gates=RawFeedbackJsonString=true)")
	_ = fs.Parse(os.Args[1:])
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })

	log := funcr.New(func(prefix, args string) {
		fmt.Fprintln(os.Stderr, prefix, args)
	}, funcr.Options{Verbosity: f.verbosity, LogTimestamp: true})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, f, log); err != nil {
		log.Error(err, "transport failed")
		os.Exit(1)
	}
}

func run(ctx context.Context, f flags, log logr.Logger) error {
	if f.hubKubeconfig == "" {
		return errors.New("--hub-kubeconfig is required")
	}
	if f.installCRDs && f.sourceKubeconfig == "" {
		return errors.New("--install-crds installs on the source API server: give --source-kubeconfig")
	}
	if len(f.files) == 0 && f.sourceKubeconfig == "" {
		return errors.New("give workload files (-f) and/or a source API server (--source-kubeconfig)")
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
	mode, err := loop.ParsePlacementMode(f.placement)
	if err != nil {
		return fmt.Errorf("--placement: %w", err)
	}
	placing := mode != loop.PlacementSelector
	if placing && f.sourceKubeconfig == "" {
		return fmt.Errorf("--placement=%s reads BindingPolicies or Bindings and the objects they select from a source API server: give --source-kubeconfig", mode)
	}
	if placing && (f.set["source-namespace"] || f.set["source-resources"]) {
		return fmt.Errorf("--placement=%s watches every resource the placement documents can select, across namespaces: --source-namespace and --source-resources apply to --placement=selector only", mode)
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
	selector, err := labels.Parse(f.clusters)
	if err != nil {
		return fmt.Errorf("--clusters: %w", err)
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
	deliverer, err := delivery.New(work, delivery.Options{MaxBytes: f.maxBytes, MoveTimeout: f.moveTimeout, Lister: lister, Resources: mapper})
	if err != nil {
		return err
	}
	var status *statusloop.Controller
	var c *loop.Controller
	if placing && f.returnStatus {
		status, err = statusloop.New(statusloop.Options{
			Works: work, WDS: sourceStatus, Resources: mapper, Collectors: eng.Collectors(), Log: log.WithName("status"),
			// c is set before anything runs.
			Redeliver: func(wec string, _ transform.ObjectRef) { c.Redeliver(wec) },
		})
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
