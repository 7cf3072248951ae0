package resources

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ErrUnknownKind is wrapped by every [UnknownKindError].
var ErrUnknownKind = errors.New("unknown kind")

// ErrInvalidMapping is wrapped by every error [New] returns.
var ErrInvalidMapping = errors.New("invalid resource mapping")

// UnknownKindError reports a kind that no source of a [Mapper] knows.
type UnknownKindError struct {
	// Kind is the group and kind that were looked up.
	Kind schema.GroupKind
}

// Error names the kind and its group and says how to make it known.
func (e *UnknownKindError) Error() string {
	return fmt.Sprintf("unknown kind %q in API group %q: no built-in mapping, CustomResourceDefinition or explicit mapping names its resource",
		e.Kind.Kind, e.Kind.Group)
}

// Unwrap returns [ErrUnknownKind].
func (e *UnknownKindError) Unwrap() error { return ErrUnknownKind }

// Mapping is what a Mapper knows of one kind.
type Mapping struct {
	// Kind is the group and kind objects carry (`apps`, `Deployment`).
	Kind schema.GroupKind
	// Resource is the group and lowercase plural resource (`apps`, `deployments`).
	Resource schema.GroupResource
	// Namespaced tells whether objects of the kind live in namespaces.
	Namespaced bool
}

// Options configures [New]. Every field is optional; slices are read, never kept or modified.
type Options struct {
	// Objects may hold any objects; the apiextensions.k8s.io/v1 CustomResourceDefinitions
	// among them are added (a CustomResourceDefinition of another apiextensions version is an
	// error, not silently skipped).
	Objects []*unstructured.Unstructured
	// Extra are explicit mappings; they take precedence over CRDs and the built-in table.
	Extra []Mapping
	// NoBuiltins leaves the built-in table out.
	NoBuiltins bool
}

// Mapper maps kinds to resources. It is immutable and safe for concurrent use. A nil *Mapper
// behaves like [Builtin].
type Mapper struct {
	byKind     map[schema.GroupKind]Mapping
	byResource map[schema.GroupResource]Mapping
}

// New builds a Mapper. Every problem (a malformed CRD, two sources disagreeing about a kind or
// a resource) is reported, joined, in one error wrapping [ErrInvalidMapping]; the Mapper is nil
// then.
func New(opts Options) (*Mapper, error) {
	m := &Mapper{byKind: map[schema.GroupKind]Mapping{}, byResource: map[schema.GroupResource]Mapping{}}
	var errs []error
	// Highest precedence first: a later source may repeat a mapping exactly, or defer to it.
	for i, e := range opts.Extra {
		if err := m.add(e, fmt.Sprintf("extra mapping [%d]", i), false); err != nil {
			errs = append(errs, err)
		}
	}
	for _, o := range opts.Objects {
		if !IsCRD(o) {
			if o != nil && o.GetKind() == CRDKind && strings.HasPrefix(o.GetAPIVersion(), "apiextensions.k8s.io/") {
				errs = append(errs, fmt.Errorf("%w: CustomResourceDefinition %q is %s; only %s is supported",
					ErrInvalidMapping, o.GetName(), o.GetAPIVersion(), CRDAPIVersion))
			}
			continue
		}
		mp, err := FromCRD(o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := m.add(mp, "CustomResourceDefinition "+o.GetName(), false); err != nil {
			errs = append(errs, err)
		}
	}
	if !opts.NoBuiltins {
		for _, b := range builtinTable {
			// A CRD or an extra mapping may override a built-in kind on purpose.
			_ = m.add(b, "built-in table", true)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// add records mp; source names it in errors. With lower, an existing mapping for the same
// kind or resource silently wins.
func (m *Mapper) add(mp Mapping, source string, lower bool) error {
	if mp.Kind.Kind == "" || mp.Resource.Resource == "" {
		return fmt.Errorf("%w: %s: kind and resource must both be set", ErrInvalidMapping, source)
	}
	if mp.Kind.Group != mp.Resource.Group {
		return fmt.Errorf("%w: %s: kind %s and resource %s are in different API groups", ErrInvalidMapping, source, gkString(mp.Kind), mp.Resource)
	}
	if old, ok := m.byKind[mp.Kind]; ok {
		if lower || old == mp {
			return nil
		}
		return fmt.Errorf("%w: %s maps kind %s to resource %s, but it is already mapped to %s",
			ErrInvalidMapping, source, gkString(mp.Kind), mp.Resource, old.Resource)
	}
	if old, ok := m.byResource[mp.Resource]; ok {
		if lower {
			return nil
		}
		return fmt.Errorf("%w: %s maps resource %s to kind %s, but it already belongs to kind %s",
			ErrInvalidMapping, source, mp.Resource, gkString(mp.Kind), gkString(old.Kind))
	}
	m.byKind[mp.Kind] = mp
	m.byResource[mp.Resource] = mp
	return nil
}

func gkString(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Kind + "." + gk.Group
}

// builtin is built once; the table has one entry per kind and per resource (TestBuiltinTable
// proves it), so plain inserts suffice.
var builtin = sync.OnceValue(func() *Mapper {
	m := &Mapper{byKind: make(map[schema.GroupKind]Mapping, len(builtinTable)), byResource: make(map[schema.GroupResource]Mapping, len(builtinTable))}
	for _, mp := range builtinTable {
		m.byKind[mp.Kind] = mp
		m.byResource[mp.Resource] = mp
	}
	return m
})

// Builtin returns the Mapper of the built-in table alone. The result is shared (it is
// immutable).
func Builtin() *Mapper { return builtin() }

// ResourceFor returns the resource of kind gk, or an *[UnknownKindError].
func (m *Mapper) ResourceFor(gk schema.GroupKind) (schema.GroupResource, error) {
	mp, err := m.MappingFor(gk)
	return mp.Resource, err
}

// MappingFor returns everything known about kind gk, or an *[UnknownKindError].
func (m *Mapper) MappingFor(gk schema.GroupKind) (Mapping, error) {
	if m == nil {
		m = Builtin()
	}
	if mp, ok := m.byKind[gk]; ok {
		return mp, nil
	}
	return Mapping{}, &UnknownKindError{Kind: gk}
}

// KindFor returns the mapping of resource gr and whether one is known.
func (m *Mapper) KindFor(gr schema.GroupResource) (Mapping, bool) {
	if m == nil {
		m = Builtin()
	}
	mp, ok := m.byResource[gr]
	return mp, ok
}

// Mappings returns every mapping, sorted by group then kind. The slice is the caller's.
func (m *Mapper) Mappings() []Mapping {
	if m == nil {
		m = Builtin()
	}
	out := make([]Mapping, 0, len(m.byKind))
	for _, mp := range m.byKind {
		out = append(out, mp)
	}
	slices.SortFunc(out, func(a, b Mapping) int {
		if c := strings.Compare(a.Kind.Group, b.Kind.Group); c != 0 {
			return c
		}
		return strings.Compare(a.Kind.Kind, b.Kind.Kind)
	})
	return out
}
