package placement

import (
	"math/bits"
	"slices"
)

// neverGroups are API groups whose objects are never delivered: KubeStellar's own control
// objects and the groups KubeStellar leaves out of downsync.
var neverGroups = map[string]string{
	Group:                          "KubeStellar control objects are never delivered",
	"flowcontrol.apiserver.k8s.io": "API priority and fairness objects belong to each cluster",
	"discovery.k8s.io":             "endpoint slices are made by each cluster",
	"apiregistration.k8s.io":       "API service registrations belong to each cluster",
	"coordination.k8s.io":          "leases belong to each cluster",
}

// neverResources are group/resource pairs never delivered.
var neverResources = map[[2]string]string{
	{"", "events"}:                             "events are made by each cluster",
	{"events.k8s.io", "events"}:                "events are made by each cluster",
	{"", "nodes"}:                              "nodes belong to each cluster",
	{"", "endpoints"}:                          "endpoints are made by each cluster",
	{"storage.k8s.io", "csinodes"}:             "CSI nodes belong to each cluster",
	{"storage.k8s.io", "csistoragecapacities"}: "CSI storage capacities belong to each cluster",
	{"wecforge.io", "customizationrules"}:      "CustomizationRules configure wecforge, not WECs",
}

// NeverDelivered reports whether objects of group and resource are never delivered to any WEC,
// whatever selects them, and why.
func NeverDelivered(group, resource string) (reason string, never bool) {
	if r, ok := neverGroups[group]; ok {
		return r, true
	}
	r, ok := neverResources[[2]string{group, resource}]
	return r, ok
}

// matchesClause reports whether clause c selects the object o, whose Namespace carries
// nsLabels (nil when o is cluster-scoped or its Namespace is unknown).
func matchesClause(c *clause, o *Object, nsLabels map[string]string) bool {
	k := &o.Key
	if c.apiGroup != nil && *c.apiGroup != k.Group {
		return false
	}
	if c.resources != nil && !contains(c.resources, k.Resource) {
		return false
	}
	if c.namespaces != nil && (k.Namespace == "" || !contains(c.namespaces, k.Namespace)) {
		return false
	}
	if c.objectNames != nil && !contains(c.objectNames, k.Name) {
		return false
	}
	if len(c.nsSelectors) > 0 && !anyNamespaceSelector(c.nsSelectors, k.Namespace, nsLabels) {
		return false
	}
	if len(c.objSelectors) > 0 && !anySelector(c.objSelectors, o.Labels) {
		return false
	}
	return true
}

// anyNamespaceSelector: a cluster-scoped object passes only an empty selector; a namespaced
// one passes a selector its Namespace's labels satisfy.
func anyNamespaceSelector(ss []selector, namespace string, nsLabels map[string]string) bool {
	for i := range ss {
		if ss[i].all || (namespace != "" && ss[i].matches(nsLabels)) {
			return true
		}
	}
	return false
}

func anySelector(ss []selector, ls map[string]string) bool {
	for i := range ss {
		if ss[i].matches(ls) {
			return true
		}
	}
	return false
}

// contains reports whether the sorted list l holds s.
func contains(l []string, s string) bool {
	_, ok := slices.BinarySearch(l, s)
	return ok
}

// selectsCluster reports whether the policy's clusterSelectors (ORed) select labels ls. No
// selector selects no cluster.
func (p *Policy) selectsCluster(ls map[string]string) bool {
	return anySelector(p.clusterSelectors, ls)
}

// bitset is a set of small non-negative integers (cluster indexes).
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)      { b[i/64] |= 1 << (uint(i) % 64) }
func (b bitset) clear(i int)    { b[i/64] &^= 1 << (uint(i) % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(uint(i)%64)) != 0 }

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// or sets every member of o in b.
func (b bitset) or(o bitset) {
	for i, w := range o {
		b[i] |= w
	}
}

// andNot removes every member of o from b.
func (b bitset) andNot(o bitset) {
	for i, w := range o {
		b[i] &^= w
	}
}

// each calls f for every member, ascending.
func (b bitset) each(f func(i int)) {
	for wi, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			f(wi*64 + t)
			w &^= 1 << uint(t)
		}
	}
}

func (b bitset) intersects(o bitset) bool {
	for i, w := range o {
		if b[i]&w != 0 {
			return true
		}
	}
	return false
}
