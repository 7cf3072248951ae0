package placement

import "slices"

// clusterIndex finds the clusters a label selector can match without testing every cluster.
type clusterIndex struct {
	clusters []Cluster
	byLabel  map[[2]string][]int // key=value → ascending cluster indexes
}

func newClusterIndex(clusters []Cluster) *clusterIndex {
	x := &clusterIndex{clusters: clusters, byLabel: map[[2]string][]int{}}
	for i, c := range clusters {
		for k, v := range c.Labels {
			x.byLabel[[2]string{k, v}] = append(x.byLabel[[2]string{k, v}], i)
		}
	}
	return x
}

// candidates returns the indexes of the clusters that may match s (all when s requires no
// key=value pair), and whether it is the full list.
func candidates(s *selector, byLabel map[[2]string][]int) ([]int, bool) {
	var best []int
	found := false
	for _, kv := range s.eq {
		l := byLabel[kv]
		if !found || len(l) < len(best) {
			best, found = l, true
		}
	}
	if !found {
		return nil, true
	}
	return best, false
}

// selectClusters returns the clusters p's clusterSelectors select.
func (x *clusterIndex) selectClusters(p *Policy) bitset {
	out := newBitset(len(x.clusters))
	for si := range p.clusterSelectors {
		s := &p.clusterSelectors[si]
		cand, all := candidates(s, x.byLabel)
		if all {
			for i, c := range x.clusters {
				if c.Name != "" && s.matches(c.Labels) {
					out.set(i)
				}
			}
			continue
		}
		for _, i := range cand {
			if s.matches(x.clusters[i].Labels) {
				out.set(i)
			}
		}
	}
	return out
}

// objectIndex finds the objects a clause can match without testing every object.
type objectIndex struct {
	r           *Result
	byName      map[string][]int
	byNamespace map[string][]int
	byResource  map[string][]int
	byLabel     map[[2]string][]int
	all         []int // every placeable object, ascending
}

func newObjectIndex(r *Result) *objectIndex {
	x := &objectIndex{r: r, byName: map[string][]int{}, byNamespace: map[string][]int{},
		byResource: map[string][]int{}, byLabel: map[[2]string][]int{}}
	for i, o := range r.objects {
		if !r.first[i] {
			continue
		}
		if _, never := NeverDelivered(o.Key.Group, o.Key.Resource); never {
			continue
		}
		x.all = append(x.all, i)
		x.byName[o.Key.Name] = append(x.byName[o.Key.Name], i)
		x.byNamespace[o.Key.Namespace] = append(x.byNamespace[o.Key.Namespace], i)
		x.byResource[o.Key.Resource] = append(x.byResource[o.Key.Resource], i)
		for k, v := range o.Labels {
			x.byLabel[[2]string{k, v}] = append(x.byLabel[[2]string{k, v}], i)
		}
	}
	return x
}

// size returns the total length of the lists m[k] for every k in keys.
func size(m map[string][]int, keys []string) int {
	n := 0
	for _, k := range keys {
		n += len(m[k])
	}
	return n
}

// union returns the ascending union of the lists m[k] for every k in keys.
func union(m map[string][]int, keys []string) []int {
	if len(keys) == 1 {
		return m[keys[0]]
	}
	var out []int
	for _, k := range keys {
		out = append(out, m[k]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// clauseCandidates returns a superset of the objects clause c selects, ascending: the
// smallest of what its names, namespaces, resources and object selectors allow (sizes are
// compared before any list is built). The result may be shared with the index: read only.
func (x *objectIndex) clauseCandidates(c *clause) []int {
	best, build := len(x.all), func() []int { return x.all }
	consider := func(n int, f func() []int) {
		if n < best {
			best, build = n, f
		}
	}
	if c.objectNames != nil {
		consider(size(x.byName, c.objectNames), func() []int { return union(x.byName, c.objectNames) })
	}
	if c.namespaces != nil {
		consider(size(x.byNamespace, c.namespaces), func() []int { return union(x.byNamespace, c.namespaces) })
	}
	if c.resources != nil {
		consider(size(x.byResource, c.resources), func() []int { return union(x.byResource, c.resources) })
	}
	if len(c.objSelectors) > 0 {
		lists := make([][]int, 0, len(c.objSelectors))
		n := 0
		for si := range c.objSelectors {
			cand, all := candidates(&c.objSelectors[si], x.byLabel)
			if all {
				return build()
			}
			lists = append(lists, cand)
			n += len(cand)
		}
		consider(n, func() []int {
			if len(lists) == 1 {
				return lists[0]
			}
			l := slices.Concat(lists...)
			slices.Sort(l)
			return slices.Compact(l)
		})
	}
	return build()
}

// selectObjects returns the objects p's clauses select, each with the clauses that select it
// and their merged modulation.
func (x *objectIndex) selectObjects(p *Policy) []hit {
	var hits []hit
	at := map[int]int{} // object → index in hits
	for ci := range p.clauses {
		c := &p.clauses[ci]
		for _, oi := range x.clauseCandidates(c) {
			o := &x.r.objects[oi]
			var nsLabels map[string]string
			if o.Key.Namespace != "" && len(c.nsSelectors) > 0 {
				nsLabels = x.r.namespaceLabels(o.Key.Namespace)
			}
			if !matchesClause(c, o, nsLabels) {
				continue
			}
			hi, ok := at[oi]
			if !ok {
				hi = len(hits)
				at[oi] = hi
				hits = append(hits, hit{obj: oi})
			}
			hits[hi].clauses = append(hits[hi].clauses, ci)
			hits[hi].mod = hits[hi].mod.merge(c.mod)
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return a.obj - b.obj })
	return hits
}
