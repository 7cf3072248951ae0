package placement

import (
	"slices"
	"strings"
)

// The API group and kinds of KubeStellar's placement documents.
const (
	Group             = "control.kubestellar.io"
	APIVersion        = "control.kubestellar.io/v1alpha1"
	BindingPolicyKind = "BindingPolicy"
	BindingKind       = "Binding"
)

// Cluster is one WEC as placement sees it: its name and its inventory labels. Placement reads
// nothing else of a WEC (neither join nor availability state), as KubeStellar does.
type Cluster struct {
	// Name is the WEC's name (its ManagedCluster's name). Required and unique.
	Name string
	// Labels are the ManagedCluster's labels. Read, never modified or kept after Evaluate.
	Labels map[string]string
}

// Key identifies a workload object the way a Binding does: API group, lowercase plural
// resource, namespace ("" for cluster-scoped objects) and name. Versions play no part.
type Key struct {
	Group     string `json:"group,omitempty"`
	Resource  string `json:"resource"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String formats the key as `resource.group ns/name` (`resource` alone for the core group, no
// `ns/` for cluster-scoped objects).
func (k Key) String() string {
	var b strings.Builder
	b.WriteString(k.Resource)
	if k.Group != "" {
		b.WriteByte('.')
		b.WriteString(k.Group)
	}
	b.WriteByte(' ')
	if k.Namespace != "" {
		b.WriteString(k.Namespace)
		b.WriteByte('/')
	}
	b.WriteString(k.Name)
	return b.String()
}

// Compare orders keys by group, resource, namespace, then name.
func (k Key) Compare(o Key) int {
	if c := strings.Compare(k.Group, o.Group); c != 0 {
		return c
	}
	if c := strings.Compare(k.Resource, o.Resource); c != 0 {
		return c
	}
	if c := strings.Compare(k.Namespace, o.Namespace); c != 0 {
		return c
	}
	return strings.Compare(k.Name, o.Name)
}

// Object is one workload object as placement sees it. The caller resolves the resource (from
// the object's kind through a mapper, or from where it listed the object); placement never
// guesses it.
type Object struct {
	// Key identifies the object. Key.Resource is required.
	Key Key
	// Labels are the object's labels. Read, never modified or kept after Evaluate.
	Labels map[string]string
}

// Modulation is how a selected object is delivered and what status comes back, as
// KubeStellar's downsync clauses and Binding entries carry it.
type Modulation struct {
	// CreateOnly: the WEC's copy is created once and never updated.
	CreateOnly bool `json:"createOnly"`
	// WantSingletonReportedState asks for the status of the one WEC to be copied back.
	WantSingletonReportedState bool `json:"wantSingletonReportedState"`
	// WantMultiWECReportedState asks for the statuses of several WECs to be aggregated.
	WantMultiWECReportedState bool `json:"wantMultiWECReportedState"`
	// StatusCollectors are StatusCollector names, sorted and without repeats.
	StatusCollectors []string `json:"statusCollectors"`
}

// merge returns m with o merged in: flags ORed, collectors unioned (sorted, no repeats). The
// result never shares StatusCollectors with o; it may share them with m when o adds none.
func (m Modulation) merge(o Modulation) Modulation {
	m.CreateOnly = m.CreateOnly || o.CreateOnly
	m.WantSingletonReportedState = m.WantSingletonReportedState || o.WantSingletonReportedState
	m.WantMultiWECReportedState = m.WantMultiWECReportedState || o.WantMultiWECReportedState
	if len(o.StatusCollectors) > 0 {
		all := append(slices.Clone(m.StatusCollectors), o.StatusCollectors...)
		slices.Sort(all)
		m.StatusCollectors = slices.Compact(all)
	}
	return m
}

// Equal reports whether m and o ask for the same thing.
func (m Modulation) Equal(o Modulation) bool {
	return m.CreateOnly == o.CreateOnly &&
		m.WantSingletonReportedState == o.WantSingletonReportedState &&
		m.WantMultiWECReportedState == o.WantMultiWECReportedState &&
		slices.Equal(m.StatusCollectors, o.StatusCollectors)
}

// By is one placement document that delivers an object to a WEC, with what it asks for it.
type By struct {
	// Kind is [BindingPolicyKind] or [BindingKind].
	Kind string `json:"kind"`
	// Name is the document's name.
	Name string `json:"name"`
	// Clauses are the indexes into spec.downsync of the BindingPolicy's clauses that select
	// the object, ascending; for a Binding, the indexes of its matching workload entries in
	// the order clusterScope then namespaceScope (namespaceScope entries count after all
	// clusterScope entries).
	Clauses []int `json:"clauses"`
	// Modulation is the merge of those clauses' (or entries') modulations.
	Modulation Modulation `json:"modulation"`
}

// String formats `bindingpolicy/NAME` or `binding/NAME`.
func (b By) String() string { return strings.ToLower(b.Kind) + "/" + b.Name }

// Placement is the delivery decision for one object on one WEC: the object goes there at
// most once, whatever number of documents select it.
type Placement struct {
	// Object is the index of the object in [Input.Objects].
	Object int
	// Key is the object's key.
	Key Key
	// By lists every document that delivers the object to this WEC, BindingPolicies first,
	// then Bindings, each in name order.
	By []By
	// Modulation is the delivery's merged modulation: CreateOnly when any of By says so
	// (create-only never overwrites what the WEC has), the status requests ORed and unioned.
	Modulation Modulation
}
