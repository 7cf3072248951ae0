package statusloop

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
)

// ErrInvalidPlacement means a placement handed to [Controller.SetPlacement] is unusable: no
// object, no name, or a kind the mapper does not know.
var ErrInvalidPlacement = errors.New("invalid status placement")

// PlacementError is an unusable placement of one object. It wraps [ErrInvalidPlacement] and
// the cause (the mapper's error, say).
type PlacementError struct {
	// Object is the WDS object's reference (as far as it is known).
	Object transform.ObjectRef
	Err    error
}

func (e *PlacementError) Error() string {
	return fmt.Sprintf("%s: %v: %v", e.Object, ErrInvalidPlacement, e.Err)
}

// Unwrap returns [ErrInvalidPlacement] and the cause.
func (e *PlacementError) Unwrap() []error { return []error{ErrInvalidPlacement, e.Err} }

// ObjectPlacement is what the transport tells the status loop about one WDS object: the
// object itself and, from its placement, what status it asks for and which policies deliver
// it where.
type ObjectPlacement struct {
	// Object is the WDS object as last read (identity, labels, UID and the content collector
	// expressions see as `obj`). It is read and kept: the caller must not modify it
	// afterwards (hand a new one to SetPlacement instead).
	Object *unstructured.Unstructured
	// Request is the object's status request combined across policies (S: WECs asking for
	// singleton reported state, M: for multi-WEC reported state).
	Request placement.StatusRequest
	// Policies are the BindingPolicies (or Bindings) delivering the object, each with its
	// destination WECs for the object and the StatusCollectors its matching clauses name.
	// Policies without collectors may be left out.
	Policies []combine.Policy
}

// PlacementSink is the transport's view of the status loop: the transport hands every
// object's placement over (before delivering it), forgets deleted objects, and asks, per
// delivered (object, WEC), whether and how to request the object's status from the WEC.
// *[Controller] implements it.
type PlacementSink interface {
	// SetPlacement records an object's current placement.
	SetPlacement(ObjectPlacement) error
	// DeletePlacement forgets an object (deleted from the WDS, or no longer placed).
	DeletePlacement(ref transform.ObjectRef)
	// StatusRequest returns the status request to deliver the object to wec with, or nil when
	// that WEC's status of the object is not wanted.
	StatusRequest(ref transform.ObjectRef, wec string) *delivery.StatusRequest
}

var _ PlacementSink = (*Controller)(nil)

// placed is the loop's record of one placed object.
type placed struct {
	ref      transform.ObjectRef // no version
	resource schema.GroupVersionResource
	key      placement.Key
	spec     combine.ObjectSpec
	// wecs are the WECs whose status of the object is wanted (S ∪ M ∪ the WECs of policies
	// naming collectors).
	wecs map[string]bool
}

// unversioned returns ref without its version: returned status is keyed so.
func unversioned(ref transform.ObjectRef) transform.ObjectRef {
	ref.Version = ""
	return ref
}

// newPlaced validates p and resolves its resource.
func newPlaced(p ObjectPlacement, mapper delivery.ResourceMapper) (*placed, error) {
	if p.Object == nil {
		return nil, &PlacementError{Err: errors.New("no object")}
	}
	ref := transform.RefOf(p.Object.Object)
	fail := func(err error) error { return &PlacementError{Object: ref, Err: err} }
	if ref.Name == "" || ref.Kind == "" || ref.Version == "" {
		return nil, fail(errors.New("apiVersion, kind and metadata.name are required"))
	}
	gr, err := mapper.ResourceFor(schema.GroupKind{Group: ref.Group, Kind: ref.Kind})
	if err != nil {
		return nil, fail(err)
	}
	pl := &placed{
		ref:      unversioned(ref),
		resource: gr.WithVersion(ref.Version),
		key:      placement.Key{Group: gr.Group, Resource: gr.Resource, Namespace: ref.Namespace, Name: ref.Name},
		wecs:     map[string]bool{},
	}
	req := p.Request
	req.S, req.M = slices.Clone(req.S), slices.Clone(req.M)
	pols := make([]combine.Policy, len(p.Policies))
	for i, pol := range p.Policies {
		pol.WECs, pol.Collectors = slices.Clone(pol.WECs), slices.Clone(pol.Collectors)
		pols[i] = pol
		if len(pol.Collectors) > 0 {
			for _, w := range pol.WECs {
				pl.wecs[w] = true
			}
		}
	}
	if req.Singleton {
		for _, w := range req.S {
			pl.wecs[w] = true
		}
	}
	if req.MultiWEC {
		for _, w := range req.M {
			pl.wecs[w] = true
		}
	}
	pl.spec = combine.ObjectSpec{
		Object: combine.Object{
			Key: pl.key, APIVersion: p.Object.GetAPIVersion(), Kind: p.Object.GetKind(), UID: string(p.Object.GetUID()),
		},
		Content:  p.Object.Object,
		Labels:   maps.Clone(p.Object.GetLabels()),
		Request:  req,
		Policies: pols,
	}
	return pl, nil
}

// sameAs reports whether pl and o would give the combiner the same input: equal requests,
// policies, labels and content apart from metadata.resourceVersion and managedFields (which
// change on every write, including the loop's own status writes).
func (pl *placed) sameAs(o *placed) bool {
	if o == nil || pl.resource != o.resource || pl.spec.Object != o.spec.Object ||
		!reflect.DeepEqual(pl.spec.Request, o.spec.Request) || !reflect.DeepEqual(pl.spec.Policies, o.spec.Policies) ||
		!maps.Equal(pl.spec.Labels, o.spec.Labels) {
		return false
	}
	return reflect.DeepEqual(comparable(pl.spec.Content), comparable(o.spec.Content))
}

// comparable returns content without the metadata fields every write changes (a shallow
// copy: content is not modified).
func comparable(content map[string]any) map[string]any {
	md, ok := content["metadata"].(map[string]any)
	if !ok {
		return content
	}
	out := maps.Clone(content)
	md = maps.Clone(md)
	delete(md, "resourceVersion")
	delete(md, "managedFields")
	out["metadata"] = md
	return out
}

// policyNames returns the names of the policies naming collectors.
func (pl *placed) policyNames() []string {
	var out []string
	for _, p := range pl.spec.Policies {
		if len(p.Collectors) > 0 {
			out = append(out, p.Name)
		}
	}
	return out
}
