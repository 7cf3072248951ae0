package patch

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// Merge applies the RFC 7386 merge patch patch to the value at loc (nil: the whole object):
// a null member removes the member, a map member merges recursively, anything else (lists
// included, verbatim) replaces. Where the target is not a map the patch, without its null
// members, replaces it. Members are applied in key order, so the trace is deterministic.
//
// patch must be JSON-shaped (see [Normalize]); it is only read and never retained: what Merge
// writes is copied. Errors wrap [ErrFailed].
//
// What Merge writes is charged to obj's budget ([transform.Budget.ProduceValue]) before it is
// copied: a patch larger than what is left fails without being applied.
func Merge(obj *transform.Object, loc jsonpath.Location, patch map[string]any) error {
	if err := obj.Budget().ProduceValue(patch); err != nil {
		return fmt.Errorf("%w: %w", ErrFailed, err)
	}
	if err := mergeAt(obj, loc, patch); err != nil {
		return fmt.Errorf("%w: %w", ErrFailed, err)
	}
	return nil
}

// mergeAt merges patch into the map at loc.
func mergeAt(obj *transform.Object, loc jsonpath.Location, patch map[string]any) error {
	target, _ := obj.Get(loc)
	tm, isMap := target.(map[string]any)
	if !isMap {
		return obj.SetAt(loc, withoutNulls(patch))
	}
	for _, k := range slices.Sorted(maps.Keys(patch)) {
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

// Normalize returns a private copy of a YAML- or JSON-decoded value in the JSON shapes of
// unstructured objects: int64, float64, string, bool, nil, []any and map[string]any (int,
// int32 and uint64 become int64). v is only read. NaN, infinities, integers beyond int64 and
// other Go types are errors. Normalize a value once, before applying it to many objects.
func Normalize(v any) (any, error) {
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
			n, err := Normalize(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(c))
		for k, e := range c {
			n, err := Normalize(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value of type %T", v)
}
