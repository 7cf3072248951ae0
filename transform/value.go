package transform

import (
	"fmt"
	"maps"
	"reflect"
)

// DeepCopyValue returns a private copy of a JSON-shaped value (maps, lists, scalars). Scalars
// are returned as they are.
func DeepCopyValue(v any) any {
	switch c := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(c))
		for k, e := range c {
			out[k] = DeepCopyValue(e)
		}
		return out
	case []any:
		out := make([]any, len(c))
		for i, e := range c {
			out[i] = DeepCopyValue(e)
		}
		return out
	case map[string]string:
		return maps.Clone(c)
	}
	return v
}

// Describe names the JSON type of v for messages: "null", "a string", "a boolean", "a number",
// "a list", "a map" (or "a T" for other Go types).
func Describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int32, int64, uint, uint32, uint64, float32, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("a %T", v)
}

// Equal reports whether two JSON-shaped values are equal. Numbers compare by value, except that
// an integer and a float never compare equal (they serialise differently). Subtrees shared
// between the two values compare in constant time.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	case int64, int, int32, float64, float32:
		xf, ok1 := toFloat(a)
		yf, ok2 := toFloat(b)
		return ok1 && ok2 && xf == yf && sameIntness(a, b)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if mapID(x) == mapID(y) {
			return true
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// sameIntness keeps 3 and 3.0 apart: they serialise differently.
func sameIntness(a, b any) bool {
	_, af := a.(float64)
	_, bf := b.(float64)
	return af == bf
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	return 0, false
}
