package placement

import "slices"

// This file answers a controller's question "which resources must I watch": a BindingPolicy
// can only select objects of resources some clause admits, a Binding only those it lists.

// MayMatchResource reports whether some spec.downsync clause of p can select objects of
// resource (lowercase plural) in API group ("" is core): its apiGroup is absent or equal, and
// its resources are absent, hold "*", or hold resource. Objects of never-delivered kinds are
// still reported (the caller leaves them out, see [NeverDelivered]).
func (p *Policy) MayMatchResource(group, resource string) bool {
	for i := range p.clauses {
		c := &p.clauses[i]
		if c.apiGroup != nil && *c.apiGroup != group {
			continue
		}
		if c.resources == nil || slices.Contains(c.resources, resource) {
			return true
		}
	}
	return false
}

// MayMatchResource reports whether b lists an object of resource in API group.
func (b *Binding) MayMatchResource(group, resource string) bool {
	for _, e := range b.entries {
		if e.key.Group == group && e.key.Resource == resource {
			return true
		}
	}
	return false
}
