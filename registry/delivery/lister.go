package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	workinformers "open-cluster-management.io/api/client/work/informers/externalversions"
	worklisters "open-cluster-management.io/api/client/work/listers/work/v1"
	workv1 "open-cluster-management.io/api/work/v1"
)

// WorkLister lists the ManifestWorks of one namespace that match a label selector. It is how
// [Deliverer.Apply] reads a pair's current works when [Options.Lister] is set; it must be safe
// for concurrent use, and the caller may modify what it returns.
type WorkLister interface {
	ListWorks(ctx context.Context, namespace string, selector labels.Selector) ([]*workv1.ManifestWork, error)
}

// WorkListerFunc adapts a function to a [WorkLister].
type WorkListerFunc func(ctx context.Context, namespace string, selector labels.Selector) ([]*workv1.ManifestWork, error)

// ListWorks calls f.
func (f WorkListerFunc) ListWorks(ctx context.Context, namespace string, selector labels.Selector) ([]*workv1.ManifestWork, error) {
	return f(ctx, namespace, selector)
}

// current returns the pair's ManifestWorks: from opts.Lister when set, else listed from the
// API server.
func (d *Deliverer) current(ctx context.Context, wec, key string) ([]*workv1.ManifestWork, error) {
	sel := labels.SelectorFromSet(labels.Set{SourceLabel: keyHash(key)})
	if d.opts.Lister != nil {
		works, err := d.opts.Lister.ListWorks(ctx, wec, sel)
		if err != nil {
			return nil, workError(wec, "", "list", err)
		}
		return works, nil
	}
	list, err := d.client.WorkV1().ManifestWorks(wec).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, workError(wec, "", "list", err)
	}
	out := make([]*workv1.ManifestWork, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// ErrCacheNotSynced is returned by [CachedLister.ListWorks] before the cache has synced.
var ErrCacheNotSynced = errors.New("ManifestWork cache not synced")

// CachedLister is a [WorkLister] backed by an informer on every ManifestWork this package
// writes (label [ManagedByLabel]=[ManagedByValue]), in all namespaces. Given as
// [Options.Lister], it saves the hub one list request per Apply: a fleet-wide change then
// costs one write per WEC. The cache keeps no status and no managedFields (Apply reads
// neither; the wait for a move reads the API server). Create it with [NewCachedLister], start
// it with Run and wait for [CachedLister.WaitForSync] before the first Apply; it is safe for
// concurrent use.
//
// A cache lags the API server. Apply stays correct on a stale cache: an update of a work
// that changed since conflicts and is retried from a fresh read, a create of a work that
// exists already takes it over, and a work the cache does not hold yet is left alone until
// the cache sees it. Hence, until the cache catches up, a part written moments ago by someone
// else may be rewritten or outlive its use by one Apply; the next Apply converges.
type CachedLister struct {
	factory  workinformers.SharedInformerFactory
	informer cache.SharedIndexInformer
	lister   worklisters.ManifestWorkLister
}

// NewCachedLister returns a CachedLister reading through client; resync is the informer's
// resync period (zero: none).
func NewCachedLister(client workclient.Interface, resync time.Duration) (*CachedLister, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil work client", ErrInvalidInput)
	}
	f := workinformers.NewSharedInformerFactoryWithOptions(client, resync,
		workinformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = ManagedByLabel + "=" + ManagedByValue
		}))
	inf := f.Work().V1().ManifestWorks()
	l := &CachedLister{factory: f, informer: inf.Informer(), lister: inf.Lister()}
	if err := l.informer.SetTransform(stripForCache); err != nil {
		return nil, err
	}
	return l, nil
}

// stripForCache drops what Apply never reads from a cached ManifestWork.
func stripForCache(obj any) (any, error) {
	if mw, ok := obj.(*workv1.ManifestWork); ok {
		mw.ManagedFields = nil
		mw.Status = workv1.ManifestWorkStatus{}
	}
	return obj, nil
}

// Run starts the informer and blocks until ctx is done.
func (l *CachedLister) Run(ctx context.Context) {
	l.factory.Start(ctx.Done())
	<-ctx.Done()
	l.factory.Shutdown()
}

// WaitForSync waits until the cache holds the initial list, or ctx is done; it reports
// whether the cache synced.
func (l *CachedLister) WaitForSync(ctx context.Context) bool {
	return cache.WaitForCacheSync(ctx.Done(), l.informer.HasSynced)
}

// ListWorks returns deep copies of the cached ManifestWorks of namespace matching selector.
func (l *CachedLister) ListWorks(_ context.Context, namespace string, selector labels.Selector) ([]*workv1.ManifestWork, error) {
	if !l.informer.HasSynced() {
		return nil, ErrCacheNotSynced
	}
	works, err := l.lister.ManifestWorks(namespace).List(selector)
	if err != nil {
		return nil, err
	}
	out := make([]*workv1.ManifestWork, len(works))
	for i, mw := range works {
		out[i] = mw.DeepCopy()
	}
	return out, nil
}
