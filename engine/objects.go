package engine

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/resources"
)

// Object is one workload object as a caller hands it in.
type Object struct {
	// Source names the object in errors (`file#3 (line 12)`, or where a controller listed
	// it); `objects[i]` when empty.
	Source string
	// Object is the object. Read, never modified.
	Object *unstructured.Unstructured
	// Type is the object's apiVersion and kind when Object has none (what typed listers give,
	// converted to unstructured). When Object has them, Type must be zero or agree.
	Type schema.GroupVersionKind
	// Resource is the object's group and resource when the caller knows it (KubeStellar does,
	// from its Binding or informer); zero lets the engine's mapper find it. When both are
	// known they must agree.
	Resource schema.GroupResource
}

// Resolved is an object ready for the pipeline and for placement.
type Resolved struct {
	// Source is the object's source (`objects[i]` when the caller gave none).
	Source string
	// Index is the object's index in the slice given to [Engine.Resolve].
	Index int
	// Object is the caller's object when it carries apiVersion and kind; otherwise a copy of
	// its top-level map with them added (nested values shared: read only).
	Object *unstructured.Unstructured
	// Ref names the object.
	Ref transform.ObjectRef
	// Resource is the object's group and resource; Resource.Resource is "" when neither the
	// caller nor the mapper knows the kind.
	Resource schema.GroupResource
	// ResourceErr says why Resource is unknown (wraps *resources.UnknownKindError); nil when
	// it is known.
	ResourceErr error
}

// Resolve checks and completes objects: each must say what it is (its own apiVersion and kind,
// or the caller's Type), appear once (same group, kind, namespace and name), and agree with the
// caller's Resource. It returns the usable objects, in input order, and one *[ObjectError] per
// object left out, joined and sorted by source. An object whose kind no mapping knows is still
// usable (rules and removals apply); its ResourceErr is set and [Engine.Place] reports it if
// placement needs its resource.
func (e *Engine) Resolve(objs []Object) ([]Resolved, error) {
	var errs []error
	out := make([]Resolved, 0, len(objs))
	seen := make(map[transform.ObjectRef]string, len(objs))
	for i, o := range objs {
		src := o.Source
		if src == "" {
			src = fmt.Sprintf("objects[%d]", i)
		}
		if o.Object == nil || o.Object.Object == nil {
			errs = append(errs, &ObjectError{Source: src, Err: errors.New("empty object")})
			continue
		}
		obj, gvk, err := withType(o.Object.Object, o.Type)
		if err != nil {
			ref := transform.RefOf(o.Object.Object)
			errs = append(errs, &ObjectError{Source: src, Ref: ref, Err: err})
			continue
		}
		r := Resolved{Source: src, Index: i, Object: o.Object, Ref: transform.RefOf(obj)}
		if o.Object.GetKind() == "" || o.Object.GetAPIVersion() == "" {
			r.Object = &unstructured.Unstructured{Object: obj} // the copy withType made
		}
		key := r.Ref
		key.Version = ""
		if prev, dup := seen[key]; dup {
			errs = append(errs, &ObjectError{Source: src, Ref: r.Ref, Err: fmt.Errorf("%w: also in %s; only the first is used", ErrDuplicate, prev)})
			continue
		}
		seen[key] = src
		mapped, mErr := e.mapper.ResourceFor(gvk.GroupKind())
		switch {
		case o.Resource.Resource != "" && mErr == nil && mapped != o.Resource:
			errs = append(errs, &ObjectError{Source: src, Ref: r.Ref, Err: fmt.Errorf("%w: the caller says resource %s, but kind %s maps to %s", ErrTypeMismatch, o.Resource, gvk.Kind, mapped)})
			continue
		case o.Resource.Resource != "" && o.Resource.Group != gvk.Group:
			errs = append(errs, &ObjectError{Source: src, Ref: r.Ref, Err: fmt.Errorf("%w: the caller says resource %s, in another API group than the object's %q", ErrTypeMismatch, o.Resource, gvk.Group)})
			continue
		case o.Resource.Resource != "":
			r.Resource = o.Resource
		case mErr == nil:
			r.Resource = mapped
		default:
			r.ResourceErr = mErr
		}
		out = append(out, r)
	}
	return out, joinSorted(errs)
}

// isUnknownKind reports whether err says the mapper does not know a kind.
func isUnknownKind(err error) bool { return errors.Is(err, resources.ErrUnknownKind) }
