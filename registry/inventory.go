package registry

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	coreinformersv1 "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	ocminformers "open-cluster-management.io/api/client/cluster/informers/externalversions"
	clusterinformersv1 "open-cluster-management.io/api/client/cluster/informers/externalversions/cluster/v1"
	clusterlisters "open-cluster-management.io/api/client/cluster/listers/cluster/v1"

	"github.com/wecforge/wecforge/customization"
)

// EventType says how a WEC changed.
type EventType string

// The event types an [Inventory] emits.
const (
	Added   EventType = "Added"
	Updated EventType = "Updated"
	Deleted EventType = "Deleted"
)

// Event reports one change of one WEC. Old is nil for Added, New is nil for Deleted. Delta
// names the keys that changed (for Added and Deleted: every key of the snapshot). The snapshots
// are shared with the Inventory and other handlers: treat them, and their maps, as read-only.
type Event struct {
	Type  EventType
	Name  string
	Old   *customization.WEC
	New   *customization.WEC
	Delta customization.Delta
}

// InventoryOptions tunes [NewInventory]. The zero value watches every ManagedCluster and emits
// no events (snapshots are still kept).
type InventoryOptions struct {
	// Handler, when set, receives every event. It is called from a single goroutine, in order of
	// processing, so it must not block for long; it may call the Inventory's methods.
	Handler func(Event)
	// OnError, when set, hears about a WEC whose snapshot cannot be built (its previous snapshot,
	// if any, is kept). It is called from the same goroutine as Handler.
	OnError func(wec string, err error)
	// ClusterSelector, when set, is a label selector limiting which ManagedClusters count as WECs;
	// a selector that does not parse fails the constructor.
	ClusterSelector string
	// Resync is the resync period of the Inventory's own informers; zero disables resyncs.
	// Ignored by [NewInventoryWithInformers].
	Resync time.Duration
}

// Inventory keeps a [customization.WEC] snapshot of every ManagedCluster, merged with its
// properties ConfigMap, current through informers, and emits an [Event] for every change that
// alters a snapshot. Create it with [NewInventory] or [NewInventoryWithInformers] and start it
// with Run. All methods are safe for concurrent use.
type Inventory struct {
	opts     InventoryOptions
	clusters cache.SharedIndexInformer
	configs  cache.SharedIndexInformer
	mcLister clusterlisters.ManagedClusterLister
	cmLister corelisters.ConfigMapNamespaceLister
	selector labels.Selector
	// ocmStart and kubStart start the Inventory's own informers; nil for shared ones.
	ocmStart func(<-chan struct{})
	kubStart func(<-chan struct{})
	queue    workqueue.TypedInterface[string]
	regs     []cache.ResourceEventHandlerRegistration
	started  atomic.Bool
	synced   chan struct{}

	mu   sync.RWMutex
	wecs map[string]*customization.WEC
}

// NewInventory wires its own informers on ManagedClusters (through ocm, limited server-side to
// opts.ClusterSelector) and on ConfigMaps in [customization.PropertiesNamespace] (through
// kube); Run starts them. Nothing is listed until Run. A controller that already shares
// informer factories should use [NewInventoryWithInformers] instead.
func NewInventory(kube kubernetes.Interface, ocm clusterclient.Interface, opts InventoryOptions) (*Inventory, error) {
	if kube == nil || ocm == nil {
		return nil, errors.New("registry: NewInventory needs both clients")
	}
	ocmFactory := ocminformers.NewSharedInformerFactoryWithOptions(ocm, opts.Resync,
		ocminformers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = opts.ClusterSelector }))
	kubeFactory := informers.NewSharedInformerFactoryWithOptions(kube, opts.Resync,
		informers.WithNamespace(customization.PropertiesNamespace))
	inv, err := newInventory(ocmFactory.Cluster().V1().ManagedClusters(), kubeFactory.Core().V1().ConfigMaps(), opts)
	if err != nil {
		return nil, err
	}
	inv.ocmStart, inv.kubStart = ocmFactory.Start, kubeFactory.Start
	return inv, nil
}

// SharedInformers are informers a controller already shares with others, e.g. from
// ocminformers.NewSharedInformerFactory(ocm, resync).Cluster().V1().ManagedClusters() and
// informers.NewSharedInformerFactory(kube, resync).Core().V1().ConfigMaps().
type SharedInformers struct {
	// ManagedClusters may watch all ManagedClusters; the Inventory applies
	// InventoryOptions.ClusterSelector itself.
	ManagedClusters clusterinformersv1.ManagedClusterInformer
	// ConfigMaps may watch any namespaces that include [customization.PropertiesNamespace];
	// ConfigMaps elsewhere are ignored.
	ConfigMaps coreinformersv1.ConfigMapInformer
}

// NewInventoryWithInformers builds an Inventory on informers the caller shares and starts:
// it only adds event handlers (removed again when Run returns) and reads their listers. Start
// the factories after this call (their Start is idempotent and starts informers requested
// since); Run waits for the caches and never starts or stops the informers itself.
// opts.Resync is ignored (the factories own it).
func NewInventoryWithInformers(inf SharedInformers, opts InventoryOptions) (*Inventory, error) {
	if inf.ManagedClusters == nil || inf.ConfigMaps == nil {
		return nil, errors.New("registry: NewInventoryWithInformers needs both informers")
	}
	return newInventory(inf.ManagedClusters, inf.ConfigMaps, opts)
}

func newInventory(mcInformer clusterinformersv1.ManagedClusterInformer, cmInformer coreinformersv1.ConfigMapInformer, opts InventoryOptions) (*Inventory, error) {
	selector, err := labels.Parse(opts.ClusterSelector)
	if err != nil {
		return nil, fmt.Errorf("registry: inventory cluster selector %q: %w", opts.ClusterSelector, err)
	}
	inv := &Inventory{
		opts:     opts,
		selector: selector,
		clusters: mcInformer.Informer(),
		configs:  cmInformer.Informer(),
		mcLister: mcInformer.Lister(),
		cmLister: cmInformer.Lister().ConfigMaps(customization.PropertiesNamespace),
		queue:    workqueue.NewTyped[string](),
		synced:   make(chan struct{}),
		wecs:     map[string]*customization.WEC{},
	}
	for _, i := range []cache.SharedIndexInformer{inv.clusters, inv.configs} {
		reg, err := i.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    inv.enqueue,
			UpdateFunc: inv.enqueueUpdate,
			DeleteFunc: inv.enqueue,
		})
		if err != nil {
			inv.removeHandlers()
			return nil, fmt.Errorf("registry: add inventory handler: %w", err)
		}
		inv.regs = append(inv.regs, reg)
	}
	return inv, nil
}

// removeHandlers takes the Inventory's handlers off the (possibly shared) informers.
func (inv *Inventory) removeHandlers() {
	informers := []cache.SharedIndexInformer{inv.clusters, inv.configs}
	for i, reg := range inv.regs {
		_ = informers[i].RemoveEventHandler(reg)
	}
}

// Run starts the Inventory's own informers (not shared ones), waits for the caches, and
// processes changes until ctx is done. It returns nil after ctx is cancelled, or an error when
// the caches never sync. It may be called once. It logs through the logr.Logger in ctx
// (logr.FromContextOrDiscard): sync and snapshot errors at level 0, every event at level 1.
func (inv *Inventory) Run(ctx context.Context) error {
	if !inv.started.CompareAndSwap(false, true) {
		return errors.New("registry: Inventory.Run called twice")
	}
	log := logr.FromContextOrDiscard(ctx).WithName("inventory")
	defer inv.removeHandlers()
	defer inv.queue.ShutDown()
	go func() {
		<-ctx.Done()
		inv.queue.ShutDown()
	}()
	if inv.ocmStart != nil {
		inv.ocmStart(ctx.Done())
		inv.kubStart(ctx.Done())
	}
	// The registrations' HasSynced turn true once every listed object reached our handlers.
	if !cache.WaitForCacheSync(ctx.Done(), inv.regs[0].HasSynced, inv.regs[1].HasSynced) {
		if ctx.Err() != nil {
			return nil
		}
		log.Error(nil, "caches did not sync")
		return errors.New("registry: inventory caches did not sync")
	}
	// Everything listed so far is queued: process it before saying we are in sync, so that
	// readers of a synced Inventory see every WEC that existed at start.
	for inv.queue.Len() > 0 && inv.processNext(log) {
	}
	close(inv.synced)
	log.Info("in sync", "wecs", len(inv.List()))
	for inv.processNext(log) {
	}
	return nil
}

// WaitForSync blocks until Run has listed everything and built the first snapshots, or ctx is
// done; it reports whether the inventory is in sync.
func (inv *Inventory) WaitForSync(ctx context.Context) bool {
	select {
	case <-inv.synced:
		return true
	case <-ctx.Done():
		return false
	}
}

// Get returns the current snapshot of WEC name; the snapshot is shared and read-only.
func (inv *Inventory) Get(name string) (*customization.WEC, bool) {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	w, ok := inv.wecs[name]
	return w, ok
}

// List returns the current snapshots sorted by name, in a fresh slice of shared, read-only
// snapshots.
func (inv *Inventory) List() []*customization.WEC {
	inv.mu.RLock()
	out := slices.Collect(maps.Values(inv.wecs))
	inv.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

func (inv *Inventory) enqueue(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if m, err := meta.Accessor(obj); err == nil && inv.relevant(obj, m) {
		inv.queue.Add(m.GetName())
	}
}

// relevant skips ConfigMaps outside the properties namespace (shared informers may see them).
func (inv *Inventory) relevant(obj any, m metav1.Object) bool {
	_, isCM := obj.(*corev1.ConfigMap)
	return !isCM || m.GetNamespace() == customization.PropertiesNamespace
}

// enqueueUpdate skips ManagedCluster updates that touch neither labels nor annotations (lease
// and status updates are frequent and change no snapshot).
func (inv *Inventory) enqueueUpdate(oldObj, newObj any) {
	o, err1 := meta.Accessor(oldObj)
	n, err2 := meta.Accessor(newObj)
	if err1 != nil || err2 != nil || !inv.relevant(newObj, n) {
		return
	}
	if _, isCM := newObj.(*corev1.ConfigMap); !isCM &&
		maps.Equal(o.GetLabels(), n.GetLabels()) && maps.Equal(o.GetAnnotations(), n.GetAnnotations()) {
		return
	}
	inv.queue.Add(n.GetName())
}

// processNext rebuilds one WEC's snapshot and emits its event; false once the queue is shut.
func (inv *Inventory) processNext(log logr.Logger) bool {
	name, shutdown := inv.queue.Get()
	if shutdown {
		return false
	}
	defer inv.queue.Done(name)
	next, err := inv.build(name)
	if err != nil {
		log.Error(err, "cannot build the snapshot; keeping the previous one", "wec", name)
		if inv.opts.OnError != nil {
			inv.opts.OnError(name, err)
		}
		return true
	}
	inv.mu.Lock()
	prev, had := inv.wecs[name]
	if next == nil {
		delete(inv.wecs, name)
	} else {
		inv.wecs[name] = next
	}
	inv.mu.Unlock()
	ev := Event{Name: name, Old: prev, New: next}
	switch {
	case next == nil && !had:
		return true
	case next == nil:
		ev.Type = Deleted
	case !had:
		ev.Type = Added
	default:
		ev.Type = Updated
	}
	ev.Delta = customization.Diff(prev, next)
	if ev.Type == Updated && ev.Delta.Empty() {
		return true
	}
	log.V(1).Info("WEC changed", "wec", name, "type", ev.Type, "labels", ev.Delta.Labels,
		"configMap", ev.Delta.ConfigMap, "properties", ev.Delta.Properties)
	if inv.opts.Handler != nil {
		inv.opts.Handler(ev)
	}
	return true
}

// build returns the snapshot of WEC name from the caches, or nil when it has no ManagedCluster
// or the ManagedCluster does not match the cluster selector.
func (inv *Inventory) build(name string) (*customization.WEC, error) {
	mc, err := inv.mcLister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !inv.selector.Matches(labels.Set(mc.Labels)) {
		return nil, nil
	}
	cm, err := inv.cmLister.Get(name)
	if apierrors.IsNotFound(err) {
		cm = nil
	} else if err != nil {
		return nil, err
	}
	return customization.FromManagedCluster(mc, cm)
}
