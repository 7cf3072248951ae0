package combine

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"

	"github.com/wecforge/wecforge/rules/placement"
)

// CombinedStatusKind is the kind of the objects [Combiner] builds (apiVersion [APIVersion]).
const CombinedStatusKind = "CombinedStatus"

// ReportNamespace holds the CombinedStatus of cluster-scoped objects.
const ReportNamespace = "kubestellar-report"

// The labels of a CombinedStatus, naming its object and policy.
const (
	LabelAPIGroup      = "status.kubestellar.io/api-group"
	LabelResource      = "status.kubestellar.io/resource"
	LabelNamespace     = "status.kubestellar.io/namespace"
	LabelName          = "status.kubestellar.io/name"
	LabelBindingPolicy = "status.kubestellar.io/binding-policy"
)

// CombinedStatus is KubeStellar's CombinedStatus object (`control.kubestellar.io/v1alpha1`),
// field for field: one per (object, BindingPolicy) whose modulation names a collector, with
// one result per valid named collector, sorted by collector name. Its Results are shared with
// the [Combiner] that built it: read only.
type CombinedStatus struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   CombinedStatusMeta `json:"metadata"`
	Results    []*Result          `json:"results,omitempty"`
}

// CombinedStatusMeta is the part of ObjectMeta a CombinedStatus sets.
type CombinedStatusMeta struct {
	Name            string                  `json:"name"`
	Namespace       string                  `json:"namespace"`
	Labels          map[string]string       `json:"labels"`
	OwnerReferences []metav1.OwnerReference `json:"ownerReferences,omitempty"`
}

// Object identifies the WDS object a status belongs to.
type Object struct {
	// Key is the object's group, resource, namespace and name.
	Key placement.Key
	// APIVersion and Kind are the object's, for the owner reference.
	APIVersion, Kind string
	// UID is metadata.uid; "" (offline input) names the CombinedStatus after the object's
	// name instead and leaves out the owner reference.
	UID string
}

// Policy is one BindingPolicy (or Binding) that delivers an object, as far as status goes.
type Policy struct {
	// Name and UID are the policy's; an empty UID names the CombinedStatus after Name.
	Name, UID string
	// WECs are the policy's destination WECs for the object: one row per WEC.
	WECs []string
	// Collectors are the StatusCollectors its clauses that select the object name (merged).
	Collectors []string
}

// combinedStatusMeta returns the name, namespace, labels and owner of the CombinedStatus of
// object o and policy p.
func combinedStatusMeta(o Object, p Policy) CombinedStatusMeta {
	ns := o.Key.Namespace
	if ns == "" {
		ns = ReportNamespace
	}
	m := CombinedStatusMeta{
		Name:      or(o.UID, o.Key.Name) + "." + or(p.UID, p.Name),
		Namespace: ns,
		Labels: map[string]string{
			LabelAPIGroup:      o.Key.Group,
			LabelResource:      o.Key.Resource,
			LabelNamespace:     o.Key.Namespace,
			LabelName:          o.Key.Name,
			LabelBindingPolicy: p.Name,
		},
	}
	if o.UID != "" {
		m.OwnerReferences = []metav1.OwnerReference{{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Key.Name, UID: k8stypes.UID(o.UID)}}
	}
	return m
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
