package statusback

import (
	"context"
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/util/retry"
)

// The KubeStellar resources this package writes.
var (
	CombinedStatusResource  = schema.GroupVersionResource{Group: "control.kubestellar.io", Version: "v1alpha1", Resource: "combinedstatuses"}
	StatusCollectorResource = schema.GroupVersionResource{Group: "control.kubestellar.io", Version: "v1alpha1", Resource: "statuscollectors"}
)

// CombinedStatus is one CombinedStatus object to have in the WDS.
type CombinedStatus struct {
	// Name and Namespace as KubeStellar names them (<object UID>.<policy UID>, the object's
	// namespace or kubestellar-report).
	Name, Namespace string
	// Owner is the reference to the workload object (it owns the CombinedStatus, so deleting
	// the object deletes it).
	Owner metav1.OwnerReference
	// Labels are set exactly (status.kubestellar.io/api-group, resource, namespace, name,
	// binding-policy); labels others added are kept.
	Labels map[string]string
	// Results is the `results` list: one JSON object per collector. It is only read.
	Results []map[string]any
}

// ApplyCombinedStatus creates cs or updates the existing object to carry its owner reference,
// labels and results, and reports whether it wrote. Other owner references and labels on the
// existing object are kept.
func (w *Writer) ApplyCombinedStatus(ctx context.Context, cs CombinedStatus) (bool, error) {
	fail := func(action string, err error) error {
		return &WriteError{Resource: CombinedStatusResource, Namespace: cs.Namespace, Name: cs.Name, Action: action, Err: err}
	}
	if msgs := validation.IsDNS1123Subdomain(cs.Name); len(msgs) > 0 || cs.Namespace == "" || cs.Owner.UID == "" || cs.Owner.Name == "" {
		return false, fail("apply", fmt.Errorf("%w: a DNS-subdomain name, a namespace and an owner with name and UID are required", ErrInvalidInput))
	}
	results := make([]any, 0, len(cs.Results))
	for i, r := range cs.Results {
		c, err := jsonCopy(r)
		if err != nil {
			return false, fail("apply", fmt.Errorf("%w: results[%d]: %w", ErrInvalidInput, i, err))
		}
		results = append(results, c)
	}
	res := w.client.Resource(CombinedStatusResource).Namespace(cs.Namespace)
	wrote := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := res.Get(ctx, cs.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			obj := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": CombinedStatusResource.GroupVersion().String(),
				"kind":       "CombinedStatus",
				"results":    results,
			}}
			obj.SetName(cs.Name)
			obj.SetNamespace(cs.Namespace)
			obj.SetLabels(maps.Clone(cs.Labels))
			obj.SetOwnerReferences([]metav1.OwnerReference{cs.Owner})
			if _, err := res.Create(ctx, obj, metav1.CreateOptions{}); err != nil {
				if apierrors.IsAlreadyExists(err) {
					return apierrors.NewConflict(CombinedStatusResource.GroupResource(), cs.Name, err)
				}
				return fail("create", err)
			}
			wrote = true
			return nil
		}
		if err != nil {
			return fail("get", err)
		}
		next := cur.DeepCopy()
		labels := next.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, cs.Labels)
		next.SetLabels(labels)
		owners := next.GetOwnerReferences()
		found := false
		for i := range owners {
			if owners[i].UID == cs.Owner.UID {
				owners[i], found = cs.Owner, true
			}
		}
		if !found {
			owners = append(owners, cs.Owner)
		}
		next.SetOwnerReferences(owners)
		next.Object["results"] = results
		if equality.Semantic.DeepEqual(cur.Object, next.Object) {
			return nil
		}
		if _, err := res.Update(ctx, next, metav1.UpdateOptions{}); err != nil {
			return fail("update", err)
		}
		wrote = true
		return nil
	})
	return wrote, err
}

// DeleteCombinedStatus deletes the CombinedStatus namespace/name and reports whether it
// existed.
func (w *Writer) DeleteCombinedStatus(ctx context.Context, namespace, name string) (bool, error) {
	err := w.client.Resource(CombinedStatusResource).Namespace(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	}
	return false, &WriteError{Resource: CombinedStatusResource, Namespace: namespace, Name: name, Action: "delete", Err: err}
}

// SetCollectorErrors writes the StatusCollector name's status: errors (nil or empty clears
// them) and observedGeneration, the collector's generation these errors were found for. It
// reports whether it wrote.
func (w *Writer) SetCollectorErrors(ctx context.Context, name string, observedGeneration int64, errs []string) (bool, error) {
	fail := func(action string, err error) error {
		return &WriteError{Resource: StatusCollectorResource, Name: name, Action: action, Err: err}
	}
	if name == "" {
		return false, fail("update status", fmt.Errorf("%w: no name", ErrInvalidInput))
	}
	status := map[string]any{"observedGeneration": observedGeneration}
	if len(errs) > 0 {
		list := make([]any, len(errs))
		for i, e := range errs {
			list[i] = e
		}
		status["errors"] = list
	}
	res := w.client.Resource(StatusCollectorResource)
	wrote := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := res.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fail("get", err)
		}
		old, _, _ := unstructured.NestedMap(cur.Object, "status")
		if equality.Semantic.DeepEqual(old, status) {
			return nil
		}
		next := cur.DeepCopy()
		next.Object["status"] = status
		if _, err := res.UpdateStatus(ctx, next, metav1.UpdateOptions{}); err != nil {
			return fail("update status", err)
		}
		wrote = true
		return nil
	})
	return wrote, err
}
