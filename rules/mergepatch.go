package rules

import (
	"fmt"
	"math"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// mergePatchAction applies an RFC 7386 merge patch on the object tree.
type mergePatchAction struct {
	base
	field string
	patch map[string]any
}

func (ac *actionCompiler) mergePatch(v any, field string, b base) action {
	m, ok := v.(map[string]any)
	if !ok {
		ac.rd.p.addf(field, "must be a map (a merge patch of the object), not %s", transform.Describe(v))
		return nil
	}
	if len(m) == 0 {
		ac.rd.p.addf(field, "must not be empty")
		return nil
	}
	nv, err := normalizeJSON(m)
	if err != nil {
		ac.rd.p.add(field, nil, err)
		return nil
	}
	return &mergePatchAction{base: b, field: field, patch: nv.(map[string]any)}
}

func (a *mergePatchAction) apply(_ *pairEval, obj *transform.Object) error {
	if err := mergeAt(obj, nil, a.patch); err != nil {
		return &actionError{field: a.field, err: fmt.Errorf("%w: %w", ErrPatch, err)}
	}
	return nil
}

// mergeAt merges patch into the map at loc (RFC 7386): null removes a member, a map merges
// recursively, anything else replaces.
func mergeAt(obj *transform.Object, loc jsonpath.Location, patch map[string]any) error {
	target, _ := obj.Get(loc)
	tm, isMap := target.(map[string]any)
	if !isMap {
		return obj.SetAt(loc, withoutNulls(patch))
	}
	for _, k := range sortedKeys(patch) {
		cl := loc.Child(jsonpath.Step{Key: k})
		switch pv := patch[k].(type) {
		case nil:
			if _, ok := tm[k]; ok {
				obj.RemoveAt(cl)
			}
		case map[string]any:
			if err := mergeAt(obj, cl, pv); err != nil {
				return err
			}
		default:
			if err := obj.SetAt(cl, transform.DeepCopyValue(pv)); err != nil {
				return err
			}
		}
	}
	return nil
}

// withoutNulls returns a private copy of a patch map with null members dropped (merging a
// patch into a non-map).
func withoutNulls(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch c := v.(type) {
		case nil:
		case map[string]any:
			out[k] = withoutNulls(c)
		default:
			out[k] = transform.DeepCopyValue(c)
		}
	}
	return out
}

func (a *mergePatchAction) writes() []string {
	var out []string
	var walk func(loc jsonpath.Location, m map[string]any)
	walk = func(loc jsonpath.Location, m map[string]any) {
		for _, k := range sortedKeys(m) {
			cl := loc.Child(jsonpath.Step{Key: k})
			if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
				walk(cl, sub)
				continue
			}
			out = append(out, cl.String())
		}
	}
	walk(nil, a.patch)
	return out
}

// normalizeJSON returns a private copy of a YAML-decoded value in the JSON shapes of
// unstructured objects: int64, float64, string, bool, nil, []any, map[string]any.
func normalizeJSON(v any) (any, error) {
	switch c := v.(type) {
	case nil, string, bool, int64:
		return c, nil
	case int:
		return int64(c), nil
	case int32:
		return int64(c), nil
	case uint64:
		if c > math.MaxInt64 {
			return nil, fmt.Errorf("number %d is out of range", c)
		}
		return int64(c), nil
	case float64:
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return nil, fmt.Errorf("%v is not a JSON number", c)
		}
		return c, nil
	case []any:
		out := make([]any, len(c))
		for i, e := range c {
			n, err := normalizeJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(c))
		for k, e := range c {
			n, err := normalizeJSON(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value of type %T", v)
}
