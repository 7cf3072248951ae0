package loop

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/wecforge/wecforge/rules/placement"
)

// Discoverer lists the API server's resources at their preferred versions;
// discovery.DiscoveryInterface is one.
type Discoverer interface {
	ServerPreferredResources() ([]*metav1.APIResourceList, error)
}

// DefaultRediscover is how often a [Discovered] source looks for new or removed resources
// (CRDs) besides reacting to its placement documents and CRDs changing.
const DefaultRediscover = 30 * time.Second

// Always-watched resources of a [Discovered] source.
var (
	namespacesResource = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	crdsGroupResource  = schema.GroupResource{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}
)

// Discovered is the source of the policies and bindings placement modes: it watches, across
// namespaces, every listable and watchable resource (preferred version) that some placement
// document — its static ones, and the BindingPolicies (policies mode) or Bindings (bindings
// mode) it watches live — can select, minus the kinds placement never delivers; plus
// Namespaces (for namespaceSelectors), the placement documents' own resource, and
// CustomResourceDefinitions. Informers start and stop as documents, CRDs and discovery change.
// Objects returns all their objects; placement decides what goes where. It is safe for
// concurrent use.
type Discovered struct {
	client     dynamic.Interface
	disc       Discoverer
	control    schema.GroupResource // bindingpolicies or bindings
	static     []*unstructured.Unstructured
	rediscover time.Duration

	mu      sync.Mutex
	watched map[schema.GroupVersionResource]*watcher
	byKind  map[schema.GroupKind]schema.GroupResource
	changed func()
	trigger chan struct{}
	runCtx  context.Context
	served  []schema.GroupResource // every listable, watchable resource discovery listed last
	config  bool                   // also watch CustomTransforms and CustomizationRules
}

type watcher struct {
	inf  cache.SharedIndexInformer
	stop context.CancelFunc
}

// NewDiscovered returns a source for mode (policies or bindings) reading through client and
// disc. static are the placement documents from files; they are read, never modified.
// rediscover zero means [DefaultRediscover].
func NewDiscovered(client dynamic.Interface, disc Discoverer, mode PlacementMode, static []*unstructured.Unstructured, rediscover time.Duration) (*Discovered, error) {
	d := &Discovered{client: client, disc: disc, static: static, rediscover: rediscover,
		watched: map[schema.GroupVersionResource]*watcher{}, byKind: map[schema.GroupKind]schema.GroupResource{},
		trigger: make(chan struct{}, 1)}
	switch mode {
	case PlacementPolicies:
		d.control = schema.GroupResource{Group: placement.Group, Resource: "bindingpolicies"}
	case PlacementBindings:
		d.control = schema.GroupResource{Group: placement.Group, Resource: "bindings"}
	default:
		return nil, fmt.Errorf("%w: a discovered source serves the policies and bindings modes, not %q", ErrPlacementMode, mode)
	}
	if d.rediscover <= 0 {
		d.rediscover = DefaultRediscover
	}
	return d, nil
}

// WatchConfiguration makes the source also watch CustomTransforms, CustomizationRules and
// StatusCollectors (when the API server serves them), for a controller with Config.LiveConfig.
// Call it before Run.
func (d *Discovered) WatchConfiguration() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.config = true
}

// watchesConfig reports whether gr is a configuration resource the source watches; callers
// must not hold d.mu.
func (d *Discovered) watchesConfig(gr schema.GroupResource) bool {
	d.mu.Lock()
	on := d.config
	d.mu.Unlock()
	return on && (gr == customTransformsResource.GroupResource() || gr == customizationRulesResource.GroupResource() ||
		gr == statusCollectorsResource.GroupResource())
}

// Objects returns copies of every watched object, sorted by resource, namespace and name. It
// fails while some informer has not listed its resource yet: a partial list would read as
// deletions.
func (d *Discovered) Objects() ([]*unstructured.Unstructured, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*unstructured.Unstructured
	for _, gvr := range slices.SortedFunc(maps.Keys(d.watched), compareGVR) {
		w := d.watched[gvr]
		if !w.inf.HasSynced() {
			return nil, fmt.Errorf("%w: %s", ErrNotSynced, gvr)
		}
		objs := make([]*unstructured.Unstructured, 0)
		for _, it := range w.inf.GetStore().List() {
			if u, ok := it.(*unstructured.Unstructured); ok {
				objs = append(objs, u.DeepCopy())
			}
		}
		slices.SortFunc(objs, func(a, b *unstructured.Unstructured) int {
			return strings.Compare(a.GetNamespace()+"/"+a.GetName(), b.GetNamespace()+"/"+b.GetName())
		})
		out = append(out, objs...)
	}
	return out, nil
}

// ErrNotSynced is returned by Objects while a watched resource is not listed yet.
var ErrNotSynced = errors.New("a watched resource is not listed yet")

// Resource returns the resource of a kind among the watched ones (from discovery).
func (d *Discovered) Resource(gk schema.GroupKind) (schema.GroupResource, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	gr, ok := d.byKind[gk]
	return gr, ok
}

// Serves reports whether discovery lists resource (in group, or in any group when anyGroup)
// among the resources the source could watch; it answers placement's [KnownResources] question.
func (d *Discovered) Serves(group string, anyGroup bool, resource string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, gr := range d.served {
		if gr.Resource == resource && (anyGroup || gr.Group == group) {
			return true
		}
	}
	return false
}

// Watched returns the watched resources, sorted.
func (d *Discovered) Watched() []schema.GroupVersionResource {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.SortedFunc(maps.Keys(d.watched), compareGVR)
}

// Run discovers and watches until ctx is done, calling changed once everything is listed and
// after every change of a watched object or of the watched set. A failing discovery is retried
// every rediscover interval; the informers already running keep running.
func (d *Discovered) Run(ctx context.Context, changed func()) error {
	d.mu.Lock()
	d.runCtx, d.changed = ctx, func() {}
	d.mu.Unlock()
	defer d.stopAll()
	tick := time.NewTicker(d.rediscover)
	defer tick.Stop()
	// The documents that decide the watched set are themselves watched: reconcile until a
	// pass changes nothing (three passes suffice: the first lists the documents, the second
	// starts what they name); on failure, try again at the next tick.
	for !d.settle(ctx) {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
	d.mu.Lock()
	d.changed = changed
	d.mu.Unlock()
	changed()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-d.trigger:
		case <-tick.C:
		}
		if set, err := d.reconcile(ctx); err == nil && set {
			changed()
		}
	}
}

// settle reconciles until a pass changes nothing, at most three passes.
func (d *Discovered) settle(ctx context.Context) bool {
	for range 3 {
		set, err := d.reconcile(ctx)
		if err != nil {
			return false
		}
		if !set {
			return true
		}
	}
	return false
}

// reconcile brings the informers in line with discovery and the documents; it reports whether
// the watched set changed. New informers are listed before it returns.
func (d *Discovered) reconcile(ctx context.Context) (bool, error) {
	lists, err := d.disc.ServerPreferredResources()
	failed := map[schema.GroupVersion]error{}
	if err != nil {
		var gdf *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &gdf) {
			return false, fmt.Errorf("discovery: %w", err)
		}
		failed = gdf.Groups // keep watching what those groups served before
	}
	policies, bindings := d.documents()
	want := map[schema.GroupVersionResource]bool{}
	kinds := map[schema.GroupKind]schema.GroupResource{}
	var served []schema.GroupResource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "watch") {
				continue
			}
			gvr := gv.WithResource(r.Name)
			gr := gvr.GroupResource()
			served = append(served, gr)
			always := gvr == namespacesResource || gr == d.control || gr == crdsGroupResource || d.watchesConfig(gr)
			if _, never := placement.NeverDelivered(gr.Group, gr.Resource); never && !always {
				continue
			}
			if !always && !slices.ContainsFunc(policies, func(p *placement.Policy) bool { return p.MayMatchResource(gr.Group, gr.Resource) }) &&
				!slices.ContainsFunc(bindings, func(b *placement.Binding) bool { return b.MayMatchResource(gr.Group, gr.Resource) }) {
				continue
			}
			want[gvr] = true
			kinds[gv.WithKind(r.Kind).GroupKind()] = gr
		}
	}
	d.mu.Lock()
	d.served = served
	var start []schema.GroupVersionResource
	changed := false
	for gvr, w := range d.watched {
		if want[gvr] {
			continue
		}
		if _, ok := failed[gvr.GroupVersion()]; ok {
			want[gvr] = true // its group failed discovery: keep it
			continue
		}
		w.stop()
		delete(d.watched, gvr)
		changed = true
	}
	for gvr := range want {
		if _, ok := d.watched[gvr]; !ok {
			start = append(start, gvr)
		}
	}
	for gk, gr := range kinds {
		d.byKind[gk] = gr
	}
	var synced []cache.InformerSynced
	for _, gvr := range start {
		w := d.startLocked(gvr)
		synced = append(synced, w.inf.HasSynced)
		changed = true
	}
	d.mu.Unlock()
	if len(synced) > 0 && !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return changed, ctx.Err()
	}
	return changed, nil
}

// startLocked starts an informer for gvr; callers hold d.mu.
func (d *Discovered) startLocked(gvr schema.GroupVersionResource) *watcher {
	ctx, stop := context.WithCancel(d.runCtx)
	inf := dynamicinformer.NewFilteredDynamicInformer(d.client, gvr, metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
	gr := gvr.GroupResource()
	notify := func() {
		d.mu.Lock()
		f := d.changed
		d.mu.Unlock()
		if gr == d.control || gr == crdsGroupResource {
			select {
			case d.trigger <- struct{}{}:
			default:
			}
		}
		f()
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
		DeleteFunc: func(any) { notify() },
	})
	go inf.RunWithContext(ctx)
	w := &watcher{inf: inf, stop: stop}
	d.watched[gvr] = w
	return w
}

func (d *Discovered) stopAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for gvr, w := range d.watched {
		w.stop()
		delete(d.watched, gvr)
	}
}

// documents compiles the static and live placement documents of the source's mode; invalid
// ones select nothing and are left out (the controller reports them).
func (d *Discovered) documents() ([]*placement.Policy, []*placement.Binding) {
	docs := slices.Clone(d.static)
	d.mu.Lock()
	for gvr, w := range d.watched {
		if gvr.GroupResource() != d.control {
			continue
		}
		for _, it := range w.inf.GetStore().List() {
			if u, ok := it.(*unstructured.Unstructured); ok {
				docs = append(docs, u)
			}
		}
	}
	d.mu.Unlock()
	var ps []*placement.Policy
	var bs []*placement.Binding
	for _, u := range docs {
		switch {
		case d.control.Resource == "bindingpolicies" && u.GetKind() == placement.BindingPolicyKind:
			if p, err := placement.ParseBindingPolicy(u.Object); err == nil {
				ps = append(ps, p)
			}
		case d.control.Resource == "bindings" && u.GetKind() == placement.BindingKind:
			if b, err := placement.ParseBinding(u.Object); err == nil {
				bs = append(bs, b)
			}
		}
	}
	return ps, bs
}

func compareGVR(a, b schema.GroupVersionResource) int { return strings.Compare(a.String(), b.String()) }
