package engine

import (
	"errors"
	"fmt"
	"slices"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules/placement"
)

// NoPlacementNotice is the notice a caller shows when the configuration holds no BindingPolicy
// or Binding and [Engine.Place] therefore sends every object to every WEC.
const NoPlacementNotice = "no BindingPolicy or Binding among the inputs: every object goes to every WEC"

// PlaceOption configures [Engine.Place].
type PlaceOption func(*placeOptions)

type placeOptions struct {
	namespaceLabels map[string]map[string]string
}

// NamespaceLabels gives the labels of Namespaces that are not among the placed objects (a
// controller that watches Namespaces separately), for namespaceSelectors. A Namespace object
// among the placed objects wins. The map is read during Place, not kept.
func NamespaceLabels(labels map[string]map[string]string) PlaceOption {
	return func(o *placeOptions) { o.namespaceLabels = labels }
}

// Placement is which objects each WEC receives. It is immutable and safe for concurrent use.
type Placement struct {
	objects []Resolved
	wecs    []string
	// result is nil when the configuration holds no BindingPolicy or Binding.
	result *placement.Result
}

// Place decides which of objs each WEC receives. With BindingPolicies or Bindings in the
// configuration, each WEC gets exactly what they bind there ([placement.Evaluate]; objects
// of a kind no mapping knows cannot be matched and are reported). Without any, every object
// goes to every WEC ([Placement.Everywhere]). objs and wecs are read, never modified.
//
// The error joins one *[ObjectError] per object left out of placement; the Placement holds the
// others. An error wrapping [placement.ErrInput] (two WECs of one name) leaves it nil.
func (e *Engine) Place(objs []Resolved, wecs []*customization.WEC, opts ...PlaceOption) (*Placement, error) {
	var o placeOptions
	for _, opt := range opts {
		opt(&o)
	}
	p := &Placement{objects: objs, wecs: make([]string, 0, len(wecs))}
	clusters := make([]placement.Cluster, 0, len(wecs))
	for _, w := range wecs {
		p.wecs = append(p.wecs, w.Name())
		clusters = append(clusters, placement.Cluster{Name: w.Name(), Labels: w.Labels()})
	}
	if !e.HasPlacement() {
		return p, nil
	}
	var errs []error
	in := placement.Input{Policies: e.policies, Bindings: e.bindings, Clusters: clusters,
		NamespaceLabels: o.namespaceLabels, KnownResource: e.knownResource(objs)}
	p.objects = make([]Resolved, 0, len(objs))
	for _, o := range objs {
		if o.Ref.Name == "" {
			errs = append(errs, &ObjectError{Source: o.Source, Ref: o.Ref, Err: errors.New("cannot be placed: BindingPolicies and Bindings match objects by name")})
			continue
		}
		if o.Resource.Resource == "" {
			err := o.ResourceErr
			if err == nil || !isUnknownKind(err) {
				err = fmt.Errorf("%w: the object's resource is needed to place it", ErrUnknownResource)
			} else {
				err = fmt.Errorf("%w: cannot place it: %w", ErrUnknownResource, err)
			}
			errs = append(errs, &ObjectError{Source: o.Source, Ref: o.Ref, Err: err})
			continue
		}
		p.objects = append(p.objects, o)
		in.Objects = append(in.Objects, placement.Object{
			Key:    placement.Key{Group: o.Resource.Group, Resource: o.Resource.Resource, Namespace: o.Ref.Namespace, Name: o.Ref.Name},
			Labels: o.Object.GetLabels(),
		})
	}
	r, err := placement.Evaluate(in)
	if err != nil {
		return nil, err
	}
	p.result = r
	return p, joinSorted(errs)
}

// knownResource answers placement's question "does some known kind have this resource" from
// the mapper and the objects themselves.
func (e *Engine) knownResource(objs []Resolved) func(group string, anyGroup bool, resource string) bool {
	byName := map[string]bool{}
	exact := map[[2]string]bool{}
	for _, m := range e.mapper.Mappings() {
		byName[m.Resource.Resource] = true
		exact[[2]string{m.Resource.Group, m.Resource.Resource}] = true
	}
	for _, o := range objs {
		byName[o.Resource.Resource] = true
		exact[[2]string{o.Resource.Group, o.Resource.Resource}] = true
	}
	return func(group string, anyGroup bool, resource string) bool {
		if anyGroup {
			return byName[resource]
		}
		return exact[[2]string{group, resource}]
	}
}

// Everywhere reports whether every object goes to every WEC (no BindingPolicy or Binding in the
// configuration).
func (p *Placement) Everywhere() bool { return p.result == nil }

// Result returns the placement result (per document WECs and objects, warnings, notices, status
// requests), or nil when [Placement.Everywhere]. Its object indexes refer to
// [Placement.Objects].
func (p *Placement) Result() *placement.Result { return p.result }

// Objects returns the placed objects; placement results refer to them by index. The slice is
// the caller's.
func (p *Placement) Objects() []Resolved { return slices.Clone(p.objects) }

// Delivery is one object a WEC receives.
type Delivery struct {
	// Object is the resolved object.
	Object Resolved
	// By lists the documents delivering it there, with their modulation; empty when
	// [Placement.Everywhere].
	By []placement.By
	// Modulation is the merged modulation of the delivery (createOnly, status requests).
	Modulation placement.Modulation
}

// ForWEC returns the objects WEC wec receives, sorted by group, kind, namespace and name. An
// unknown WEC receives nothing.
func (p *Placement) ForWEC(wec string) []Delivery {
	out := []Delivery{}
	if p.result == nil {
		if slices.Contains(p.wecs, wec) {
			for _, o := range p.objects {
				out = append(out, Delivery{Object: o, By: []placement.By{}, Modulation: placement.Modulation{StatusCollectors: []string{}}})
			}
		}
	} else {
		for _, pl := range p.result.ForWEC(wec) {
			out = append(out, Delivery{Object: p.objects[pl.Object], By: pl.By, Modulation: pl.Modulation})
		}
	}
	slices.SortStableFunc(out, func(a, b Delivery) int { return a.Object.Ref.Compare(b.Object.Ref) })
	return out
}
