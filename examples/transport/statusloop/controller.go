package statusloop

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"

	"github.com/wecforge/wecforge/examples/transport/statusback"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/registry/returned"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
)

// DefaultWorkers is the number of queue items processed at once when [Options.Workers] is 0.
const DefaultWorkers = 2

// maxRetries bounds the retries of one failed item; a later change enqueues it again.
const maxRetries = 10

// Options wires a [Controller]. Works, WDS and Resources are required.
type Options struct {
	// Works reaches the hub's ManifestWorks (read only: feedback comes from their status).
	Works workclient.Interface
	// WDS is the dynamic client of the workload description space, where status is written.
	WDS dynamic.Interface
	// Resources maps kinds to resources: the engine's Mapper, the one delivery uses.
	Resources delivery.ResourceMapper
	// Collectors are the compiled StatusCollectors (engine.Engine.Collectors);
	// [Controller.SetCollectors] replaces them.
	Collectors []*combine.Collector
	// Redeliver, when set, is called (from a worker, without locks held) when a WEC reported
	// an object's whole status too large for one value: the transport should deliver the
	// object to that WEC again, taking the fields from [Controller.StatusRequest]. It is
	// called once per such report, not on every read.
	Redeliver func(wec string, source transform.ObjectRef)
	// OnSingletonError, when set, is called when an object's singleton-count error appears,
	// changes or clears (err nil), so that the transport can write it into the status of the
	// policies asking for singleton state. Called without locks held.
	OnSingletonError func(source transform.ObjectRef, err *combine.SingletonCountError)
	// Log receives progress and errors; the zero Logger discards.
	Log logr.Logger
	// Workers is the number of queue items processed at once; 0 means [DefaultWorkers].
	Workers int
	// Resync is the ManifestWork informer's resync period; 0 means none.
	Resync time.Duration
	// Leadership, when set, makes this controller one of several replicas: every replica reads
	// every WEC's feedback and keeps the combined state, but only while Leadership.Leader does
	// it write to the WDS (object status, CombinedStatus, StatusCollector status; asked right
	// before each write, so losing leadership stops writes at once). On gaining leadership
	// every output is queued again, so the new leader writes the current state. nil: always
	// the leader.
	Leadership Leadership
}

// Leadership says whether this replica writes to the WDS (a *sharding.Sharder of package
// registry/sharding satisfies it). Implementations must be safe for concurrent use and cheap.
type Leadership interface {
	// Leader reports whether this replica may write to the WDS now.
	Leader() bool
	// Changes returns a channel that receives (without blocking the sender; capacity 1) after
	// any change of leadership (and possibly of other things). Run calls it once.
	Changes() <-chan struct{}
}

// Stats counts what a Controller wrote into the WDS. A write is counted only when the API
// server's object changed: an idle loop's counts stay still.
type Stats struct {
	// StatusWrites: object status or status labels written.
	StatusWrites int64
	// CombinedApplies and CombinedDeletes: CombinedStatus objects created or updated, and
	// deleted.
	CombinedApplies, CombinedDeletes int64
	// CollectorWrites: StatusCollector statuses written.
	CollectorWrites int64
	// Redeliveries: calls of [Options.Redeliver].
	Redeliveries int64
	// Failures: writes that failed (each retry counts).
	Failures int64
}

// CollectorStatus is what to write into one StatusCollector's status.
type CollectorStatus struct {
	// Name is the StatusCollector's name; Generation the metadata.generation Errors were
	// found for.
	Name       string
	Generation int64
	// Errors are the collector's validation errors; empty when it is valid.
	Errors []string
}

type itemKind uint8

const (
	itemWork itemKind = iota + 1
	itemStatus
	itemCombined
	itemCollector
)

// item is one queued unit of work: a ManifestWork to read (namespace/name), an object whose
// status to write (ref), a CombinedStatus to write (ref, name = policy) or a StatusCollector
// whose status to write (name).
type item struct {
	kind      itemKind
	namespace string
	name      string
	ref       transform.ObjectRef
}

// csKey names the CombinedStatus of one (object, policy).
type csKey struct {
	ref    transform.ObjectRef
	policy string
}

// Controller brings the status each WEC returns home: it reads feedback from the hub's
// ManifestWorks, keeps a [combine.Combiner] fed incrementally (a WEC's change recomputes what
// that WEC feeds only), and writes the outcome into the WDS through a [statusback.Writer],
// writing only what changed. All methods are safe for concurrent use.
type Controller struct {
	opts     Options
	writer   *statusback.Writer
	reader   *returned.Reader
	queue    workqueue.TypedRateLimitingInterface[item]
	informer cache.SharedIndexInformer
	stats    struct{ status, applies, deletes, collectors, redeliveries, failures atomic.Int64 }
	// processing counts the items workers hold (see Idle).
	processing atomic.Int64
	// wasLeader is the leadership seen at the last Leadership change.
	wasLeader atomic.Bool

	mu         sync.Mutex
	combiner   *combine.Combiner
	placed     map[transform.ObjectRef]*placed // by unversioned ref
	feedback   *feedbackState
	written    map[csKey][2]string // namespace, name of each CombinedStatus written
	collectors map[string]CollectorStatus
	singleton  map[transform.ObjectRef]*combine.SingletonCountError
}

// New returns a Controller; it does nothing until [Controller.Run].
func New(opts Options) (*Controller, error) {
	switch {
	case opts.Works == nil:
		return nil, errors.New("statusloop: Options.Works is required")
	case opts.WDS == nil:
		return nil, errors.New("statusloop: Options.WDS is required")
	case opts.Resources == nil:
		return nil, errors.New("statusloop: Options.Resources is required")
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	w, err := statusback.New(opts.WDS)
	if err != nil {
		return nil, err
	}
	inf, err := returned.NewInformer(opts.Works, opts.Resync)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		opts:   opts,
		writer: w,
		reader: returned.NewReader(nil),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[item](),
			workqueue.TypedRateLimitingQueueConfig[item]{Name: "wecforge-statusloop"}),
		informer:   inf,
		combiner:   combine.NewCombiner(opts.Collectors),
		placed:     map[transform.ObjectRef]*placed{},
		feedback:   newFeedbackState(),
		written:    map[csKey][2]string{},
		collectors: map[string]CollectorStatus{},
		singleton:  map[transform.ObjectRef]*combine.SingletonCountError{},
	}
	enqueue := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			ns, name, _ := cache.SplitMetaNamespaceKey(key)
			c.queue.Add(item{kind: itemWork, namespace: ns, name: name})
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// Run starts the ManifestWork informer and the workers and blocks until ctx is done; the
// queue is then shut down and Run returns nil once the workers stopped. Run may be called
// once.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	go c.informer.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), c.informer.HasSynced) {
		return nil // ctx is done
	}
	var wg sync.WaitGroup
	if c.opts.Leadership != nil {
		ch := c.opts.Leadership.Changes()
		c.wasLeader.Store(c.opts.Leadership.Leader())
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-ch:
					c.leadershipChanged()
				}
			}
		})
	}
	for range c.opts.Workers {
		wg.Go(func() {
			for c.processNext(ctx) {
			}
		})
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

// leader reports whether this replica writes to the WDS now: always without a Leadership.
func (c *Controller) leader() bool {
	return c.opts.Leadership == nil || c.opts.Leadership.Leader()
}

// leadershipChanged queues every output again when this replica became the leader: what the
// previous leader wrote may be stale, and what changed while this replica followed was not
// written. The writer skips the writes whose content the WDS already holds.
func (c *Controller) leadershipChanged() {
	now := c.opts.Leadership.Leader()
	was := c.wasLeader.Swap(now)
	if now == was {
		return
	}
	c.opts.Log.Info("status leadership changed", "leader", now)
	if !now {
		return
	}
	c.requeueAll()
}

// requeueAll queues every object status, CombinedStatus and StatusCollector status this
// controller knows.
func (c *Controller) requeueAll() {
	var items []item
	c.mu.Lock()
	for ref, pl := range c.placed {
		items = append(items, item{kind: itemStatus, ref: ref})
		for _, p := range pl.policyNames() {
			items = append(items, item{kind: itemCombined, ref: ref, name: p})
		}
	}
	for k := range c.written {
		items = append(items, item{kind: itemCombined, ref: k.ref, name: k.policy})
	}
	for name := range c.collectors {
		items = append(items, item{kind: itemCollector, name: name})
	}
	c.mu.Unlock()
	for _, it := range items {
		c.queue.Add(it)
	}
}

// HasSynced reports whether the ManifestWork informer has listed the hub.
func (c *Controller) HasSynced() bool { return c.informer.HasSynced() }

// Stats returns the write counts so far.
func (c *Controller) Stats() Stats {
	return Stats{
		StatusWrites: c.stats.status.Load(), CombinedApplies: c.stats.applies.Load(),
		CombinedDeletes: c.stats.deletes.Load(), CollectorWrites: c.stats.collectors.Load(),
		Redeliveries: c.stats.redeliveries.Load(), Failures: c.stats.failures.Load(),
	}
}

// Idle reports whether no item is queued or being processed (a test's settle check).
func (c *Controller) Idle() bool { return c.queue.Len() == 0 && c.processing.Load() == 0 }

// SetPlacement records an object's placement and queues the writes it changes. Handing over
// an unchanged placement (the same object apart from resourceVersion and managedFields, the
// same request and policies) does nothing, so the loop's own status writes echoed back by
// the transport recompute nothing.
func (c *Controller) SetPlacement(p ObjectPlacement) error {
	pl, err := newPlaced(p, c.opts.Resources)
	if err != nil {
		return err
	}
	c.mu.Lock()
	old := c.placed[pl.ref]
	if pl.sameAs(old) {
		c.mu.Unlock()
		return nil
	}
	c.placed[pl.ref] = pl
	if old != nil && old.key != pl.key {
		c.combiner.DeleteObject(old.key)
	}
	ch := c.combiner.SetObject(pl.spec)
	if fb := c.feedback.statusesOf(pl.ref); len(fb) > 0 {
		more := c.combiner.SetReturnedMany(pl.key, fb)
		ch.Status = ch.Status || more.Status
		ch.CombinedStatuses = append(ch.CombinedStatuses, more.CombinedStatuses...)
	}
	// Policies that disappeared with their CombinedStatus.
	if old != nil {
		for _, name := range old.policyNames() {
			if !slices.Contains(ch.CombinedStatuses, name) {
				ch.CombinedStatuses = append(ch.CombinedStatuses, name)
			}
		}
	}
	c.mu.Unlock()
	c.enqueueChanges(pl.ref, ch)
	return nil
}

// DeletePlacement forgets an object: no more status is written into it, and the
// CombinedStatus objects written for it are deleted.
func (c *Controller) DeletePlacement(ref transform.ObjectRef) {
	ref = unversioned(ref)
	c.mu.Lock()
	pl := c.placed[ref]
	if pl != nil {
		delete(c.placed, ref)
		c.combiner.DeleteObject(pl.key)
	}
	// Both what was written and what may be being written now: a CombinedStatus write in
	// flight is followed by its delete.
	var policies []string
	if pl != nil {
		policies = pl.policyNames()
	}
	for k := range c.written {
		if k.ref == ref && !slices.Contains(policies, k.policy) {
			policies = append(policies, k.policy)
		}
	}
	c.mu.Unlock()
	for _, p := range policies {
		c.queue.Add(item{kind: itemCombined, ref: ref, name: p})
	}
	c.setSingleton(ref, nil)
}

// StatusRequest implements [PlacementSink]: a request for the object's status from wec when
// its placement wants that WEC's status, with the fields to ask one by one once the WEC
// reported the whole value too large (the fields of the last status read), else nil.
func (c *Controller) StatusRequest(ref transform.ObjectRef, wec string) *delivery.StatusRequest {
	ref = unversioned(ref)
	c.mu.Lock()
	defer c.mu.Unlock()
	pl := c.placed[ref]
	if pl == nil || !pl.wecs[wec] {
		return nil
	}
	return &delivery.StatusRequest{Source: ref, Fields: c.feedback.fieldsOf(ref, wec)}
}

// SetCollectors replaces the StatusCollectors (a StatusCollector was added, changed or
// deleted in the WDS) and the statuses to write into them. Every placed object is
// recombined; only the outputs that changed are written.
func (c *Controller) SetCollectors(collectors []*combine.Collector, statuses []CollectorStatus) {
	c.mu.Lock()
	c.combiner = combine.NewCombiner(collectors)
	type change struct {
		ref transform.ObjectRef
		ch  combine.Changes
	}
	var changes []change
	for ref, pl := range c.placed {
		ch := c.combiner.SetObject(pl.spec)
		c.combiner.SetReturnedMany(pl.key, c.feedback.statusesOf(ref))
		// A fresh combiner reports everything as changed; writes of unchanged content are
		// skipped by the writer without counting.
		ch.CombinedStatuses = pl.policyNames()
		changes = append(changes, change{ref, ch})
	}
	for _, s := range statuses {
		c.collectors[s.Name] = CollectorStatus{Name: s.Name, Generation: s.Generation, Errors: slices.Clone(s.Errors)}
	}
	c.mu.Unlock()
	for _, ch := range changes {
		c.enqueueChanges(ch.ref, ch.ch)
	}
	for _, s := range statuses {
		c.queue.Add(item{kind: itemCollector, name: s.Name})
	}
}

// SingletonErrors returns the current singleton-count errors, sorted by object.
func (c *Controller) SingletonErrors() []*combine.SingletonCountError {
	c.mu.Lock()
	defer c.mu.Unlock()
	refs := make([]transform.ObjectRef, 0, len(c.singleton))
	for r := range c.singleton {
		refs = append(refs, r)
	}
	slices.SortFunc(refs, transform.ObjectRef.Compare)
	out := make([]*combine.SingletonCountError, len(refs))
	for i, r := range refs {
		out[i] = c.singleton[r]
	}
	return out
}

// enqueueChanges queues the writes ch calls for.
func (c *Controller) enqueueChanges(ref transform.ObjectRef, ch combine.Changes) {
	if ch.Status {
		c.queue.Add(item{kind: itemStatus, ref: ref})
	}
	for _, p := range ch.CombinedStatuses {
		c.queue.Add(item{kind: itemCombined, ref: ref, name: p})
	}
}

// keyOf returns the combiner key of a placed object.
func (c *Controller) keyOf(ref transform.ObjectRef) (placement.Key, bool) {
	pl := c.placed[ref]
	if pl == nil {
		return placement.Key{}, false
	}
	return pl.key, true
}
