package loop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/workqueue"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"

	"github.com/wecforge/wecforge/examples/transport/statusloop"
	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/fleet"
)

// Config wires a [Controller]. Clients, pipeline, source and deliverer are required.
type Config struct {
	// Kube and OCM reach the hub (the ITS): ManagedClusters and properties ConfigMaps.
	Kube kubernetes.Interface
	OCM  clusterclient.Interface
	// Deliverer writes ManifestWorks on the hub.
	Deliverer *delivery.Deliverer
	// Work, when set, reads the hub's ManifestWorks: after a restart, an object that fails to
	// render for a WEC keeps the version its current ManifestWork holds. Without it, such an
	// object (failing with no last good version in memory) holds back its WEC's delivery,
	// reported with [ErrNoLastGood].
	Work workclient.Interface
	// Pipeline renders every (object, WEC) pair.
	Pipeline *transform.Pipeline
	// Source yields the workload objects and says when they change.
	Source Source
	// Clusters selects the target WECs by ManagedCluster labels; nil means every WEC.
	Clusters labels.Selector
	// SourceKey names this controller's ManifestWorks (see package delivery); required.
	SourceKey string
	// CreateOnly, when set, marks source objects that the WECs should only create, never
	// update.
	CreateOnly func(*unstructured.Unstructured) bool
	// Log receives progress; the zero Logger discards. It is also handed to the Deliverer
	// (through the context) for its per-write lines.
	Log logr.Logger
	// RelabelGrace is how long a WEC must stay out of the target set (relabelled, or its
	// ManagedCluster deleted) before its works are deleted; a WEC back within it keeps them
	// untouched. Zero means [DefaultRelabelGrace].
	RelabelGrace time.Duration
	// ShrinkConfirmAfter is how long a refused shrink (see delivery.ShrinkRefusedError) without
	// an observed cause must persist before the loop confirms it. Zero means
	// [DefaultShrinkConfirmAfter].
	ShrinkConfirmAfter time.Duration
	// Workers is the number of WECs delivered at once (writes within one WEC stay ordered);
	// zero means [DefaultWorkers].
	Workers int
	// Placement is how objects are placed on WECs; zero is [PlacementSelector]. In the
	// policies and bindings modes the placement documents are PlacementDocuments and the
	// BindingPolicies (or Bindings) among the Source's objects, and Clusters, when set,
	// further restricts the WECs.
	Placement PlacementMode
	// PlacementDocuments are BindingPolicies and Bindings from configuration files, read only
	// in the policies and bindings modes (each mode reads its own kind). A name also defined
	// on the source is a configuration error; the file's document is used.
	PlacementDocuments []*unstructured.Unstructured
	// SourceStatus, when set in the policies and bindings modes, writes the status of the
	// placement documents on the source API server: each BindingPolicy's errors, warnings and
	// observedGeneration (policies mode), or only Binding.status.errors (bindings mode).
	SourceStatus dynamic.Interface
	// LiveConfig makes the pipeline live: it is compiled from ConfigDocuments and the
	// CustomTransforms and CustomizationRules among the Source's objects (never delivered
	// then), again whenever they change, and only the objects a change can affect are
	// rendered again. A CustomTransform or CustomizationRule name defined in both is a
	// configuration error ([ErrDefinedTwice]; the file's document is used). With SourceStatus,
	// each live document's status gets its errors and observedGeneration. Pipeline is then
	// ignored.
	LiveConfig bool
	// ConfigDocuments are the CustomTransforms, CustomizationRules and CRDs from configuration
	// files, read only with LiveConfig; New fails when one is invalid.
	ConfigDocuments []*unstructured.Unstructured
	// Metrics, when set, records renders, writes, errors, latencies and the workqueue (named
	// [QueueName]); nil records nothing. One Metrics serves one Controller.
	Metrics *Metrics
	// Status, when set in the policies and bindings modes, receives every placement's status
	// requests (a *statusloop.Controller): objects whose policies ask for reported state or
	// name StatusCollectors are delivered with feedback rules, and the status loop writes the
	// returned status back into the source. Its Redeliver option should call
	// [Controller.Redeliver].
	Status statusloop.PlacementSink
	// Ownership, when set, makes this controller one of several replicas sharing the fleet: it
	// renders, delivers, and deletes the works of, only the WECs Ownership.Owns; a target WEC
	// it does not own is not rendered and never treated as dropped (no relabel grace starts,
	// no shrink is confirmed, nothing is written to it). Gaining a target WEC renders its
	// pairs once and delivers them; losing one drops its rendered state without any hub
	// write. Placement is still evaluated over every target WEC, and Status still receives
	// every WEC's status requests. The start-up sweep looks only at owned WECs. The placement and configuration documents'
	// status is written only while Ownership.Leader. Deliveries stopped by fencing
	// (delivery.ErrFenced, delivery.ErrNotOwner) are not retried until the next
	// Ownership.Changes. The Deliverer should be fenced by the same owner (a delivery.Fencer).
	// nil: this replica owns every WEC and is the leader.
	Ownership Ownership
}

// Defaults of [Config]. DefaultWorkers is 16 because the hub's API server spends less CPU per
// ManifestWork update when more updates are in flight: at 5,000 WECs, 16 workers delivered a
// fleet-wide change about 1.7 times as fast as 4 (see benchmarks/README.md).
const (
	DefaultRelabelGrace       = 30 * time.Second
	DefaultShrinkConfirmAfter = 5 * time.Minute
	DefaultWorkers            = 16
)

// CreateOnlyAnnotation marks a source object that WECs should create once and never update.
const CreateOnlyAnnotation = "transport.wecforge.io/create-only"

// CreateOnlyByAnnotation is a [Config.CreateOnly] that selects objects annotated
// [CreateOnlyAnnotation]: "true". nil is not create-only.
func CreateOnlyByAnnotation(u *unstructured.Unstructured) bool {
	return u != nil && u.GetAnnotations()[CreateOnlyAnnotation] == "true"
}

// Record is what the controller did for one change.
type Record struct {
	// Cause is "wec <name>", "objects", "retry <name>" or "sweep".
	Cause string
	// At is when processing finished.
	At time.Time
	// Rendered and Skipped count the (object, WEC) pairs rendered again or left alone.
	Rendered, Skipped int
	// Writes counts ManifestWork creates, updates and deletes.
	Writes int
	// Refused counts objects kept on WECs by a refused shrink.
	Refused int
	// Duration is the processing time.
	Duration time.Duration
	// Err is the error, if processing failed (it is retried).
	Err error
}

// Controller is the transport loop. Create it with [New] and run it with Run. Its accessors
// are safe for concurrent use with Run.
type Controller struct {
	cfg      Config
	renderer *fleet.Renderer
	inv      *registry.Inventory
	queue    workqueue.TypedRateLimitingInterface[string]

	loaded atomic.Bool // the source was read at least once

	mu        sync.Mutex
	delivered map[string]bool // WECs whose works this controller keeps
	history   []Record
	// leaving holds when each delivered WEC was first seen out of the target set.
	leaving map[string]time.Time
	// now marks WECs whose removal has an observed cause that needs no grace (a selector edit).
	now map[string]bool
	// shrinking holds when each WEC's delivery was first refused as a shrink.
	shrinking map[string]time.Time
	// seen are the identities of the objects the source returned last; gone are those that
	// vanished from it since, with when (an observed deletion).
	seen map[transform.ObjectRef]bool
	gone map[transform.ObjectRef]time.Time
	// wecLocks serialise the deliveries of one WEC.
	wecLocks map[string]*sync.Mutex
	// failing holds each WEC's pairs that fail to render, as of its last delivery.
	failing map[string][]PairError
	// placedSet is what the last placement sent to each WEC; unplaced holds, per WEC, the
	// objects a placement change removed from it, with when (an observed cause).
	placedSet map[string]map[placement.Key]bool
	unplaced  map[string]map[placement.Key]time.Time

	// placeMu serialises placements; placeObjs are the objects of the last one, placeErrs its
	// problems.
	placeMu   sync.Mutex
	placeObjs []*unstructured.Unstructured
	placeErrs []error

	// live is the live pipeline's state (liveconfig.go); nil without Config.LiveConfig.
	live *liveConfig
	// statusPlaced are the objects last handed to Config.Status, with the WECs whose status
	// of each is wanted.
	statusPlaced map[transform.ObjectRef]map[string]bool
	// own is what was last seen of Config.Ownership (ownership.go); guarded by mu.
	own ownershipState
}

// MaxHistory bounds the records [Controller.History] keeps (the oldest are dropped).
const MaxHistory = 4096

// Queue keys.
const (
	keyObjects  = "objects"
	keySweep    = "sweep"
	prefixWEC   = "wec/"
	prefixRetry = "retry/"
)

// errHandled marks an error whose retry is already scheduled, or that no retry can fix.
var errHandled = errors.New("handled")

// New checks cfg and builds the controller; nothing runs until Run.
func New(cfg Config) (*Controller, error) {
	var errs []error
	if cfg.Kube == nil || cfg.OCM == nil {
		errs = append(errs, errors.New("hub clients are required"))
	}
	var live *liveConfig
	if cfg.LiveConfig {
		lc, e, err := newLiveConfig(cfg.ConfigDocuments)
		if err != nil {
			return nil, fmt.Errorf("transport: configuration files: %w", err)
		}
		live, cfg.Pipeline = lc, e.Pipeline()
	}
	if cfg.Deliverer == nil || cfg.Pipeline == nil || cfg.Source == nil {
		errs = append(errs, errors.New("deliverer, pipeline and source are required"))
	}
	if cfg.SourceKey == "" {
		errs = append(errs, errors.New("a source key is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	if cfg.RelabelGrace < 0 || cfg.ShrinkConfirmAfter < 0 || cfg.Workers < 0 {
		return nil, errors.New("transport: RelabelGrace, ShrinkConfirmAfter and Workers must not be negative")
	}
	mode, err := ParsePlacementMode(string(cfg.Placement))
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	cfg.Placement = mode
	if cfg.Clusters == nil {
		cfg.Clusters = labels.Everything()
	}
	if cfg.RelabelGrace == 0 {
		cfg.RelabelGrace = DefaultRelabelGrace
	}
	if cfg.ShrinkConfirmAfter == 0 {
		cfg.ShrinkConfirmAfter = DefaultShrinkConfirmAfter
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	c := &Controller{
		cfg:      cfg,
		renderer: fleet.New(cfg.Pipeline),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: QueueName, MetricsProvider: cfg.Metrics.queueProvider()}),
		delivered: map[string]bool{},
		leaving:   map[string]time.Time{},
		now:       map[string]bool{},
		shrinking: map[string]time.Time{},
		seen:      map[transform.ObjectRef]bool{},
		gone:      map[transform.ObjectRef]time.Time{},
		wecLocks:  map[string]*sync.Mutex{},
		failing:   map[string][]PairError{},
		placedSet: map[string]map[placement.Key]bool{},
		unplaced:  map[string]map[placement.Key]time.Time{},
		live:      live,
	}
	if c.placing() {
		// Nothing is placed before the first placement.
		c.renderer.SetPlacement(context.Background(), func(string, transform.ObjectRef) bool { return false })
	}
	inv, err := registry.NewInventory(cfg.Kube, cfg.OCM, registry.InventoryOptions{
		Handler: func(ev registry.Event) { c.queue.Add(prefixWEC + ev.Name) },
		OnError: func(wec string, err error) { cfg.Log.Error(err, "inventory", "wec", wec) },
	})
	if err != nil {
		return nil, err
	}
	c.inv = inv
	return c, nil
}

// Run keeps every target WEC's ManifestWorks current until ctx is done. It returns nil after
// ctx is cancelled, or the error that stopped it from starting. Once the inventory and the
// source are listed it sweeps the hub for works of its source key in WECs that are no longer
// targets (left by an earlier run), and removes them after the relabel grace.
func (c *Controller) Run(ctx context.Context) error {
	ctx = logr.NewContext(ctx, c.cfg.Log)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer c.queue.ShutDown()
	go func() {
		<-ctx.Done()
		c.queue.ShutDown()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	invErr := make(chan error, 1)
	wg.Go(func() { invErr <- c.inv.Run(ctx) })
	srcErr := make(chan error, 1)
	srcReady := make(chan struct{})
	var once sync.Once
	wg.Go(func() {
		srcErr <- c.cfg.Source.Run(ctx, func() {
			once.Do(func() { close(srcReady) })
			c.queue.Add(keyObjects)
		})
	})
	// Deliver nothing before both the inventory and the source are complete: a partial view
	// would delete works.
	if !c.inv.WaitForSync(ctx) {
		cancel()
		return errors.Join(<-invErr, ctx.Err())
	}
	select {
	case <-srcReady:
	case <-ctx.Done():
		return errors.Join(<-srcErr, ctx.Err())
	}
	c.cfg.Log.Info("transport loop running", "wecs", len(c.inv.List()), "sourceKey", c.cfg.SourceKey,
		"relabelGrace", c.cfg.RelabelGrace, "shrinkConfirmAfter", c.cfg.ShrinkConfirmAfter)
	wg.Go(func() { c.watchOwnership(ctx) })
	c.queue.Add(keySweep)
	var workers sync.WaitGroup
	for range c.cfg.Workers {
		workers.Go(func() {
			for c.processNext(ctx) {
			}
		})
	}
	workers.Wait()
	cancel()
	if err := errors.Join(<-srcErr, <-invErr); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// History returns a copy of the records of processed changes, oldest first.
func (c *Controller) History() []Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.history)
}

// Delivered returns the WECs whose ManifestWorks this controller currently keeps, sorted.
func (c *Controller) Delivered() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for w, ok := range c.delivered {
		if ok {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}
