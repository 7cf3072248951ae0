package validate

import (
	"errors"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/structured-merge-diff/v6/typed"

	"github.com/wecforge/wecforge/transform"
)

// StageName is the name of the stage [Validator.Stage] returns, and the By of the pair
// failures [Validator.Result] returns.
const StageName = "validate"

// builtin is the converter for the kinds client-go knows. It is built once per process, when
// the first object of a built-in kind is validated (parsing client-go's schemas takes a few
// hundred milliseconds), and immutable afterwards.
var builtin = sync.OnceValue(func() managedfields.TypeConverter {
	return applyconfigurations.NewTypeConverter(scheme.Scheme)
})

// Options configure [New].
type Options struct {
	// CRDs are apiextensions.k8s.io/v1 CustomResourceDefinitions: every served or stored
	// version with a spec.versions[].schema.openAPIV3Schema validates objects of that group,
	// version and kind. Other objects in the slice are ignored. Read, never modified or
	// kept.
	CRDs []*unstructured.Unstructured
	// NoBuiltin leaves out the schemas of the built-in kinds that client-go ships; only the
	// CRDs' kinds are then validated.
	NoBuiltin bool
}

// Validator checks objects against the structural schema of their apiVersion and kind: the
// built-in kinds through client-go's schemas, custom kinds through their CRDs' schemas. It
// checks types and declared fields (a string where a number belongs, a field the schema does
// not declare, a list where a map belongs); it does not check value constraints (formats,
// enums, ranges, patterns, CEL validation rules), which only an API server enforces.
//
// A Validator is immutable and safe for concurrent use.
type Validator struct {
	noBuiltin bool
	crds      map[schema.GroupVersionKind]managedfields.TypeConverter
	known     sync.Map // schema.GroupVersionKind → bool, for built-in kinds
}

// New builds a validator. Each CRD version whose schema cannot be used is reported as a
// *[SchemaError] (joined) and its kind treated as having no schema; the validator is never nil.
func New(opts Options) (*Validator, error) {
	v := &Validator{crds: map[schema.GroupVersionKind]managedfields.TypeConverter{}}
	v.noBuiltin = opts.NoBuiltin
	var errs []error
	for _, crd := range opts.CRDs {
		convs, err := fromCRD(crd)
		errs = append(errs, err...)
		for gvk, c := range convs {
			v.crds[gvk] = c
		}
	}
	return v, errors.Join(errs...)
}

// Known reports whether the validator has a schema for gvk.
func (v *Validator) Known(gvk schema.GroupVersionKind) bool {
	_, ok := v.converter(gvk)
	return ok
}

func (v *Validator) converter(gvk schema.GroupVersionKind) (managedfields.TypeConverter, bool) {
	if c, ok := v.crds[gvk]; ok {
		return c, true
	}
	if v.noBuiltin || gvk.Kind == "" || gvk.Version == "" {
		return nil, false
	}
	if k, ok := v.known.Load(gvk); ok {
		if !k.(bool) {
			return nil, false
		}
		return builtin(), true
	}
	ok := scheme.Scheme.Recognizes(gvk)
	if ok {
		_, err := scheme.Scheme.ToOpenAPIDefinitionName(gvk)
		ok = err == nil
	}
	v.known.Store(gvk, ok)
	if !ok {
		return nil, false
	}
	return builtin(), true
}

// Validate checks obj against its kind's schema. It returns nil when obj matches; a
// *[NoSchemaError] when no schema is known for its kind (or obj has no apiVersion and kind);
// or an *[Error] listing the violations, each attributed to the last change in trace that
// wrote its field or an ancestor of it (trace may be nil: every violation is then "from the
// input"). obj and trace are read, never modified or kept.
func (v *Validator) Validate(obj map[string]any, trace transform.Trace) error {
	u := &unstructured.Unstructured{Object: obj}
	gvk := u.GroupVersionKind()
	c, ok := v.converter(gvk)
	if !ok {
		return &NoSchemaError{GVK: gvk}
	}
	_, err := c.ObjectToTyped(u, typed.AllowDuplicates)
	if err == nil {
		return nil
	}
	var ves typed.ValidationErrors
	if !errors.As(err, &ves) || len(ves) == 0 {
		// The converter could not find a type (not a violation): never a false error.
		return &NoSchemaError{GVK: gvk}
	}
	out := &Error{Object: transform.RefOf(obj), GVK: gvk, Violations: make([]Violation, 0, len(ves))}
	for _, ve := range ves {
		vi := Violation{Path: ve.Path, Message: ve.ErrorMessage}
		if loc, ok := locate(obj, ve.Path); ok {
			vi.Path = loc.String()
			vi.Expected, vi.Message = describe(ve.ErrorMessage, valueAt(obj, loc))
		}
		vi.By = writer(trace, vi.Path)
		out.Violations = append(out.Violations, vi)
	}
	return out
}

// Result validates a rendered pair. It returns nil when res failed already (res.Err is the
// pair's error), when res.Object matches its schema, or when its kind has no schema (use
// [Validator.Known] to say so once per kind). Otherwise it returns a *transform.RenderError
// for the pair (By [StageName], Path the first violation's) wrapping the *[Error]: the pair
// failed and its object must be left out. res is read, never modified.
func (v *Validator) Result(res *transform.Result) error {
	if res == nil || res.Err != nil || res.Object == nil {
		return nil
	}
	err := v.Validate(res.Object.Object, res.Changes())
	var ve *Error
	if !errors.As(err, &ve) {
		return nil
	}
	return &transform.RenderError{WEC: res.WEC, Object: res.Ref, By: StageName, Path: ve.Violations[0].Path, Err: ve}
}

// Stage returns a per-WEC pipeline stage that validates each pair's object as the earlier
// per-WEC stages left it, attributing violations to their changes; put it last. A kind
// without a schema passes. The stage changes nothing.
func (v *Validator) Stage() transform.Stage {
	return transform.Named(StageName, transform.Func(func(env *transform.Env, obj *transform.Object) error {
		err := v.Validate(obj.Root(), obj.Trace())
		var ve *Error
		if !errors.As(err, &ve) {
			return nil
		}
		return &transform.RenderError{Object: env.Object, By: StageName, Path: ve.Violations[0].Path, Err: ve}
	}))
}
