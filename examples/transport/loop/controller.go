package loop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/workqueue"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/delivery"
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
	// Log receives progress; the zero Logger discards.
	Log logr.Logger
}

// CreateOnlyAnnotation marks a source object that WECs should create once and never update.
const CreateOnlyAnnotation = "transport.wecforge.io/create-only"

// CreateOnlyByAnnotation is a [Config.CreateOnly] that selects objects annotated
// [CreateOnlyAnnotation]: "true". nil is not create-only.
func CreateOnlyByAnnotation(u *unstructured.Unstructured) bool {
	return u != nil && u.GetAnnotations()[CreateOnlyAnnotation] == "true"
}

// Record is what the controller did for one change.
type Record struct {
	// Cause is "wec <name>", "objects", or "retry <name>".
	Cause string
	// At is when processing finished.
	At time.Time
	// Rendered and Skipped count the (object, WEC) pairs rendered again or left alone.
	Rendered, Skipped int
	// Writes counts ManifestWork creates, updates and deletes.
	Writes int
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

	loaded bool // the source was read at least once; only the worker goroutine uses it

	mu        sync.Mutex
	delivered map[string]bool // WECs whose works this controller wrote
	history   []Record
}

// MaxHistory bounds the records [Controller.History] keeps (the oldest are dropped).
const MaxHistory = 4096

// Queue keys.
const (
	keyObjects  = "objects"
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
	if cfg.Deliverer == nil || cfg.Pipeline == nil || cfg.Source == nil {
		errs = append(errs, errors.New("deliverer, pipeline and source are required"))
	}
	if cfg.SourceKey == "" {
		errs = append(errs, errors.New("a source key is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	if cfg.Clusters == nil {
		cfg.Clusters = labels.Everything()
	}
	c := &Controller{
		cfg:       cfg,
		renderer:  fleet.New(cfg.Pipeline),
		queue:     workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		delivered: map[string]bool{},
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
// ctx is cancelled, or the error that stopped it from starting.
func (c *Controller) Run(ctx context.Context) error {
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
	c.cfg.Log.Info("transport loop running", "wecs", len(c.inv.List()), "sourceKey", c.cfg.SourceKey)
	for c.processNext(ctx) {
	}
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

func (c *Controller) processNext(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)
	start := time.Now()
	rec := Record{Cause: strings.Replace(key, "/", " ", 1)}
	switch {
	case key == keyObjects:
		rec.Err = c.syncObjects(ctx, &rec)
	case strings.HasPrefix(key, prefixWEC):
		rec.Err = c.syncWEC(ctx, strings.TrimPrefix(key, prefixWEC), &rec)
	case strings.HasPrefix(key, prefixRetry):
		rec.Err = c.deliver(ctx, strings.TrimPrefix(key, prefixRetry), &rec)
	}
	rec.At = time.Now()
	rec.Duration = rec.At.Sub(start)
	switch {
	case rec.Err != nil && errors.Is(rec.Err, errHandled):
		c.cfg.Log.Error(rec.Err, "sync incomplete", "cause", rec.Cause)
	case rec.Err != nil && ctx.Err() == nil:
		c.cfg.Log.Error(rec.Err, "sync failed; will retry", "cause", rec.Cause)
		c.queue.AddRateLimited(key)
	default:
		c.queue.Forget(key)
	}
	c.cfg.Log.V(1).Info("synced", "cause", rec.Cause, "rendered", rec.Rendered, "skipped", rec.Skipped,
		"writes", rec.Writes, "duration", rec.Duration)
	c.mu.Lock()
	if len(c.history) >= MaxHistory {
		c.history = slices.Delete(c.history, 0, len(c.history)-MaxHistory+1)
	}
	c.history = append(c.history, rec)
	c.mu.Unlock()
	return true
}

// syncObjects re-reads the source, renders the new or changed objects for every target WEC and
// delivers the WECs whose results changed.
func (c *Controller) syncObjects(ctx context.Context, rec *Record) error {
	objs, err := c.cfg.Source.Objects()
	if err != nil {
		return err
	}
	// Make sure every target WEC is known to the renderer before the first delivery.
	for _, w := range c.inv.List() {
		if c.targeted(w) && !slices.Contains(c.renderer.WECs(), w.Name()) {
			st := c.renderer.SetWEC(ctx, w)
			rec.Rendered += st.Rendered
		}
	}
	st, err := c.renderer.SetObjects(ctx, objs)
	if err != nil {
		return err
	}
	rec.Rendered += st.Rendered
	c.loaded = true
	var errs []error
	for _, w := range c.renderer.WECs() {
		if c.isDelivered(w) && !slices.Contains(st.Changed, w) {
			continue
		}
		errs = append(errs, c.deliver(ctx, w, rec))
	}
	return errors.Join(errs...)
}

// syncWEC reacts to one WEC's change: a WEC that stops being a target (or disappears) loses its
// works; a target WEC has only the pairs that read what changed rendered again, and is
// delivered when a result changed or it was never delivered.
func (c *Controller) syncWEC(ctx context.Context, name string, rec *Record) error {
	w, ok := c.inv.Get(name)
	if !ok || !c.targeted(w) {
		c.renderer.DeleteWEC(name)
		if !c.isDelivered(name) {
			return nil
		}
		rep, err := c.cfg.Deliverer.Delete(ctx, name, c.cfg.SourceKey)
		rec.Writes += rep.Writes()
		if err != nil {
			return err
		}
		c.setDelivered(name, false)
		c.cfg.Log.Info("WEC no longer targeted: works deleted", "wec", name, "deleted", rep.Deleted)
		return nil
	}
	st := c.renderer.SetWEC(ctx, w)
	rec.Rendered += st.Rendered
	rec.Skipped += st.Skipped
	if !c.loaded {
		// Before the objects are known, delivering would empty the WEC's works.
		return nil
	}
	if c.isDelivered(name) && !slices.Contains(st.Changed, name) {
		return nil
	}
	return c.deliver(ctx, name, rec)
}

// deliver writes one WEC's current results. A WEC with a failed pair keeps its previous works
// (leaving the object out would delete it from the WEC); the failure is logged and retried.
func (c *Controller) deliver(ctx context.Context, wec string, rec *Record) error {
	results := c.renderer.Results(wec)
	objs := make([]delivery.Object, 0, len(results))
	var failed []error
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r.Err)
			continue
		}
		objs = append(objs, delivery.Object{Object: r.Object, CreateOnly: c.cfg.CreateOnly != nil && c.cfg.CreateOnly(r.Object)})
	}
	if len(failed) > 0 {
		// Retrying cannot help: the next change of the WEC or the objects renders again.
		return fmt.Errorf("%w: WEC %s keeps its previous works: %w", errHandled, wec, errors.Join(failed...))
	}
	rep, err := c.cfg.Deliverer.Apply(ctx, wec, c.cfg.SourceKey, objs)
	rec.Writes += rep.Writes()
	if err != nil {
		// Retry the delivery alone; rendering is done.
		c.queue.AddRateLimited(prefixRetry + wec)
		return fmt.Errorf("%w: deliver to %s (retrying): %w", errHandled, wec, err)
	}
	c.setDelivered(wec, true)
	if rep.Writes() > 0 {
		c.cfg.Log.Info("delivered", "wec", wec, "objects", len(objs), "created", rep.Created,
			"updated", rep.Updated, "deleted", rep.Deleted, "unchanged", len(rep.Unchanged))
	}
	return nil
}

func (c *Controller) targeted(w *customization.WEC) bool {
	return c.cfg.Clusters.Matches(labels.Set(w.Labels()))
}

func (c *Controller) isDelivered(wec string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.delivered[wec]
}

func (c *Controller) setDelivered(wec string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.delivered[wec] = true
	} else {
		delete(c.delivered, wec)
	}
}
