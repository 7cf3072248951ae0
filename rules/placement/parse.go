package placement

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/wecforge/wecforge/transform"
)

// ErrInvalid is wrapped by every [Error].
var ErrInvalid = errors.New("invalid placement document")

// Error is one problem in one BindingPolicy or Binding. The document is left out of placement
// as a whole: a policy applied in part could deliver objects where its author never meant.
type Error struct {
	// Kind is [BindingPolicyKind] or [BindingKind].
	Kind string
	// Name is the document's metadata.name ("" when it has none).
	Name string
	// Field is the field at fault (`spec.downsync[1].objectSelectors[0]`); "" for the
	// document as a whole.
	Field string
	// Err is the cause.
	Err error
}

// Error formats `bindingpolicy NAME: FIELD: cause`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(strings.ToLower(e.Kind))
	b.WriteByte(' ')
	if e.Name == "" {
		b.WriteString("(without metadata.name)")
	} else {
		b.WriteString(e.Name)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns [ErrInvalid] and the cause.
func (e *Error) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// selector is one compiled label selector.
type selector struct {
	sel labels.Selector
	// all: the selector is empty ({}) and matches every label set.
	all bool
	// keys are the label keys the selector reads, sorted.
	keys []string
	// eq are the key=value pairs every match must carry (from matchLabels and single-value
	// In/= expressions): candidates for index lookups.
	eq [][2]string
}

// matches reports whether the selector accepts ls.
func (s *selector) matches(ls map[string]string) bool {
	return s.all || s.sel.Matches(labels.Set(ls))
}

// parser collects the problems of one document.
type parser struct {
	kind, name string
	errs       []error
}

func (p *parser) addf(field, format string, args ...any) {
	p.errs = append(p.errs, &Error{Kind: p.kind, Name: p.name, Field: field, Err: fmt.Errorf(format, args...)})
}

func (p *parser) add(field string, err error) {
	p.errs = append(p.errs, &Error{Kind: p.kind, Name: p.name, Field: field, Err: err})
}

// header checks apiVersion, kind and metadata.name of doc and returns its spec (nil when
// absent). ok is false when the document is not of the expected kind at all.
func (p *parser) header(doc map[string]any) (spec map[string]any, ok bool) {
	if doc == nil {
		p.addf("", "is empty")
		return nil, false
	}
	av, _ := doc["apiVersion"].(string)
	k, _ := doc["kind"].(string)
	switch {
	case av == "" && k == "":
		p.addf("", "has no apiVersion and kind; give them in the document, or have the caller supply %s %s", APIVersion, p.kind)
		return nil, false
	case av != APIVersion || k != p.kind:
		p.addf("", "is a %s, not a %s %s", describeType(doc["apiVersion"], doc["kind"]), APIVersion, p.kind)
		return nil, false
	}
	md, _ := doc["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	p.name = name
	if name == "" {
		p.addf("metadata.name", "must be set")
	}
	if ns, _ := md["namespace"].(string); ns != "" {
		p.addf("metadata.namespace", "must not be set: a %s is cluster-scoped", p.kind)
	}
	switch s := doc["spec"].(type) {
	case nil:
		return nil, true
	case map[string]any:
		return s, true
	default:
		p.addf("spec", "must be a map, not %s", transform.Describe(s))
		return nil, true
	}
}

// describeType names what an apiVersion and kind claim, in words even when they are missing
// or not strings.
func describeType(apiVersion, kind any) string {
	part := func(field string, v any) string {
		switch s := v.(type) {
		case nil:
			return "no " + field
		case string:
			if s == "" {
				return "an empty " + field
			}
			return fmt.Sprintf("%s %q", field, s)
		default:
			return fmt.Sprintf("%s of type %s", field, transform.Describe(v))
		}
	}
	return "document with " + part("apiVersion", apiVersion) + " and " + part("kind", kind)
}

// fields rejects keys of m not in allowed.
func (p *parser) fields(field string, m map[string]any, allowed ...string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(allowed, k) {
			p.addf(joinField(field, k), "unknown field (known: %s)", strings.Join(allowed, ", "))
		}
	}
}

func joinField(base, name string) string {
	if base == "" {
		return name
	}
	return base + "." + name
}

// list returns m[key] as a list; absent or null is an empty list.
func (p *parser) list(m map[string]any, field, key string) []any {
	switch v := m[key].(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		p.addf(joinField(field, key), "must be a list, not %s", transform.Describe(v))
		return nil
	}
}

// strings returns m[key] as a list of strings.
func (p *parser) strings(m map[string]any, field, key string) []string {
	raw := p.list(m, field, key)
	out := make([]string, 0, len(raw))
	for i, v := range raw {
		s, ok := v.(string)
		if !ok {
			p.addf(fmt.Sprintf("%s[%d]", joinField(field, key), i), "must be a string, not %s", transform.Describe(v))
			continue
		}
		out = append(out, s)
	}
	return out
}

// bool returns m[key] as a boolean; absent or null is false.
func (p *parser) bool(m map[string]any, field, key string) bool {
	switch v := m[key].(type) {
	case nil:
		return false
	case bool:
		return v
	default:
		p.addf(joinField(field, key), "must be true or false, not %s", transform.Describe(v))
		return false
	}
}

// str returns m[key] as a string and whether it is present (not absent, not null).
func (p *parser) str(m map[string]any, field, key string) (string, bool) {
	switch v := m[key].(type) {
	case nil:
		return "", false
	case string:
		return v, true
	default:
		p.addf(joinField(field, key), "must be a string, not %s", transform.Describe(v))
		return "", false
	}
}

// modulation reads the modulation fields of a clause or a Binding entry.
func (p *parser) modulation(m map[string]any, field string) Modulation {
	mod := Modulation{
		CreateOnly:                 p.bool(m, field, "createOnly"),
		WantSingletonReportedState: p.bool(m, field, "wantSingletonReportedState"),
		WantMultiWECReportedState:  p.bool(m, field, "wantMultiWECReportedState"),
	}
	sc := p.strings(m, field, "statusCollectors")
	for i, s := range sc {
		if s == "" {
			p.addf(fmt.Sprintf("%s[%d]", joinField(field, "statusCollectors"), i), "must not be empty")
		}
	}
	slices.Sort(sc)
	if sc = slices.Compact(sc); len(sc) > 0 {
		mod.StatusCollectors = sc
	}
	return mod
}

var modulationFields = []string{"createOnly", "statusCollectors", "wantSingletonReportedState", "wantMultiWECReportedState"}

// selectors compiles a list of label selectors.
func (p *parser) selectors(m map[string]any, field, key string) []selector {
	raw := p.list(m, field, key)
	out := make([]selector, 0, len(raw))
	for i, v := range raw {
		f := fmt.Sprintf("%s[%d]", joinField(field, key), i)
		if v == nil {
			v = map[string]any{}
		}
		sm, ok := v.(map[string]any)
		if !ok {
			p.addf(f, "must be a label selector (a map), not %s", transform.Describe(v))
			continue
		}
		p.fields(f, sm, "matchLabels", "matchExpressions")
		var ls metav1.LabelSelector
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(sm, &ls); err != nil {
			p.add(f, fmt.Errorf("not a label selector: %w", err))
			continue
		}
		s, err := compileSelector(&ls)
		if err != nil {
			p.add(f, err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// compileSelector compiles ls and records what indexes can use.
func compileSelector(ls *metav1.LabelSelector) (selector, error) {
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return selector{}, err
	}
	s := selector{sel: sel, all: sel.Empty()}
	reqs, _ := sel.Requirements()
	for _, r := range reqs {
		s.keys = append(s.keys, r.Key())
		if vals := r.ValuesUnsorted(); len(vals) == 1 {
			switch r.Operator() {
			case selection.Equals, selection.DoubleEquals, selection.In:
				s.eq = append(s.eq, [2]string{r.Key(), vals[0]})
			}
		}
	}
	slices.Sort(s.keys)
	s.keys = slices.Compact(s.keys)
	return s, nil
}
