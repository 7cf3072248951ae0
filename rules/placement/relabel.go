package placement

import (
	"fmt"
	"maps"
	"slices"
)

// Relabel returns the result of placing the same inputs after WEC c.Name's labels became
// c.Labels, and the number of BindingPolicies it re-evaluated: only those with a cluster
// selector that reads a label whose value changed, and each only for that one WEC. Object
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
		if d.policy == nil || !readsAny(d.policy, changed) {
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

// readsAny reports whether one of p's cluster selectors reads a key in keys. An empty selector
// reads nothing: it selects every WEC whatever its labels.
func readsAny(p *Policy, keys map[string]bool) bool {
	for _, s := range p.clusterSelectors {
		for _, k := range s.keys {
			if keys[k] {
				return true
			}
		}
	}
	return false
}
