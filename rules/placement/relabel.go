package placement

import (
	"fmt"
	"maps"
	"slices"
)

// Relabel returns the result of placing the same inputs after WEC c.Name's labels became
// c.Labels, and the number of BindingPolicies it re-evaluated: only those with a cluster
// selector whose answer can differ — it reads a label whose value changed, and each of its
// key=value requirements holds before or after — and each only for that one WEC. Object
// selection is shared with r, which is left as it was. An unknown WEC is an error wrapping
// [ErrInput].
func (r *Result) Relabel(c Cluster) (*Result, int, error) {
	ci, ok := r.clusterIdx[c.Name]
	if !ok {
		return nil, 0, fmt.Errorf("%w: cluster %q is not among the inputs", ErrInput, c.Name)
	}
	old := r.clusters[ci].Labels
	changed := map[string]bool{}
	for k, v := range old {
		if nv, ok := c.Labels[k]; !ok || nv != v {
			changed[k] = true
		}
	}
	for k := range c.Labels {
		if _, ok := old[k]; !ok {
			changed[k] = true
		}
	}
	next := &Result{
		clusters:   slices.Clone(r.clusters),
		clusterIdx: r.clusterIdx,
		objects:    r.objects,
		keyIdx:     r.keyIdx,
		first:      r.first,
		docs:       slices.Clone(r.docs),
		byObject:   r.byObject,
		inputErrs:  r.inputErrs,
		known:      r.known,
		nsLabels:   r.nsLabels,
	}
	next.clusters[ci] = Cluster{Name: c.Name, Labels: maps.Clone(c.Labels)}
	n := 0
	for di, d := range r.docs {
		if d.policy == nil || !mayChange(d.policy, old, c.Labels, changed) {
			continue
		}
		n++
		if in := d.policy.selectsCluster(c.Labels); in != d.clusters.has(ci) {
			nd := *d
			nd.clusters = slices.Clone(d.clusters)
			if in {
				nd.clusters.set(ci)
			} else {
				nd.clusters.clear(ci)
			}
			next.docs[di] = &nd
		}
	}
	return next, n, nil
}

// mayChange reports whether one of p's cluster selectors can answer differently for labels
// before and after, which differ in the keys changed. An empty selector never does (it selects every
// WEC); nor does one with a key=value requirement that neither label set satisfies (it is false
// both times).
func mayChange(p *Policy, before, after map[string]string, changed map[string]bool) bool {
	for si := range p.clusterSelectors {
		s := &p.clusterSelectors[si]
		if !slices.ContainsFunc(s.keys, func(k string) bool { return changed[k] }) {
			continue
		}
		if slices.ContainsFunc(s.eq, func(kv [2]string) bool {
			o, inOld := before[kv[0]]
			n, inNew := after[kv[0]]
			return !(inOld && o == kv[1]) && !(inNew && n == kv[1])
		}) {
			continue
		}
		return true
	}
	return false
}
