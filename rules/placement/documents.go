package placement

import (
	"errors"
	"fmt"
	"slices"

	"github.com/wecforge/wecforge/transform"
)

// Policy is one compiled BindingPolicy. It is immutable and safe for concurrent use.
type Policy struct {
	name             string
	clusterSelectors []selector
	clauses          []clause
}

// Name returns the policy's metadata.name.
func (p *Policy) Name() string { return p.name }

// clause is one compiled spec.downsync entry. A nil set means "no constraint"; a set holding
// "*" is also no constraint (any).
type clause struct {
	apiGroup     *string
	resources    []string // sorted; nil = any
	namespaces   []string // sorted; nil = any
	objectNames  []string // sorted; nil = any
	nsSelectors  []selector
	objSelectors []selector
	mod          Modulation
}

// wildcardList returns nil (no constraint) when l is empty or holds "*", else l sorted without
// repeats.
func wildcardList(l []string) []string {
	if len(l) == 0 || slices.Contains(l, "*") {
		return nil
	}
	l = slices.Clone(l)
	slices.Sort(l)
	return slices.Compact(l)
}

var clauseFields = append([]string{"apiGroup", "resources", "namespaces", "namespaceSelectors", "objectNames", "objectSelectors"}, modulationFields...)

// ParseBindingPolicy compiles a control.kubestellar.io/v1alpha1 BindingPolicy given as an
// unstructured object. doc is read, never modified or kept.
//
// Decoding is strict: a misspelled field (objectSelector for objectSelectors) would otherwise
// widen a clause to every object. Every problem is returned, joined, one *[Error] each; the
// Policy is nil then. A document without apiVersion and kind is an error: a caller that knows
// what it holds sets them first.
func ParseBindingPolicy(doc map[string]any) (*Policy, error) {
	p := &parser{kind: BindingPolicyKind}
	spec, ok := p.header(doc)
	if !ok {
		return nil, errors.Join(p.errs...)
	}
	pol := &Policy{name: p.name}
	p.fields("spec", spec, "clusterSelectors", "downsync", "wantSingletonReportedState")
	pol.clusterSelectors = p.selectors(spec, "spec", "clusterSelectors")
	// Earlier KubeStellar releases carried wantSingletonReportedState on the spec; it applies
	// to every clause.
	legacySingleton := p.bool(spec, "spec", "wantSingletonReportedState")
	for i, raw := range p.list(spec, "spec", "downsync") {
		field := fmt.Sprintf("spec.downsync[%d]", i)
		m, ok := raw.(map[string]any)
		if !ok {
			p.addf(field, "must be a map (a downsync clause), not %s", transform.Describe(raw))
			continue
		}
		p.fields(field, m, clauseFields...)
		c := clause{
			resources:    wildcardList(p.strings(m, field, "resources")),
			namespaces:   wildcardList(p.strings(m, field, "namespaces")),
			objectNames:  wildcardList(p.strings(m, field, "objectNames")),
			nsSelectors:  p.selectors(m, field, "namespaceSelectors"),
			objSelectors: p.selectors(m, field, "objectSelectors"),
			mod:          p.modulation(m, field),
		}
		if g, ok := p.str(m, field, "apiGroup"); ok {
			c.apiGroup = &g
		}
		c.mod.WantSingletonReportedState = c.mod.WantSingletonReportedState || legacySingleton
		pol.clauses = append(pol.clauses, c)
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return pol, nil
}

// Binding is one compiled Binding: explicit object references and destinations. It is
// immutable and safe for concurrent use.
type Binding struct {
	name         string
	entries      []bindingEntry
	destinations []string // sorted, no repeats
}

// Name returns the Binding's metadata.name.
func (b *Binding) Name() string { return b.name }

// bindingEntry is one spec.workload reference; version and resourceVersion are ignored.
type bindingEntry struct {
	key Key
	mod Modulation
}

var entryFields = append([]string{"group", "version", "resource", "name", "resourceVersion"}, modulationFields...)

// ParseBinding compiles a control.kubestellar.io/v1alpha1 Binding given as an unstructured
// object: spec.workload.clusterScope[] and namespaceScope[] entries (group, version, resource,
// [namespace], name, resourceVersion and the modulation fields) and
// spec.destinations[].clusterId. Entries match objects by group, resource, namespace and
// name; version and resourceVersion are ignored. doc is read, never modified or kept. Errors
// as for [ParseBindingPolicy].
func ParseBinding(doc map[string]any) (*Binding, error) {
	p := &parser{kind: BindingKind}
	spec, ok := p.header(doc)
	if !ok {
		return nil, errors.Join(p.errs...)
	}
	b := &Binding{name: p.name}
	p.fields("spec", spec, "workload", "destinations")
	var workload map[string]any
	switch w := spec["workload"].(type) {
	case nil:
	case map[string]any:
		workload = w
		p.fields("spec.workload", w, "clusterScope", "namespaceScope")
	default:
		p.addf("spec.workload", "must be a map, not %s", transform.Describe(w))
	}
	for _, scope := range []string{"clusterScope", "namespaceScope"} {
		for i, raw := range p.list(workload, "spec.workload", scope) {
			field := fmt.Sprintf("spec.workload.%s[%d]", scope, i)
			m, ok := raw.(map[string]any)
			if !ok {
				p.addf(field, "must be a map (an object reference), not %s", transform.Describe(raw))
				continue
			}
			allowed := entryFields
			if scope == "namespaceScope" {
				allowed = append(slices.Clone(entryFields), "namespace")
			}
			p.fields(field, m, allowed...)
			var e bindingEntry
			e.key.Group, _ = p.str(m, field, "group")
			e.key.Resource, _ = p.str(m, field, "resource")
			e.key.Name, _ = p.str(m, field, "name")
			_, _ = p.str(m, field, "version")
			_, _ = p.str(m, field, "resourceVersion")
			if scope == "namespaceScope" {
				e.key.Namespace, _ = p.str(m, field, "namespace")
				if e.key.Namespace == "" {
					p.addf(field+".namespace", "must be set for a namespaced object")
				}
			}
			if e.key.Resource == "" {
				p.addf(field+".resource", "must be set (the lowercase plural resource, for example deployments)")
			}
			if e.key.Name == "" {
				p.addf(field+".name", "must be set")
			}
			e.mod = p.modulation(m, field)
			b.entries = append(b.entries, e)
		}
	}
	for i, raw := range p.list(spec, "spec", "destinations") {
		field := fmt.Sprintf("spec.destinations[%d]", i)
		m, ok := raw.(map[string]any)
		if !ok {
			p.addf(field, "must be a map with clusterId, not %s", transform.Describe(raw))
			continue
		}
		p.fields(field, m, "clusterId")
		if id, _ := p.str(m, field, "clusterId"); id != "" {
			b.destinations = append(b.destinations, id)
		} else {
			p.addf(field+".clusterId", "must be set")
		}
	}
	slices.Sort(b.destinations)
	b.destinations = slices.Compact(b.destinations)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return b, nil
}
