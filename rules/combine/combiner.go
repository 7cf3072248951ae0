package combine

import (
	"maps"
	"reflect"
	"slices"
	"sync"

	"github.com/wecforge/wecforge/rules/placement"
)

// ObjectSpec is everything a [Combiner] needs to know about one WDS object besides what its
// WECs return.
type ObjectSpec struct {
	Object
	// Content is the WDS object as collector expressions see it (`obj`). Read, never
	// modified, and kept: the caller must not modify it afterwards (replace it with SetObject).
	Content map[string]any
	// Labels are the object's labels (for [Reported]'s "leave alone" rule).
	Labels map[string]string
	// Request is the object's status request across policies.
	Request placement.StatusRequest
	// Policies are the policies that deliver it; only those naming collectors produce a
	// CombinedStatus.
	Policies []Policy
}

// Changes says which outputs of one object an update changed, so that a writer writes only
// those.
type Changes struct {
	// Status: the object's [Outcome] changed.
	Status bool
	// CombinedStatuses names the policies whose CombinedStatus changed (appeared, changed or
	// disappeared), in policy order.
	CombinedStatuses []string
}

// Combiner keeps the reported state and CombinedStatuses of many objects and updates them
// incrementally: when one WEC's returned status changes, only that WEC's rows are
// re-evaluated (each collector's expressions run once, for that WEC), the tables it feeds are
// rebuilt from the cached rows of the other WECs, and the object's own status is recomputed
// only when that WEC is one the decision table reads. A Combiner is safe for concurrent use;
// its methods serialize on one mutex.
type Combiner struct {
	collectors map[string]*Collector
	mu         sync.Mutex
	objects    map[placement.Key]*objectState
}

type objectState struct {
	spec     ObjectSpec
	returned map[string]Returned
	outcome  Outcome
	policies []*policyState
	// The decision's WECs and, for an aggregate of a kind with aggregation rules, each one's
	// summary, so that one WEC's change refolds cached summaries instead of statuses.
	decision placement.StatusDecision
	decPos   map[string]int
	agg      *kindAggregation
	sums     []summary
	reported []bool
}

type policyState struct {
	spec   Policy
	wecs   []string // sorted, unique
	index  map[string]int
	tables []*table // one per known collector, by name
	out    *CombinedStatus
}

// NewCombiner returns a Combiner over the given compiled collectors (nil entries are skipped;
// of two with one name the last wins). Policies naming a collector that is not among them
// ignore it, as KubeStellar ignores invalid collectors.
func NewCombiner(collectors []*Collector) *Combiner {
	m := make(map[string]*Collector, len(collectors))
	for _, c := range collectors {
		if c != nil {
			m[c.name] = c
		}
	}
	return &Combiner{collectors: m, objects: map[placement.Key]*objectState{}}
}

// SetObject adds or replaces an object and recomputes all of its outputs, keeping the
// statuses its WECs returned so far. spec is kept (see [ObjectSpec.Content]).
func (cb *Combiner) SetObject(spec ObjectSpec) Changes {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	old := cb.objects[spec.Key]
	st := &objectState{spec: spec, returned: map[string]Returned{}}
	if old != nil {
		st.returned = old.returned
	}
	st.decide()
	for _, p := range spec.Policies {
		ps := &policyState{spec: p, index: map[string]int{}}
		ps.wecs = slices.Clone(p.WECs)
		slices.Sort(ps.wecs)
		ps.wecs = slices.Compact(ps.wecs)
		for i, w := range ps.wecs {
			ps.index[w] = i
		}
		names := slices.Clone(p.Collectors)
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			c := cb.collectors[n]
			if c == nil {
				continue
			}
			t := newTable(c, ps.wecs)
			for i, w := range ps.wecs {
				t.setRow(i, c.evalRow(spec.Content, w, st.returned[w]))
			}
			t.refresh()
			ps.tables = append(ps.tables, t)
		}
		if len(p.Collectors) > 0 {
			ps.out = &CombinedStatus{APIVersion: APIVersion, Kind: CombinedStatusKind, Metadata: combinedStatusMeta(spec.Object, p)}
			ps.rebuild()
		}
		st.policies = append(st.policies, ps)
	}
	cb.objects[spec.Key] = st
	return diff(old, st)
}

// decide computes the decision and the outcome from scratch.
func (st *objectState) decide() {
	st.decision = st.spec.Request.Decide()
	st.decPos = make(map[string]int, len(st.decision.WECs))
	for i, w := range st.decision.WECs {
		st.decPos[w] = i
	}
	st.agg, st.sums, st.reported = nil, nil, nil
	if st.decision.Action == placement.StatusAggregate && !neverWritten(st.spec.Key) {
		st.agg = aggregators[[2]string{st.spec.Key.Group, st.spec.Key.Resource}]
	}
	if st.agg != nil {
		st.sums = make([]summary, len(st.decision.WECs))
		st.reported = make([]bool, len(st.decision.WECs))
		for i, w := range st.decision.WECs {
			st.note(i, st.returned[w])
		}
	}
	st.outcome = st.computeOutcome()
}

// note records WEC i's returned status in the aggregation cache.
func (st *objectState) note(i int, r Returned) {
	st.reported[i] = r.Reported && r.Status != nil
	st.sums[i] = summary{}
	if st.reported[i] {
		st.sums[i] = st.agg.summarize(r.Status)
	}
}

// computeOutcome is Reported, folding the cached summaries for an aggregate.
func (st *objectState) computeOutcome() Outcome {
	if st.agg == nil {
		return Reported(st.spec.Key, st.spec.Labels, st.spec.Request, st.returned)
	}
	out := Outcome{Decision: st.decision, Write: true, SetLabel: MultiWECStatusLabel, RemoveLabels: []string{SingletonStatusLabel}}
	n, one := 0, -1
	for i, r := range st.reported {
		if r {
			n, one = n+1, i
		}
	}
	switch n {
	case 0:
		out.Status = map[string]any{}
	case 1:
		out.Status = copyStatus(st.returned[st.decision.WECs[one]].Status)
	default:
		out.Status = st.agg.fold(st.sums, func(i int) bool { return st.reported[i] })
	}
	return out
}

// DeleteObject forgets an object and what its WECs returned.
func (cb *Combiner) DeleteObject(key placement.Key) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	delete(cb.objects, key)
}

// SetReturned records what WEC wec returned for the object and updates what it feeds. An
// unknown object is ignored (zero Changes): set the object first. r.Status is kept (see
// [Returned]).
func (cb *Combiner) SetReturned(key placement.Key, wec string, r Returned) Changes {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	st := cb.objects[key]
	if st == nil {
		return Changes{}
	}
	if r.Reported {
		st.returned[wec] = r
	} else {
		delete(st.returned, wec)
	}
	return st.update(wec)
}

// DeleteReturned forgets what WEC wec returned for the object (the WEC left, or the work was
// deleted): it becomes a WEC that has not reported.
func (cb *Combiner) DeleteReturned(key placement.Key, wec string) Changes {
	return cb.SetReturned(key, wec, Returned{})
}

// SetReturnedMany records what several WECs returned for the object (an initial listing)
// and updates its outputs once. Entries with Reported unset forget the WEC's status.
func (cb *Combiner) SetReturnedMany(key placement.Key, statuses []WECStatus) Changes {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	st := cb.objects[key]
	if st == nil {
		return Changes{}
	}
	for _, w := range statuses {
		if w.Reported {
			st.returned[w.WEC] = w.Returned
		} else {
			delete(st.returned, w.WEC)
		}
	}
	fresh := &objectState{spec: st.spec, returned: st.returned}
	fresh.decide()
	ch := Changes{Status: !reflect.DeepEqual(fresh.outcome, st.outcome)}
	st.decision, st.decPos, st.agg, st.sums, st.reported, st.outcome = fresh.decision, fresh.decPos, fresh.agg, fresh.sums, fresh.reported, fresh.outcome
	for _, ps := range st.policies {
		if ps.out == nil {
			continue
		}
		changed := false
		for _, t := range ps.tables {
			for _, w := range statuses {
				if i, ok := ps.index[w.WEC]; ok {
					t.setRow(i, t.c.evalRow(st.spec.Content, w.WEC, st.returned[w.WEC]))
				}
			}
			changed = t.refresh() || changed
		}
		if changed {
			ps.rebuild()
			ch.CombinedStatuses = append(ch.CombinedStatuses, ps.spec.Name)
		}
	}
	return ch
}

// update recomputes what WEC wec feeds.
func (st *objectState) update(wec string) Changes {
	var ch Changes
	if pos, ok := st.decPos[wec]; ok {
		if st.agg != nil {
			st.note(pos, st.returned[wec])
		}
		o := st.computeOutcome()
		if !reflect.DeepEqual(o, st.outcome) {
			ch.Status = true
			st.outcome = o
		}
	}
	r := st.returned[wec]
	for _, ps := range st.policies {
		i, ok := ps.index[wec]
		if !ok || ps.out == nil {
			continue
		}
		changed := false
		for _, t := range ps.tables {
			t.setRow(i, t.c.evalRow(st.spec.Content, wec, r))
			changed = t.refresh() || changed
		}
		if changed {
			ps.rebuild()
			ch.CombinedStatuses = append(ch.CombinedStatuses, ps.spec.Name)
		}
	}
	return ch
}

func (ps *policyState) rebuild() {
	ps.out.Results = make([]*Result, len(ps.tables))
	for i, t := range ps.tables {
		ps.out.Results[i] = t.result
	}
}

// diff compares an object's outputs before and after SetObject.
func diff(old, st *objectState) Changes {
	var ch Changes
	if old == nil || !reflect.DeepEqual(old.outcome, st.outcome) {
		ch.Status = true
	}
	prev := map[string]*CombinedStatus{}
	if old != nil {
		for _, ps := range old.policies {
			prev[ps.spec.Name] = ps.out
		}
	}
	for _, ps := range st.policies {
		if p, ok := prev[ps.spec.Name]; !ok || !reflect.DeepEqual(p, ps.out) {
			if ps.out != nil || p != nil {
				ch.CombinedStatuses = append(ch.CombinedStatuses, ps.spec.Name)
			}
		}
		delete(prev, ps.spec.Name)
	}
	for name, p := range prev {
		if p != nil {
			ch.CombinedStatuses = append(ch.CombinedStatuses, name)
		}
	}
	return ch
}

// Status returns the object's current [Outcome] (its Status a fresh copy), and false for an
// unknown object.
func (cb *Combiner) Status(key placement.Key) (Outcome, bool) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	st := cb.objects[key]
	if st == nil {
		return Outcome{}, false
	}
	o := st.outcome
	if o.Status != nil {
		o.Status = copyStatus(o.Status)
	}
	o.Decision.WECs = slices.Clone(o.Decision.WECs)
	o.RemoveLabels = slices.Clone(o.RemoveLabels)
	return o, true
}

// CombinedStatuses returns the object's CombinedStatus objects, one per policy naming a
// collector, in policy order. The objects are fresh; their Results are shared (read only).
func (cb *Combiner) CombinedStatuses(key placement.Key) []*CombinedStatus {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	st := cb.objects[key]
	if st == nil {
		return nil
	}
	var out []*CombinedStatus
	for _, ps := range st.policies {
		if ps.out == nil {
			continue
		}
		cs := *ps.out
		cs.Metadata.Labels = maps.Clone(cs.Metadata.Labels)
		cs.Metadata.OwnerReferences = slices.Clone(cs.Metadata.OwnerReferences)
		cs.Results = slices.Clone(cs.Results)
		out = append(out, &cs)
	}
	return out
}

// CombinedStatusFor returns the CombinedStatus of one (object, policy), as
// [Combiner.CombinedStatuses] does, or nil.
func (cb *Combiner) CombinedStatusFor(key placement.Key, policy string) *CombinedStatus {
	for _, cs := range cb.CombinedStatuses(key) {
		if cs.Metadata.Labels[LabelBindingPolicy] == policy {
			return cs
		}
	}
	return nil
}
