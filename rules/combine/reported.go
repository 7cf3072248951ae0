package combine

import (
	"math"

	"github.com/wecforge/wecforge/rules/placement"
)

// The labels that say where an object's status comes from.
const (
	// SingletonStatusLabel ("true") marks an object whose status is one WEC's copy.
	SingletonStatusLabel = "managed-by.kubestellar.io/singletonstatus"
	// MultiWECStatusLabel ("true") marks an object whose status aggregates several WECs.
	MultiWECStatusLabel = "managed-by.kubestellar.io/multiwecstatus"
)

// Outcome is what to do with one WDS object's status.
type Outcome struct {
	// Decision is the decision table's answer for the object's status request.
	Decision placement.StatusDecision
	// Write says whether to write anything at all. It is false for Namespaces and CRDs, for
	// an aggregate of a kind without aggregation rules (its status is left unchanged), and for
	// a Clear of an object that carries neither label.
	Write bool
	// Status replaces the object's whole `.status` when Write is set: one WEC's status
	// (Copy; {} while that WEC has not reported), the aggregate (Aggregate), or {} (Clear).
	// It is a fresh deep copy: the caller's.
	Status map[string]any
	// SetLabel is the label to set to "true" ("" for Clear); RemoveLabels those to remove.
	SetLabel     string
	RemoveLabels []string
	// Err is a *[SingletonCountError] when singleton state was asked but not exactly one WEC
	// qualifies; nil otherwise.
	Err error
}

// Reported decides and computes one object's singleton or multi-WEC reported state from its
// status request (see docs/status.md for the decision table):
//   - Copy: the one WEC's status (an empty status while it has not reported);
//   - Aggregate: for apps Deployments, ReplicaSets and DaemonSets, the aggregate over the WECs
//     that have reported (one such WEC: its status as is; none: {}); other kinds are left
//     unchanged;
//   - Clear: {} and both labels removed, or nothing when the object has neither label.
//
// Namespaces and CustomResourceDefinitions are never written. key names the object, labels
// are its current labels, returned maps WEC names to what they returned (absent: not
// reported). Nothing passed in is modified or retained.
func Reported(key placement.Key, labels map[string]string, req placement.StatusRequest, returned map[string]Returned) Outcome {
	d := req.Decide()
	out := Outcome{Decision: d}
	if d.Action == placement.StatusClear && req.Singleton {
		out.Err = &SingletonCountError{Object: key, Qualified: len(req.S)}
	}
	if neverWritten(key) {
		return out
	}
	switch d.Action {
	case placement.StatusCopy:
		out.Write = true
		out.Status = map[string]any{}
		if r, ok := returned[d.WECs[0]]; ok && r.Reported && r.Status != nil {
			out.Status = copyStatus(r.Status)
		}
		out.SetLabel, out.RemoveLabels = SingletonStatusLabel, []string{MultiWECStatusLabel}
	case placement.StatusAggregate:
		agg, ok := aggregators[[2]string{key.Group, key.Resource}]
		if !ok {
			return out
		}
		var statuses []map[string]any
		for _, w := range d.WECs {
			if r, ok := returned[w]; ok && r.Reported && r.Status != nil {
				statuses = append(statuses, r.Status)
			}
		}
		out.Write = true
		switch len(statuses) {
		case 0:
			out.Status = map[string]any{}
		case 1:
			out.Status = copyStatus(statuses[0])
		default:
			sums := make([]summary, len(statuses))
			for i, s := range statuses {
				sums[i] = agg.summarize(s)
			}
			out.Status = agg.fold(sums, func(int) bool { return true })
		}
		out.SetLabel, out.RemoveLabels = MultiWECStatusLabel, []string{SingletonStatusLabel}
	default:
		has := func(k string) bool { _, ok := labels[k]; return ok }
		if !has(SingletonStatusLabel) && !has(MultiWECStatusLabel) {
			return out
		}
		out.Write = true
		out.Status = map[string]any{}
		out.RemoveLabels = []string{SingletonStatusLabel, MultiWECStatusLabel}
	}
	return out
}

// neverWritten reports the kinds whose status is never written: Namespaces and CRDs.
func neverWritten(k placement.Key) bool {
	return (k.Group == "" && k.Resource == "namespaces") ||
		(k.Group == "apiextensions.k8s.io" && k.Resource == "customresourcedefinitions")
}

// fieldRule is how one numeric status field combines across WECs.
type fieldRule struct {
	name string
	max  bool // maximum instead of minimum
}

// kindAggregation is the aggregation of one kind: numeric fields, and the condition kept when
// any WEC has one.
type kindAggregation struct {
	fields    []fieldRule
	condition func(map[string]any) bool
}

var aggregators = map[[2]string]*kindAggregation{
	{"apps", "deployments"}: {
		fields: []fieldRule{{name: "replicas"}, {name: "updatedReplicas"}, {name: "availableReplicas"},
			{name: "readyReplicas"}, {name: "unavailableReplicas", max: true}, {name: "observedGeneration"}},
		condition: func(c map[string]any) bool {
			return c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded"
		},
	},
	{"apps", "replicasets"}: {
		fields: []fieldRule{{name: "replicas"}, {name: "fullyLabeledReplicas"}, {name: "readyReplicas"},
			{name: "availableReplicas"}, {name: "observedGeneration"}},
		condition: func(c map[string]any) bool { return c["type"] == "ReplicaFailure" },
	},
	{"apps", "daemonsets"}: {
		fields: []fieldRule{{name: "currentNumberScheduled"}, {name: "numberMisscheduled", max: true},
			{name: "desiredNumberScheduled"}, {name: "numberReady"}, {name: "observedGeneration"},
			{name: "updatedNumberScheduled"}, {name: "numberAvailable"}},
	},
}

// summary is what the aggregation of a kind reads of one WEC's status: its integer fields
// (has: which are present) and its first matching condition.
type summary struct {
	vals []int64
	has  uint64
	cond map[string]any
}

func (k *kindAggregation) summarize(status map[string]any) summary {
	s := summary{vals: make([]int64, len(k.fields))}
	for i, f := range k.fields {
		if v, ok := integer(status[f.name]); ok {
			s.vals[i] = v
			s.has |= 1 << i
		}
	}
	if k.condition != nil {
		l, _ := status["conditions"].([]any)
		for _, c := range l {
			if m, ok := c.(map[string]any); ok && k.condition(m) {
				s.cond = m
				break
			}
		}
	}
	return s
}

// fold aggregates summaries (WECs in name order; use(i) says which count): every field is
// written, 0 when no WEC has an integer there; the first matching condition is kept as the
// only condition.
func (k *kindAggregation) fold(sums []summary, use func(int) bool) map[string]any {
	out := make(map[string]any, len(k.fields)+1)
	acc := make([]int64, len(k.fields))
	var found uint64
	var cond map[string]any
	for si := range sums {
		if !use(si) {
			continue
		}
		s := &sums[si]
		for i, f := range k.fields {
			if s.has&(1<<i) == 0 {
				continue
			}
			switch v := s.vals[i]; {
			case found&(1<<i) == 0:
				acc[i] = v
			case f.max:
				acc[i] = max(acc[i], v)
			default:
				acc[i] = min(acc[i], v)
			}
			found |= 1 << i
		}
		if cond == nil {
			cond = s.cond
		}
	}
	for i, f := range k.fields {
		out[f.name] = acc[i]
	}
	if k.condition != nil {
		conds := []any{}
		if cond != nil {
			conds = append(conds, copyJSON(cond))
		}
		out["conditions"] = conds
	}
	return out
}

// integer reads an integer status field (int64, or a float64 holding an integer, as JSON
// decoders give).
func integer(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	}
	return 0, false
}

// copyJSON deep-copies the maps and lists of a JSON-like value; other values are shared
// (scalars are immutable). Unlike runtime.DeepCopyJSON it never panics on a value of another
// type (an int a caller put in).
func copyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyJSON(e)
		}
		return out
	}
	return v
}

func copyStatus(m map[string]any) map[string]any { return copyJSON(m).(map[string]any) }
