package delivery

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/transform"
)

// Problem is one object of a ManifestWork that the work agent reports as not Applied or not
// Available.
type Problem struct {
	// Object names the object as the agent reported it.
	Object transform.ObjectRef
	// Condition is the condition that is False ("Applied" or "Available").
	Condition string
	// Reason and Message are the agent's.
	Reason, Message string
}

// String renders the problem as `Kind.group ns/name: Applied=False (Reason): message`.
func (p Problem) String() string {
	return fmt.Sprintf("%s: %s=False (%s): %s", p.Object, p.Condition, p.Reason, p.Message)
}

// WorkStatus is the state of one ManifestWork as the work agent last reported it.
type WorkStatus struct {
	// Name is the ManifestWork's name.
	Name string
	// Applied and Available are the work-level conditions; Unknown when the agent has not set
	// them yet, or set them for an older generation of the spec.
	Applied, Available metav1.ConditionStatus
	// Objects is the number of manifests in the spec.
	Objects int
	// Problems lists the objects whose Applied or Available condition is False, in the order of
	// the manifests.
	Problems []Problem
}

// Ready reports whether the ManifestWork is Applied and Available for its current spec.
func (s WorkStatus) Ready() bool {
	return s.Applied == metav1.ConditionTrue && s.Available == metav1.ConditionTrue
}

// Status is the delivery state of one (WEC, source key) pair, or of every pair of the WEC.
type Status struct {
	// WEC is the cluster.
	WEC string
	// Works are the ManifestWorks, sorted by name.
	Works []WorkStatus
}

// Ready reports whether there is at least one ManifestWork and every one is ready.
func (s Status) Ready() bool {
	for _, w := range s.Works {
		if !w.Ready() {
			return false
		}
	}
	return len(s.Works) > 0
}

// Problems returns every failing object of every ManifestWork, in order.
func (s Status) Problems() []Problem {
	var out []Problem
	for _, w := range s.Works {
		out = append(out, w.Problems...)
	}
	return out
}

// Status reads back the ManifestWorks of (wec, key) — of every source key when key is empty —
// and reports what the work agent says about them. It only reads. Safe for concurrent use.
func (d *Deliverer) Status(ctx context.Context, wec, key string) (Status, error) {
	sel := ManagedByLabel + "=" + ManagedByValue
	if key != "" {
		sel = SourceLabel + "=" + keyHash(key)
	}
	list, err := d.client.WorkV1().ManifestWorks(wec).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return Status{WEC: wec}, fmt.Errorf("list ManifestWorks in %s: %w", wec, err)
	}
	st := Status{WEC: wec}
	for i := range list.Items {
		mw := &list.Items[i]
		if key != "" && mw.Annotations[SourceKeyAnnotation] != key {
			continue
		}
		st.Works = append(st.Works, WorkStatusOf(mw))
	}
	sort.Slice(st.Works, func(i, j int) bool { return st.Works[i].Name < st.Works[j].Name })
	return st, nil
}

// WorkStatusOf computes the [WorkStatus] of one ManifestWork. mw is only read; nil yields a
// zero WorkStatus.
func WorkStatusOf(mw *workv1.ManifestWork) WorkStatus {
	if mw == nil {
		return WorkStatus{}
	}
	ws := WorkStatus{
		Name:      mw.Name,
		Applied:   currentCondition(mw.Status.Conditions, workv1.WorkApplied, mw.Generation),
		Available: currentCondition(mw.Status.Conditions, workv1.WorkAvailable, mw.Generation),
		Objects:   len(mw.Spec.Workload.Manifests),
	}
	manifests := append([]workv1.ManifestCondition(nil), mw.Status.ResourceStatus.Manifests...)
	sort.SliceStable(manifests, func(i, j int) bool {
		return manifests[i].ResourceMeta.Ordinal < manifests[j].ResourceMeta.Ordinal
	})
	for _, m := range manifests {
		for _, t := range []string{workv1.ManifestApplied, workv1.ManifestAvailable} {
			c := meta.FindStatusCondition(m.Conditions, t)
			if c == nil || c.Status != metav1.ConditionFalse {
				continue
			}
			rm := m.ResourceMeta
			ws.Problems = append(ws.Problems, Problem{
				Object: transform.ObjectRef{Group: rm.Group, Version: rm.Version, Kind: rm.Kind,
					Namespace: rm.Namespace, Name: rm.Name},
				Condition: t,
				Reason:    c.Reason,
				Message:   c.Message,
			})
		}
	}
	return ws
}

// currentCondition returns a condition's status, Unknown when absent or observed for an older
// generation (a condition without observedGeneration counts as current).
func currentCondition(conds []metav1.Condition, t string, generation int64) metav1.ConditionStatus {
	c := meta.FindStatusCondition(conds, t)
	if c == nil || (c.ObservedGeneration != 0 && c.ObservedGeneration < generation) {
		return metav1.ConditionUnknown
	}
	return c.Status
}

// WECs returns the namespaces (WECs) holding ManifestWorks of source key, sorted, by listing
// ManifestWorks in every namespace. It only reads. Use it to find works left in WECs that are
// no longer targets.
func (d *Deliverer) WECs(ctx context.Context, key string) ([]string, error) {
	list, err := d.client.WorkV1().ManifestWorks(metav1.NamespaceAll).List(ctx, metav1.ListOptions{LabelSelector: SourceLabel + "=" + keyHash(key)})
	if err != nil {
		return nil, workError("", "", "list", err)
	}
	set := map[string]bool{}
	for i := range list.Items {
		if list.Items[i].Annotations[SourceKeyAnnotation] == key {
			set[list.Items[i].Namespace] = true
		}
	}
	return slices.Sorted(mapKeys(set)), nil
}
