package returned

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	workinformers "open-cluster-management.io/api/client/work/informers/externalversions"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/registry/delivery"
)

// StripWorkload is a cache transform (cache.TransformFunc) for ManifestWork informers: it
// drops spec.workload and every managedFields entry except those of the status subresource,
// keeping metadata, spec.manifestConfigs and status — all [Reader] needs. Like every informer
// transform it modifies the object it is given (freshly decoded, owned by the informer) and
// returns it; anything that is not a *ManifestWork (a tombstone, say) is returned unchanged.
// It is safe for concurrent use.
func StripWorkload(obj any) (any, error) {
	mw, ok := obj.(*workv1.ManifestWork)
	if !ok {
		return obj, nil
	}
	mw.Spec.Workload = workv1.ManifestsTemplate{}
	var kept []metav1.ManagedFieldsEntry
	for _, f := range mw.ManagedFields {
		if f.Subresource == "status" {
			f.FieldsV1 = nil
			kept = append(kept, f)
		}
	}
	mw.ManagedFields = kept
	return mw, nil
}

// NewInformer returns an informer over the ManifestWorks package delivery wrote (label
// app.kubernetes.io/managed-by=wecforge) in every namespace, with [StripWorkload] as its
// cache transform. resync is the informer's resync period (0: none). The caller starts it
// (informer.Run(stopCh)) and adds handlers; [Reader.ReadStore] reads its store.
func NewInformer(client workclient.Interface, resync time.Duration) (cache.SharedIndexInformer, error) {
	if client == nil {
		return nil, fmt.Errorf("returned: nil work client")
	}
	f := workinformers.NewSharedInformerFactoryWithOptions(client, resync,
		workinformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = delivery.ManagedByLabel + "=" + delivery.ManagedByValue
		}),
		workinformers.WithTransform(StripWorkload))
	return f.Work().V1().ManifestWorks().Informer(), nil
}

// ReadStore reads every ManifestWork in store (an informer's store, see [NewInformer]) like
// [Reader.Read]. Items that are not ManifestWorks are skipped.
func (r *Reader) ReadStore(store cache.Store) []Returned {
	items := store.List()
	works := make([]*workv1.ManifestWork, 0, len(items))
	for _, it := range items {
		if mw, ok := it.(*workv1.ManifestWork); ok {
			works = append(works, mw)
		}
	}
	return r.Read(works)
}
