package resources

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// CRD apiVersion and kind recognised by [IsCRD].
const (
	CRDAPIVersion = "apiextensions.k8s.io/v1"
	CRDKind       = "CustomResourceDefinition"
)

// IsCRD reports whether u is an apiextensions.k8s.io/v1 CustomResourceDefinition. nil is not.
func IsCRD(u *unstructured.Unstructured) bool {
	return u != nil && u.GetAPIVersion() == CRDAPIVersion && u.GetKind() == CRDKind
}

// FromCRD reads the mapping a CustomResourceDefinition defines: spec.group, spec.names.kind,
// spec.names.plural and spec.scope. A missing or malformed field is an error wrapping
// [ErrInvalidMapping] that names the CRD and the field. u is not modified.
func FromCRD(u *unstructured.Unstructured) (Mapping, error) {
	if !IsCRD(u) {
		return Mapping{}, fmt.Errorf("%w: not a %s %s", ErrInvalidMapping, CRDAPIVersion, CRDKind)
	}
	name := u.GetName()
	field := func(path ...string) (string, error) {
		s, found, err := unstructured.NestedString(u.Object, path...)
		switch {
		case err != nil:
			return "", fmt.Errorf("%w: CustomResourceDefinition %q: %s: %v", ErrInvalidMapping, name, strings.Join(path, "."), err)
		case !found || s == "":
			return "", fmt.Errorf("%w: CustomResourceDefinition %q: %s must be set", ErrInvalidMapping, name, strings.Join(path, "."))
		}
		return s, nil
	}
	group, err := field("spec", "group")
	if err != nil {
		return Mapping{}, err
	}
	kind, err := field("spec", "names", "kind")
	if err != nil {
		return Mapping{}, err
	}
	plural, err := field("spec", "names", "plural")
	if err != nil {
		return Mapping{}, err
	}
	if plural != strings.ToLower(plural) {
		return Mapping{}, fmt.Errorf("%w: CustomResourceDefinition %q: spec.names.plural %q must be lowercase", ErrInvalidMapping, name, plural)
	}
	scope, err := field("spec", "scope")
	if err != nil {
		return Mapping{}, err
	}
	if scope != "Namespaced" && scope != "Cluster" {
		return Mapping{}, fmt.Errorf("%w: CustomResourceDefinition %q: spec.scope %q must be Namespaced or Cluster", ErrInvalidMapping, name, scope)
	}
	return Mapping{
		Kind:       schema.GroupKind{Group: group, Kind: kind},
		Resource:   schema.GroupResource{Group: group, Resource: plural},
		Namespaced: scope == "Namespaced",
	}, nil
}
