package loop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/fleet"
	"github.com/wecforge/wecforge/transform/resources"
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

// This file places objects in the policies and bindings modes: which objects each target WEC
// receives, from the BindingPolicies or Bindings among the static documents and the source's
// objects. The renderer then renders only placed pairs.

// ResourceSource is implemented by sources that know each kind's resource (from discovery);
// placement needs it for kinds the built-in table does not know (CRD kinds).
type ResourceSource interface {
	Resource(gk schema.GroupKind) (schema.GroupResource, bool)
}

// KnownResources is implemented by sources that know which resources the API server serves;
// placement then warns about a policy naming a resource it does not serve (yet).
type KnownResources interface {
	Serves(group string, anyGroup bool, resource string) bool
}

// DocumentError is a placement document the transport cannot use; it is left out (it binds
// nothing) and everything else is placed.
type DocumentError struct {
	// Kind and Name name the document; Source is "config" or "source".
	Kind, Name, Source string
	// Err says why.
	Err error
}

// Error names the document and the cause.
func (e *DocumentError) Error() string {
	return fmt.Sprintf("%s %s (%s): %v", e.Kind, e.Name, e.Source, e.Err)
}

// Unwrap returns the cause.
func (e *DocumentError) Unwrap() error { return e.Err }

// ErrDefinedTwice marks a placement document, CustomTransform or CustomizationRule defined both
// in the configuration files and on the source API server: a configuration error; the file's
// document is used.
var ErrDefinedTwice = errors.New("defined both in a configuration file and on the source API server")

// PlacementErrors returns the placement documents left out at the last placement, and the
// objects that could not be placed (their resource unknown). The slice is the caller's.
func (c *Controller) PlacementErrors() []error {
	c.placeMu.Lock()
	defer c.placeMu.Unlock()
	return slices.Clone(c.placeErrs)
}

// placing reports whether the controller places by documents.
func (c *Controller) placing() bool {
	return c.cfg.Placement == PlacementPolicies || c.cfg.Placement == PlacementBindings
}

// place evaluates placement over objs (nil: the objects of the last placement) and the target
// WECs, installs it in the renderer and returns the renderer's stats. Removals it causes are
// recorded as observed causes for the shrink guard.
func (c *Controller) place(ctx context.Context, objs []*unstructured.Unstructured) (fleet.Stats, error) {
	c.placeMu.Lock()
	defer c.placeMu.Unlock()
	if objs == nil {
		objs = c.placeObjs
	}
	c.placeObjs = objs
	var errs []error
	in := placement.Input{}
	in.Policies, in.Bindings, errs = c.documents(objs)
	nsLabels := map[string]map[string]string{}
	var placedObjs []*unstructured.Unstructured // placedObjs[i] is the object of in.Objects[i]
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		if gvk.Group == "" && gvk.Kind == "Namespace" {
			nsLabels[o.GetName()] = o.GetLabels()
		}
		gr, ok := c.resourceOf(gvk.GroupKind())
		if !ok {
			errs = append(errs, fmt.Errorf("object %s: %w", transform.RefOf(o.Object), errUnknownResource))
			continue
		}
		in.Objects = append(in.Objects, placement.Object{
			Key:    placement.Key{Group: gr.Group, Resource: gr.Resource, Namespace: o.GetNamespace(), Name: o.GetName()},
			Labels: o.GetLabels(),
		})
		placedObjs = append(placedObjs, o)
	}
	in.NamespaceLabels = nsLabels
	for _, w := range c.inv.List() {
		if c.targeted(w) {
			in.Clusters = append(in.Clusters, placement.Cluster{Name: w.Name(), Labels: w.Labels()})
		}
	}
	if ks, ok := c.cfg.Source.(KnownResources); ok {
		in.KnownResource = ks.Serves
	}
	r, err := placement.Evaluate(in)
	if err != nil {
		return fleet.Stats{}, fmt.Errorf("placement: %w", err)
	}
	if err := c.writeStatus(ctx, objs, errs, r); err != nil {
		c.cfg.Log.Error(err, "placement document status")
	}
	statusChanged := c.handOffStatus(placedObjs, r)
	next := map[string]map[placement.Key]bool{}
	for _, cl := range in.Clusters {
		set := map[placement.Key]bool{}
		for _, p := range r.ForWEC(cl.Name) {
			set[p.Key] = true
		}
		next[cl.Name] = set
	}
	now := time.Now()
	c.mu.Lock()
	for wec, old := range c.placedSet {
		for k := range old {
			if !next[wec][k] {
				if c.unplaced[wec] == nil {
					c.unplaced[wec] = map[placement.Key]time.Time{}
				}
				c.unplaced[wec][k] = now
			}
		}
	}
	for wec, m := range c.unplaced {
		for k, at := range m {
			if next[wec][k] || now.Sub(at) > c.cfg.ShrinkConfirmAfter {
				delete(m, k)
			}
		}
	}
	c.placedSet = next
	c.mu.Unlock()
	c.placeErrs = errs
	for _, e := range errs {
		c.cfg.Log.Error(e, "placement")
	}
	fs := c.renderer.SetPlacement(ctx, func(wec string, ref transform.ObjectRef) bool {
		k, ok := c.keyOf(ref)
		return ok && next[wec][k]
	})
	// A changed status request changes the WEC's feedback rules: deliver it too.
	for _, w := range statusChanged {
		if !slices.Contains(fs.Changed, w) {
			fs.Changed = append(fs.Changed, w)
		}
	}
	return fs, nil
}

// errUnknownResource: an object whose kind has no known resource cannot be placed.
var errUnknownResource = errors.New("cannot be placed: its kind's resource is unknown (not served by the source, not built in)")

// documents compiles the placement documents of the mode: the static ones, then those among
// objs; a name in both is an error (the static one is used).
func (c *Controller) documents(objs []*unstructured.Unstructured) ([]*placement.Policy, []*placement.Binding, []error) {
	kind := placement.BindingPolicyKind
	if c.cfg.Placement == PlacementBindings {
		kind = placement.BindingKind
	}
	var ps []*placement.Policy
	var bs []*placement.Binding
	var errs []error
	seen := map[string]bool{}
	add := func(u *unstructured.Unstructured, source string) {
		if u.GetKind() != kind || u.GroupVersionKind().Group != placement.Group {
			return
		}
		if seen[u.GetName()] {
			errs = append(errs, &DocumentError{Kind: kind, Name: u.GetName(), Source: source, Err: ErrDefinedTwice})
			return
		}
		seen[u.GetName()] = true
		var err error
		if kind == placement.BindingPolicyKind {
			var p *placement.Policy
			if p, err = placement.ParseBindingPolicy(u.Object); err == nil {
				ps = append(ps, p)
			}
		} else {
			var b *placement.Binding
			if b, err = placement.ParseBinding(u.Object); err == nil {
				bs = append(bs, b)
			}
		}
		if err != nil {
			errs = append(errs, &DocumentError{Kind: kind, Name: u.GetName(), Source: source, Err: err})
		}
	}
	for _, u := range c.cfg.PlacementDocuments {
		add(u, "config")
	}
	for _, u := range objs {
		add(u, "source")
	}
	return ps, bs, errs
}

// resourceOf maps a kind to its resource: the source's discovery first, then the built-in
// table.
func (c *Controller) resourceOf(gk schema.GroupKind) (schema.GroupResource, bool) {
	if rs, ok := c.cfg.Source.(ResourceSource); ok {
		if gr, ok := rs.Resource(gk); ok {
			return gr, true
		}
	}
	gr, err := resources.Builtin().ResourceFor(gk)
	return gr, err == nil
}

// keyOf is the placement key of an object ref.
func (c *Controller) keyOf(ref transform.ObjectRef) (placement.Key, bool) {
	gr, ok := c.resourceOf(schema.GroupKind{Group: ref.Group, Kind: ref.Kind})
	return placement.Key{Group: gr.Group, Resource: gr.Resource, Namespace: ref.Namespace, Name: ref.Name}, ok
}

// unplacedLocked reports whether ref was seen unplaced from wec by a placement change: an
// observed cause to remove it. Callers hold c.mu.
func (c *Controller) unplacedLocked(wec string, ref transform.ObjectRef) bool {
	k, ok := c.keyOf(ref)
	if !ok {
		return false
	}
	_, ok = c.unplaced[wec][k]
	return ok
}
