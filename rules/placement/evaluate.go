package placement

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// ErrInput is wrapped by the error [Evaluate] returns for unusable inputs.
var ErrInput = errors.New("invalid placement input")

// Input is what [Evaluate] places. Every slice and map is read, never modified; Evaluate keeps
// copies of what the result needs, so the caller may reuse them afterwards.
type Input struct {
	// Policies are compiled BindingPolicies; names must be unique.
	Policies []*Policy
	// Bindings are compiled Bindings; names must be unique. A Binding named like one of the
	// Policies is KubeStellar's resolved form of that policy and is ignored in its favour,
	// with a notice.
	Bindings []*Binding
	// Clusters are the WECs; names must be unique.
	Clusters []Cluster
	// Objects are the workload objects, in the caller's order (results refer to them by
	// index). A repeated key is placed once, for its first occurrence, with a warning.
	Objects []Object
	// NamespaceLabels gives the labels of Namespaces that are not among Objects (a Namespace
	// object among Objects wins). A namespaced object whose Namespace is known neither way
	// has a Namespace without labels.
	NamespaceLabels map[string]map[string]string
	// KnownResource, when set, tells whether some known kind has the resource (group "" is
	// core; anyGroup asks about any group). It lets Evaluate warn about a clause's resources
	// entry no kind has. Nil: no such warnings.
	KnownResource func(group string, anyGroup bool, resource string) bool
}

// doc is one placement document after evaluation: the WECs it delivers to and the objects it
// selects, kept factorized.
type doc struct {
	by       By // Kind and Name; Clauses and Modulation unset
	policy   *Policy
	binding  *Binding
	clusters bitset
	hits     []hit // ascending object index
}

// hit is one object a document selects.
type hit struct {
	obj     int
	clauses []int
	mod     Modulation
}

// Result is the outcome of [Evaluate]: per document the WECs and objects it binds, and on
// demand per WEC the delivery decisions and per object the status requests. It is immutable and
// safe for concurrent use; slices it returns are the caller's.
type Result struct {
	clusters   []Cluster // labels cloned
	clusterIdx map[string]int
	objects    []Object // labels cloned
	keyIdx     map[Key]int
	first      []bool    // objects[i] is the first occurrence of its key (the one placed)
	docs       []*doc    // policies in name order, then bindings in name order
	byObject   [][]int   // object index → indexes into docs of the documents selecting it
	inputErrs  []Warning // duplicates, shadowed Bindings, unknown destinations
	known      func(group string, anyGroup bool, resource string) bool
	nsLabels   map[string]map[string]string

	diag     sync.Once
	warnings []Warning
	notices  []Warning
}

// Evaluate places the objects on the clusters. It returns an error wrapping [ErrInput] only
// when the input cannot be placed at all (repeated policy, binding or cluster names, an object
// without resource or name, a nil document); problems within a placement are warnings on the
// Result.
func Evaluate(in Input) (*Result, error) {
	var errs []error
	r := &Result{
		clusters:   make([]Cluster, len(in.Clusters)),
		clusterIdx: make(map[string]int, len(in.Clusters)),
		objects:    make([]Object, len(in.Objects)),
		keyIdx:     make(map[Key]int, len(in.Objects)),
		first:      make([]bool, len(in.Objects)),
		known:      in.KnownResource,
		nsLabels:   cloneNested(in.NamespaceLabels),
	}
	for i, c := range in.Clusters {
		if c.Name == "" {
			errs = append(errs, fmt.Errorf("%w: cluster %d has no name", ErrInput, i))
			continue
		}
		if _, dup := r.clusterIdx[c.Name]; dup {
			errs = append(errs, fmt.Errorf("%w: cluster %q appears more than once", ErrInput, c.Name))
			continue
		}
		r.clusterIdx[c.Name] = i
		r.clusters[i] = Cluster{Name: c.Name, Labels: maps.Clone(c.Labels)}
	}
	for i, o := range in.Objects {
		if o.Key.Resource == "" || o.Key.Name == "" {
			errs = append(errs, fmt.Errorf("%w: object %d (%s) needs both a resource and a name", ErrInput, i, o.Key))
			continue
		}
		r.objects[i] = Object{Key: o.Key, Labels: maps.Clone(o.Labels)}
		if first, dup := r.keyIdx[o.Key]; dup {
			r.inputErrs = append(r.inputErrs, Warning{Code: DuplicateObject, Object: o.Key.String(),
				Message: fmt.Sprintf("object %s appears more than once (inputs %d and %d); only the first is placed", o.Key, first, i)})
			continue
		}
		r.keyIdx[o.Key] = i
		r.first[i] = true
	}
	policyNames := map[string]bool{}
	for i, p := range in.Policies {
		switch {
		case p == nil:
			errs = append(errs, fmt.Errorf("%w: policy %d is nil", ErrInput, i))
		case policyNames[p.name]:
			errs = append(errs, fmt.Errorf("%w: bindingpolicy %q appears more than once", ErrInput, p.name))
		default:
			policyNames[p.name] = true
			r.docs = append(r.docs, &doc{by: By{Kind: BindingPolicyKind, Name: p.name}, policy: p})
		}
	}
	bindingNames := map[string]bool{}
	for i, b := range in.Bindings {
		switch {
		case b == nil:
			errs = append(errs, fmt.Errorf("%w: binding %d is nil", ErrInput, i))
		case bindingNames[b.name]:
			errs = append(errs, fmt.Errorf("%w: binding %q appears more than once", ErrInput, b.name))
		case policyNames[b.name]:
			bindingNames[b.name] = true
			r.inputErrs = append(r.inputErrs, Warning{Code: BindingShadowed, Document: "binding/" + b.name,
				Message: fmt.Sprintf("binding %s is ignored: bindingpolicy %s is among the inputs, and the Binding is its resolved form", b.name, b.name)})
		default:
			bindingNames[b.name] = true
			r.docs = append(r.docs, &doc{by: By{Kind: BindingKind, Name: b.name}, binding: b})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortStableFunc(r.docs, func(a, b *doc) int {
		if a.by.Kind != b.by.Kind {
			return strings.Compare(b.by.Kind, a.by.Kind) // BindingPolicy before Binding
		}
		return strings.Compare(a.by.Name, b.by.Name)
	})

	cx := newClusterIndex(r.clusters)
	ox := newObjectIndex(r)
	r.byObject = make([][]int, len(r.objects))
	for di, d := range r.docs {
		if d.policy != nil {
			d.clusters = cx.selectClusters(d.policy)
			d.hits = ox.selectObjects(d.policy)
		} else {
			d.clusters, d.hits = r.resolveBinding(d.binding)
		}
		for _, h := range d.hits {
			r.byObject[h.obj] = append(r.byObject[h.obj], di)
		}
	}
	return r, nil
}

// resolveBinding returns the WECs and objects of a Binding. Destinations that are not known
// WECs and references to objects not among the inputs are left out (reported as warnings).
func (r *Result) resolveBinding(b *Binding) (bitset, []hit) {
	clusters := newBitset(len(r.clusters))
	for _, d := range b.destinations {
		if i, ok := r.clusterIdx[d]; ok {
			clusters.set(i)
		}
	}
	byObj := map[int]*hit{}
	for ei, e := range b.entries {
		oi, ok := r.keyIdx[e.key]
		if !ok {
			continue
		}
		if _, never := NeverDelivered(e.key.Group, e.key.Resource); never {
			continue
		}
		h := byObj[oi]
		if h == nil {
			h = &hit{obj: oi}
			byObj[oi] = h
		}
		h.clauses = append(h.clauses, ei)
		h.mod = h.mod.merge(e.mod)
	}
	hits := make([]hit, 0, len(byObj))
	for _, h := range byObj {
		hits = append(hits, *h)
	}
	slices.SortFunc(hits, func(a, b hit) int { return a.obj - b.obj })
	return clusters, hits
}

// namespaceLabels returns the labels of Namespace ns: from a Namespace object among the inputs,
// else from Input.NamespaceLabels.
func (r *Result) namespaceLabels(ns string) map[string]string {
	if i, ok := r.keyIdx[Key{Resource: "namespaces", Name: ns}]; ok {
		return r.objects[i].Labels
	}
	return r.nsLabels[ns]
}

func cloneNested(m map[string]map[string]string) map[string]map[string]string {
	out := make(map[string]map[string]string, len(m))
	for k, v := range m {
		out[k] = maps.Clone(v)
	}
	return out
}
