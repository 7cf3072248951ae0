package loop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/wecforge/wecforge/transform/manifests"
)

// Source yields the workload objects to deliver.
type Source interface {
	// Objects returns the current objects, each owned by the caller (they are copies). An
	// object missing from a successful result that was in the previous one is taken as
	// deleted from the source — a cause to remove it from the WECs at once — so a source that
	// cannot list everything must return an error, never a partial list.
	Objects() ([]*unstructured.Unstructured, error)
	// Run calls changed once the initial objects are available and after every change, until
	// ctx is done; then it returns nil. A source that never changes calls changed once and
	// returns.
	Run(ctx context.Context, changed func()) error
}

// Static is a fixed set of objects, e.g. read from files with [ReadObjects].
type Static []*unstructured.Unstructured

// Objects returns deep copies of the objects.
func (s Static) Objects() ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, len(s))
	for i, o := range s {
		out[i] = o.DeepCopy()
	}
	return out, nil
}

// Run reports the objects once and returns nil: static objects never change.
func (Static) Run(_ context.Context, changed func()) error {
	changed()
	return nil
}

// Sources merges several sources.
type Sources []Source

// Objects concatenates the objects of every source.
func (s Sources) Objects() ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, src := range s {
		objs, err := src.Objects()
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// Resource returns the resource of a kind from the first source that knows it (see
// [ResourceSource]).
func (s Sources) Resource(gk schema.GroupKind) (schema.GroupResource, bool) {
	for _, src := range s {
		if rs, ok := src.(ResourceSource); ok {
			if gr, ok := rs.Resource(gk); ok {
				return gr, true
			}
		}
	}
	return schema.GroupResource{}, false
}

// Run runs every source until ctx is done. It starts calling changed once every source has
// reported its initial objects.
func (s Sources) Run(ctx context.Context, changed func()) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	pending := len(s)
	errs := make([]error, len(s))
	for i, src := range s {
		first := true
		wg.Go(func() {
			errs[i] = src.Run(ctx, func() {
				mu.Lock()
				if first {
					first = false
					pending--
				}
				ready := pending == 0
				mu.Unlock()
				if ready {
					changed()
				}
			})
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ReadObjects reads every object of the files with the project's one loader
// (transform/manifests): multi-document YAML or JSON, directories, `kind: List` unpacked,
// values read as kubectl reads them, integral numbers as int64. It returns the objects in
// order, the loader's warnings (YAML 1.1 tokens read as booleans, with file and line), and
// every problem found, joined.
func ReadObjects(paths ...string) ([]*unstructured.Unstructured, []manifests.Warning, error) {
	docs, warns, err := manifests.Load(paths, manifests.Options{})
	if err != nil {
		return nil, warns, err
	}
	out := make([]*unstructured.Unstructured, len(docs))
	for i, d := range docs {
		out[i] = &unstructured.Unstructured{Object: d.Object}
	}
	return out, warns, nil
}

// Cluster watches objects of some resources in one namespace of a source API server (a WDS).
type Cluster struct {
	informers map[schema.GroupVersionResource]cache.SharedIndexInformer
	factory   dynamicinformer.DynamicSharedInformerFactory
}

// ParseResources parses "resource.version.group" items (e.g. "deployments.v1.apps",
// "configmaps.v1") separated by commas.
func ParseResources(list string) ([]schema.GroupVersionResource, error) {
	var out []schema.GroupVersionResource
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.SplitN(item, ".", 3)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return nil, fmt.Errorf("resource %q is not resource.version[.group]", item)
		}
		gvr := schema.GroupVersionResource{Resource: parts[0], Version: parts[1]}
		if len(parts) == 3 {
			gvr.Group = parts[2]
		}
		out = append(out, gvr)
	}
	if len(out) == 0 {
		return nil, errors.New("no resources")
	}
	return out, nil
}

// NewCluster watches resources in namespace through client.
func NewCluster(client dynamic.Interface, namespace string, resources []schema.GroupVersionResource) *Cluster {
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(client, 0, namespace, nil)
	c := &Cluster{informers: map[schema.GroupVersionResource]cache.SharedIndexInformer{}, factory: f}
	for _, gvr := range resources {
		c.informers[gvr] = f.ForResource(gvr).Informer()
	}
	return c
}

// Objects returns copies of the watched objects, sorted by resource, namespace and name. It
// reflects the informers' caches (empty before Run has synced).
func (c *Cluster) Objects() ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	gvrs := make([]schema.GroupVersionResource, 0, len(c.informers))
	for gvr := range c.informers {
		gvrs = append(gvrs, gvr)
	}
	sort.Slice(gvrs, func(i, j int) bool { return gvrs[i].String() < gvrs[j].String() })
	for _, gvr := range gvrs {
		items := c.informers[gvr].GetStore().List()
		objs := make([]*unstructured.Unstructured, 0, len(items))
		for _, it := range items {
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

// Run starts the informers and calls changed on every add, update and delete (after the
// initial sync, once), until ctx is done.
func (c *Cluster) Run(ctx context.Context, changed func()) error {
	var regs []cache.ResourceEventHandlerRegistration
	for gvr, inf := range c.informers {
		reg, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { changed() },
			UpdateFunc: func(any, any) { changed() },
			DeleteFunc: func(any) { changed() },
		})
		if err != nil {
			return fmt.Errorf("watch %s: %w", gvr, err)
		}
		regs = append(regs, reg)
	}
	c.factory.Start(ctx.Done())
	defer c.factory.Shutdown()
	synced := make([]cache.InformerSynced, len(regs))
	for i, r := range regs {
		synced[i] = r.HasSynced
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) && ctx.Err() == nil {
		return errors.New("source caches did not sync")
	}
	changed()
	<-ctx.Done()
	return nil
}

// Serves reports whether some source serves the resource (see [KnownResources]).
func (s Sources) Serves(group string, anyGroup bool, resource string) bool {
	for _, src := range s {
		if ks, ok := src.(KnownResources); ok && ks.Serves(group, anyGroup, resource) {
			return true
		}
	}
	return false
}
