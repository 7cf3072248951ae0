package customtransform

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
	"github.com/wecforge/wecforge/transform/resources"
)

// The apiVersion and kind of a CustomTransform.
const (
	APIVersion = "control.kubestellar.io/v1alpha1"
	Kind       = "CustomTransform"
)

// ErrInvalid is wrapped by every [Error].
var ErrInvalid = errors.New("invalid CustomTransform")

// Error is one problem found in one CustomTransform.
type Error struct {
	// Name is the CustomTransform's name (or `customtransforms[i]` when it has none).
	Name string
	// Field is the field at fault (`spec.remove[2]`); empty for the object as a whole.
	Field string
	// Err is the cause; a *jsonpath.ParseError for an invalid query.
	Err error
}

// Error formats `customtransform NAME: FIELD: cause`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("customtransform ")
	b.WriteString(e.Name)
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns [ErrInvalid] and the cause.
func (e *Error) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// IsCustomTransform reports whether u is a control.kubestellar.io/v1alpha1 CustomTransform.
func IsCustomTransform(u *unstructured.Unstructured) bool {
	return u != nil && u.GetAPIVersion() == APIVersion && u.GetKind() == Kind
}

// compiled is one CustomTransform after compilation.
type compiled struct {
	name     string
	resource schema.GroupResource
	entries  []entry
}

// entry is one valid spec.remove query.
type entry struct {
	by   string // trace author: `customtransform NAME: spec.remove[i]`
	path *jsonpath.Path
}

// compile reads one CustomTransform. It returns nil when the object is unusable as a whole;
// entry problems are returned alongside a usable result.
func compile(u *unstructured.Unstructured, label string) (*compiled, []error) {
	bad := func(field string, format string, args ...any) []error {
		return []error{&Error{Name: label, Field: field, Err: fmt.Errorf(format, args...)}}
	}
	if u == nil {
		return nil, bad("", "is nil")
	}
	if !IsCustomTransform(u) {
		return nil, bad("", "is %s, not a %s %s", describeType(u.Object), APIVersion, Kind)
	}
	spec, ok := u.Object["spec"].(map[string]any)
	if !ok {
		return nil, bad("spec", "must be set to a map")
	}
	group, ok := spec["apiGroup"].(string)
	if !ok && spec["apiGroup"] != nil {
		return nil, bad("spec.apiGroup", "must be a string, not %s", transform.Describe(spec["apiGroup"]))
	}
	resource, ok := spec["resource"].(string)
	switch {
	case !ok && spec["resource"] != nil:
		return nil, bad("spec.resource", "must be a string, not %s", transform.Describe(spec["resource"]))
	case resource == "":
		return nil, bad("spec.resource", "must be set (the lowercase plural resource, for example deployments)")
	case resource != strings.ToLower(resource):
		return nil, bad("spec.resource", "%q must be a lowercase plural resource name (for example deployments), not a kind", resource)
	case strings.ContainsAny(resource, "./ "):
		return nil, bad("spec.resource", "%q must be a plain resource name; put the group in spec.apiGroup", resource)
	}
	c := &compiled{name: u.GetName(), resource: schema.GroupResource{Group: group, Resource: resource}}
	raw, ok := spec["remove"].([]any)
	if !ok && spec["remove"] != nil {
		return nil, bad("spec.remove", "must be a list of JSONPath queries, not %s", transform.Describe(spec["remove"]))
	}
	var errs []error
	for i, item := range raw {
		field := fmt.Sprintf("spec.remove[%d]", i)
		text, ok := item.(string)
		if !ok {
			errs = append(errs, &Error{Name: label, Field: field, Err: fmt.Errorf("must be a string (a JSONPath query), not %s", transform.Describe(item))})
			continue
		}
		p, err := jsonpath.Parse(text)
		if err != nil {
			errs = append(errs, &Error{Name: label, Field: field, Err: err})
			continue
		}
		c.entries = append(c.entries, entry{by: "customtransform " + label + ": " + field, path: p})
	}
	return c, errs
}

// describeType names what a document claims to be, in words even when its apiVersion or kind
// is missing or not a string: `a v1 ConfigMap`, `a document without apiVersion and kind`.
func describeType(obj map[string]any) string {
	av, avOK := obj["apiVersion"].(string)
	k, kOK := obj["kind"].(string)
	switch {
	case avOK && kOK && av != "" && k != "":
		return "a " + av + " " + k
	case obj["apiVersion"] == nil && obj["kind"] == nil:
		return "a document without apiVersion and kind (a caller that knows the type must set them)"
	}
	part := func(field string, v any, s string, ok bool) string {
		switch {
		case ok && s != "":
			return fmt.Sprintf("%s %q", field, s)
		case ok || v == nil:
			return "no " + field
		default:
			return field + " of type " + transform.Describe(v)
		}
	}
	return "a document with " + part("apiVersion", obj["apiVersion"], av, avOK) + " and " + part("kind", obj["kind"], k, kOK)
}

// compileAll compiles cts in name order, rejecting repeated names.
func compileAll(cts []*unstructured.Unstructured) ([]*compiled, []error) {
	type input struct {
		u     *unstructured.Unstructured
		label string
	}
	ins := make([]input, 0, len(cts))
	for i, u := range cts {
		label := fmt.Sprintf("customtransforms[%d]", i)
		if u != nil && u.GetName() != "" {
			label = u.GetName()
		}
		ins = append(ins, input{u: u, label: label})
	}
	slices.SortStableFunc(ins, func(a, b input) int { return strings.Compare(a.label, b.label) })
	var (
		out  []*compiled
		errs []error
		seen = map[string]bool{}
	)
	for _, in := range ins {
		if in.u != nil && in.u.GetName() == "" {
			errs = append(errs, &Error{Name: in.label, Field: "metadata.name", Err: errors.New("must be set")})
			continue
		}
		if seen[in.label] {
			errs = append(errs, &Error{Name: in.label, Err: errors.New("appears more than once; CustomTransform names are unique")})
			continue
		}
		seen[in.label] = true
		c, cerrs := compile(in.u, in.label)
		errs = append(errs, cerrs...)
		if c != nil {
			out = append(out, c)
		}
	}
	return out, errs
}

// describeResource formats a group and resource as `deployments.apps` (`services` for core).
func describeResource(gr schema.GroupResource) string {
	if gr.Group == "" {
		return gr.Resource + " (core group)"
	}
	return gr.Resource + "." + gr.Group
}

// hint suggests what an unknown resource may have meant: the core group spelled "core", or a
// singular resource name.
func hint(gr schema.GroupResource, mapper *resources.Mapper) string {
	if gr.Group == "core" || gr.Group == "v1" {
		if mp, ok := mapper.KindFor(schema.GroupResource{Resource: gr.Resource}); ok {
			return fmt.Sprintf(" (did you mean the core group, spelled \"\", where %s has it?)", mp.Kind.Kind)
		}
	}
	for _, plural := range []string{gr.Resource + "s", gr.Resource + "es", strings.TrimSuffix(gr.Resource, "y") + "ies"} {
		if mp, ok := mapper.KindFor(schema.GroupResource{Group: gr.Group, Resource: plural}); ok {
			return fmt.Sprintf(" (did you mean %s, the resource of kind %s?)", plural, mp.Kind.Kind)
		}
	}
	return ""
}

// warnings reports several CustomTransforms per resource, unknown resources and empty lists.
// cs is in name order; so is every list of names in the messages.
func warnings(cs []*compiled, byResource map[schema.GroupResource][]*compiled, mapper *resources.Mapper) []string {
	var out []string
	for _, c := range cs {
		if _, ok := mapper.KindFor(c.resource); !ok {
			out = append(out, fmt.Sprintf("customtransform %s: no known kind has resource %s%s; add its CustomResourceDefinition or an explicit mapping, or objects of that kind fail",
				c.name, describeResource(c.resource), hint(c.resource, mapper)))
		}
		if len(c.entries) == 0 {
			out = append(out, fmt.Sprintf("customtransform %s: removes nothing (spec.remove has no valid query)", c.name))
		}
		if peers := byResource[c.resource]; len(peers) > 1 {
			var others []string
			for _, p := range peers {
				if p != c {
					others = append(others, p.name)
				}
			}
			out = append(out, fmt.Sprintf("customtransform %s: resource %s is also transformed by customtransform %s; all apply, in name order",
				c.name, describeResource(c.resource), strings.Join(others, ", ")))
		}
	}
	return out
}
