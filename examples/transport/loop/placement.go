package loop

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/rules/placement"
)

// PlacementMode is how the transport decides which objects each WEC receives. It is chosen
// by configuration, never switched by what exists: deleting the last BindingPolicy in policies
// mode delivers nothing, it never falls back to sending everything everywhere.
type PlacementMode string

// The placement modes.
const (
	// PlacementSelector sends every source object to every WEC matching [Config.Clusters]
	// (the zero mode).
	PlacementSelector PlacementMode = "selector"
	// PlacementPolicies resolves KubeStellar BindingPolicies in the transport: each WEC
	// receives what the policies bind to it; Config.Clusters, when set, further restricts the
	// WECs. KubeStellar's binding controller must not run beside it.
	PlacementPolicies PlacementMode = "policies"
	// PlacementBindings reads the Bindings KubeStellar's binding controller writes: each WEC
	// receives what the Bindings list for it.
	PlacementBindings PlacementMode = "bindings"
)

// ErrPlacementMode marks an unknown placement mode.
var ErrPlacementMode = errors.New("unknown placement mode")

// ParsePlacementMode parses "selector", "policies" or "bindings"; "" is selector.
func ParsePlacementMode(s string) (PlacementMode, error) {
	switch m := PlacementMode(s); m {
	case "":
		return PlacementSelector, nil
	case PlacementSelector, PlacementPolicies, PlacementBindings:
		return m, nil
	}
	return "", fmt.Errorf("%w %q: want selector, policies or bindings", ErrPlacementMode, s)
}

// SplitPlacement separates configuration documents into the pipeline's (everything else) and
// the placement documents (control.kubestellar.io BindingPolicies and Bindings), keeping
// their order. docs is not modified.
func SplitPlacement(docs []*unstructured.Unstructured) (rest, placementDocs []*unstructured.Unstructured) {
	for _, d := range docs {
		kind := d.GetKind()
		if d.GroupVersionKind().Group == placement.Group && (kind == placement.BindingPolicyKind || kind == placement.BindingKind) {
			placementDocs = append(placementDocs, d)
		} else {
			rest = append(rest, d)
		}
	}
	return rest, placementDocs
}
