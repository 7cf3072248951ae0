package engine

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
)

// StatusReport is the offline evaluation of status return for one placement.
type StatusReport struct {
	// Objects has one entry per placed object that asks for reported state or whose status
	// would be written, sorted by group, kind, namespace and name.
	Objects []ObjectStatus
	// CombinedStatuses has one CombinedStatus per (object, policy) whose clauses name a
	// StatusCollector, sorted by namespace and name.
	CombinedStatuses []*combine.CombinedStatus
}

// ObjectStatus is one object's singleton or multi-WEC reported state.
type ObjectStatus struct {
	Ref     transform.ObjectRef
	Outcome combine.Outcome
}

// CombineStatus evaluates status return offline, as a controller would once every WEC has
// reported: each placed object's singleton/multi-WEC reported state and the CombinedStatus
// objects of the engine's StatusCollectors, fed by the returned statuses (a destination WEC
// without one has not reported). CombinedStatus objects are named from the inputs'
// metadata.uid, or from the names when absent. Nothing passed in is modified.
//
// Row and aggregation errors are part of the report (in the CombinedStatus results), not
// errors. The error joins one *[DocumentError] wrapping [ErrReturnedStatus] per returned
// status that names no placed object delivered to its WEC; the others are still used.
func (e *Engine) CombineStatus(p *Placement, returned []ReturnedStatus) (*StatusReport, error) {
	rep := &StatusReport{Objects: []ObjectStatus{}, CombinedStatuses: []*combine.CombinedStatus{}}
	objs := p.Objects()
	res := p.Result()
	index := map[transform.ObjectRef]int{}
	for i, o := range objs {
		r := o.Ref
		r.Version = ""
		index[r] = i
	}
	var errs []error
	byObject := map[int][]ReturnedStatus{}
	for _, rs := range returned {
		r := rs.Object
		r.Version = ""
		i, ok := index[r]
		if ok && res != nil {
			_, ok = res.Delivered(i, rs.WEC)
		}
		if !ok || res == nil {
			errs = append(errs, &DocumentError{Source: rs.Source, Kind: ReturnedStatusKind,
				Err: fmt.Errorf("%w: %s is not delivered to WEC %s", ErrReturnedStatus, rs.Object, rs.WEC)})
			continue
		}
		byObject[i] = append(byObject[i], rs)
	}
	if res == nil {
		return rep, joinSorted(errs)
	}
	cb := e.NewCombiner()
	docs := res.Documents()
	docsOf := map[int][]int{} // object index → indexes into docs
	for di, d := range docs {
		for _, i := range d.Objects {
			docsOf[i] = append(docsOf[i], di)
		}
	}
	for i, o := range objs {
		spec := combine.ObjectSpec{
			Object: combine.Object{
				Key:        placement.Key{Group: o.Resource.Group, Resource: o.Resource.Resource, Namespace: o.Ref.Namespace, Name: o.Ref.Name},
				APIVersion: o.Object.GetAPIVersion(), Kind: o.Object.GetKind(), UID: string(o.Object.GetUID()),
			},
			Content: o.Object.Object,
			Labels:  o.Object.GetLabels(),
			Request: res.Status(i),
		}
		for _, di := range docsOf[i] {
			d := docs[di]
			if len(d.WECs) == 0 {
				continue
			}
			pl, _ := res.Delivered(i, d.WECs[0])
			for _, by := range pl.By {
				if by.Kind == d.Kind && by.Name == d.Name && len(by.Modulation.StatusCollectors) > 0 {
					spec.Policies = append(spec.Policies, combine.Policy{Name: d.Name, UID: e.policyUID(d.Kind, d.Name),
						WECs: d.WECs, Collectors: by.Modulation.StatusCollectors})
				}
			}
		}
		cb.SetObject(spec)
		for _, rs := range byObject[i] {
			cb.SetReturned(spec.Key, rs.WEC, combine.Returned{Reported: true, Status: rs.Status, LastUpdated: rs.LastUpdated})
		}
		out, _ := cb.Status(spec.Key)
		if spec.Request.Singleton || spec.Request.MultiWEC || out.Write {
			rep.Objects = append(rep.Objects, ObjectStatus{Ref: o.Ref, Outcome: out})
		}
		rep.CombinedStatuses = append(rep.CombinedStatuses, cb.CombinedStatuses(spec.Key)...)
		cb.DeleteObject(spec.Key)
	}
	slices.SortFunc(rep.Objects, func(a, b ObjectStatus) int { return a.Ref.Compare(b.Ref) })
	slices.SortFunc(rep.CombinedStatuses, func(a, b *combine.CombinedStatus) int {
		return cmp.Or(cmp.Compare(a.Metadata.Namespace, b.Metadata.Namespace), cmp.Compare(a.Metadata.Name, b.Metadata.Name))
	})
	return rep, joinSorted(errs)
}
