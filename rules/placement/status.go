package placement

import "slices"

// StatusRequest is what one object asks back from its WECs, combined across every document that
// delivers it: S are the WECs asked for singleton reported state, M those asked for multi-WEC
// reported state (flags ORed, WEC sets unioned).
type StatusRequest struct {
	// Singleton: some delivering clause sets wantSingletonReportedState.
	Singleton bool
	// MultiWEC: some delivering clause sets wantMultiWECReportedState.
	MultiWEC bool
	// S and M are sorted WEC names.
	S, M []string
}

// StatusAction is what to do with an object's status.
type StatusAction string

// The status actions, as decided by [StatusRequest.Decide].
const (
	// StatusCopy copies one WEC's status into the object.
	StatusCopy StatusAction = "Copy"
	// StatusAggregate aggregates the statuses of several WECs.
	StatusAggregate StatusAction = "Aggregate"
	// StatusClear clears the object's returned status.
	StatusClear StatusAction = "Clear"
)

// StatusDecision is the outcome of [StatusRequest.Decide].
type StatusDecision struct {
	Action StatusAction
	// WECs are the WECs whose status is copied (exactly one) or aggregated; empty for Clear.
	WECs []string
	// SingletonUnmet: singleton state was asked but not exactly one WEC qualifies; the
	// policies' status says how many did.
	SingletonUnmet bool
}

// Decide applies the singleton/multi-WEC rules, in order: both asked: one WEC in S ∪ M is a
// copy, more an aggregate over S ∪ M; only singleton asked: |S| = 1 is a copy; only multi-WEC
// asked: |M| = 1 a copy, |M| > 1 an aggregate; anything else clears.
func (s StatusRequest) Decide() StatusDecision {
	switch {
	case s.Singleton && s.MultiWEC:
		u := append(slices.Clone(s.S), s.M...)
		slices.Sort(u)
		u = slices.Compact(u)
		switch {
		case len(u) == 1:
			return StatusDecision{Action: StatusCopy, WECs: u}
		case len(u) > 1:
			return StatusDecision{Action: StatusAggregate, WECs: u}
		}
	case s.Singleton:
		if len(s.S) == 1 {
			return StatusDecision{Action: StatusCopy, WECs: slices.Clone(s.S)}
		}
		return StatusDecision{Action: StatusClear, WECs: []string{}, SingletonUnmet: true}
	case s.MultiWEC:
		switch {
		case len(s.M) == 1:
			return StatusDecision{Action: StatusCopy, WECs: slices.Clone(s.M)}
		case len(s.M) > 1:
			return StatusDecision{Action: StatusAggregate, WECs: slices.Clone(s.M)}
		}
	}
	return StatusDecision{Action: StatusClear, WECs: []string{}}
}

// Status returns the status request of object obj (an index into Input.Objects).
func (r *Result) Status(obj int) StatusRequest {
	out := StatusRequest{S: []string{}, M: []string{}}
	if obj < 0 || obj >= len(r.byObject) {
		return out
	}
	s, m := newBitset(len(r.clusters)), newBitset(len(r.clusters))
	for _, di := range r.byObject[obj] {
		d := r.docs[di]
		mod := d.hitFor(obj).mod
		if mod.WantSingletonReportedState {
			out.Singleton = true
			s.or(d.clusters)
		}
		if mod.WantMultiWECReportedState {
			out.MultiWEC = true
			m.or(d.clusters)
		}
	}
	out.S, out.M = r.wecNames(s), r.wecNames(m)
	return out
}

// UnmetSingleton is an object whose singleton reported state was asked but cannot be given:
// the decision is Clear (not exactly one WEC qualifies). KubeStellar reports it in the status
// of the policies asking for it.
type UnmetSingleton struct {
	// Object is the object's key.
	Object Key
	// Qualified is how many WECs qualified: |S|, or |S ∪ M| when multi-WEC state was asked too.
	Qualified int
	// Policies are the names of the BindingPolicies (or Bindings) whose clause selecting the
	// object sets wantSingletonReportedState, sorted.
	Policies []string
}

// UnmetSingletons returns every object whose singleton reported state is unmet, in input order.
func (r *Result) UnmetSingletons() []UnmetSingleton {
	var out []UnmetSingleton
	for oi := range r.byObject {
		req := r.Status(oi)
		if !req.Singleton || req.Decide().Action != StatusClear {
			continue
		}
		qualified := len(req.S)
		if req.MultiWEC {
			u := append(slices.Clone(req.S), req.M...)
			slices.Sort(u)
			qualified = len(slices.Compact(u))
		}
		var names []string
		for _, di := range r.byObject[oi] {
			if d := r.docs[di]; d.hitFor(oi).mod.WantSingletonReportedState {
				names = append(names, d.by.Name)
			}
		}
		slices.Sort(names)
		out = append(out, UnmetSingleton{Object: r.objects[oi].Key, Qualified: qualified, Policies: slices.Compact(names)})
	}
	return out
}
