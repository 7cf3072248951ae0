package transform

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ObjectRef identifies an object in messages and reports.
type ObjectRef struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// RefOf returns the reference of an unstructured tree.
func RefOf(obj map[string]any) ObjectRef {
	u := unstructured.Unstructured{Object: obj}
	gvk := u.GroupVersionKind()
	name := u.GetName()
	if name == "" {
		name = u.GetGenerateName()
	}
	return ObjectRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: name}
}

// String formats the reference as `Kind.group ns/name` (`Kind ns/name` for the core group,
// `Kind.group name` for cluster-scoped objects).
func (r ObjectRef) String() string {
	var b strings.Builder
	b.WriteString(r.Kind)
	if r.Group != "" {
		b.WriteByte('.')
		b.WriteString(r.Group)
	}
	b.WriteByte(' ')
	if r.Namespace != "" {
		b.WriteString(r.Namespace)
		b.WriteByte('/')
	}
	b.WriteString(r.Name)
	return b.String()
}

// Less orders references by group, kind, namespace, name (the preview tool's file order).
func (r ObjectRef) Less(o ObjectRef) bool { return r.Compare(o) < 0 }

// Compare orders references as [ObjectRef.Less] does, in the form slices.SortFunc takes:
// negative when r comes first, zero when equal, positive when o comes first.
func (r ObjectRef) Compare(o ObjectRef) int {
	if c := strings.Compare(r.Group, o.Group); c != 0 {
		return c
	}
	if c := strings.Compare(r.Kind, o.Kind); c != 0 {
		return c
	}
	if c := strings.Compare(r.Namespace, o.Namespace); c != 0 {
		return c
	}
	return strings.Compare(r.Name, o.Name)
}
