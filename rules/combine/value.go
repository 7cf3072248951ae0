package combine

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// ValueType is the type of a [Value], as KubeStellar names it.
type ValueType string

// The value types.
const (
	TypeString ValueType = "String"
	TypeNumber ValueType = "Number"
	TypeBool   ValueType = "Bool"
	TypeNull   ValueType = "Null"
	TypeObject ValueType = "Object"
	TypeArray  ValueType = "Array"
)

// Value is one cell of a status combination: a JSON value in the tagged shape of KubeStellar's
// CombinedStatus (`type` plus one of `string`, `float`, `bool`, `object`, `array`). Numbers
// are decimal text under the key `float`: integers as written, other numbers formatted with
// strconv.FormatFloat(v, 'g', -1, 64). A Value is immutable once built; Object and Array hold
// compact JSON.
type Value struct {
	Type   ValueType       `json:"type"`
	String *string         `json:"string,omitempty"`
	Number *string         `json:"float,omitempty"`
	Bool   *bool           `json:"bool,omitempty"`
	Object json.RawMessage `json:"object,omitempty"`
	Array  json.RawMessage `json:"array,omitempty"`
}

// NullValue is the value of a missing cell.
func NullValue() Value { return Value{Type: TypeNull} }

// NumberValue returns a Number formatted as KubeStellar formats aggregates.
func NumberValue(f float64) Value {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	return Value{Type: TypeNumber, Number: &s}
}

func intValue(i int64) Value {
	s := strconv.FormatInt(i, 10)
	return Value{Type: TypeNumber, Number: &s}
}

// valueOf converts a JSON-shaped value (what rules.CELToJSON returns) to a Value.
func valueOf(x any) (Value, error) {
	switch v := x.(type) {
	case nil:
		return NullValue(), nil
	case bool:
		return Value{Type: TypeBool, Bool: &v}, nil
	case int64:
		return intValue(v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Value{}, fmt.Errorf("%v is not a JSON number", v)
		}
		return NumberValue(v), nil
	case string:
		return Value{Type: TypeString, String: &v}, nil
	case []any:
		b, err := json.Marshal(v)
		if err != nil {
			return Value{}, err
		}
		return Value{Type: TypeArray, Array: b}, nil
	case map[string]any:
		b, err := json.Marshal(v)
		if err != nil {
			return Value{}, err
		}
		return Value{Type: TypeObject, Object: b}, nil
	}
	return Value{}, fmt.Errorf("a %T has no JSON value", x)
}

// atomic reports whether v is a string, number, bool or null.
func (v Value) atomic() bool { return v.Type != TypeObject && v.Type != TypeArray }

// key is a string equal for equal values: numbers compare by value (1 and 1.0 are one group,
// as they are equal in CEL).
func (v Value) key() string {
	switch v.Type {
	case TypeString:
		return "s" + *v.String
	case TypeNumber:
		if f, err := strconv.ParseFloat(*v.Number, 64); err == nil {
			if i, err := strconv.ParseInt(*v.Number, 10, 64); err == nil && float64(i) != f {
				return "n" + *v.Number // an integer float64 cannot hold exactly
			}
			return "n" + strconv.FormatFloat(f, 'g', -1, 64)
		}
		return "n" + *v.Number
	case TypeBool:
		return "b" + strconv.FormatBool(*v.Bool)
	case TypeObject:
		return "o" + string(v.Object)
	case TypeArray:
		return "a" + string(v.Array)
	}
	return "z"
}

var typeRank = map[ValueType]int{TypeNull: 0, TypeBool: 1, TypeNumber: 2, TypeString: 3, TypeArray: 4, TypeObject: 5}

// compareValues orders values: null, then false before true, numbers by value, strings by
// bytes, then arrays and objects by their JSON text.
func compareValues(a, b Value) int {
	if c := cmp.Compare(typeRank[a.Type], typeRank[b.Type]); c != 0 {
		return c
	}
	switch a.Type {
	case TypeBool:
		return cmp.Compare(boolRank(*a.Bool), boolRank(*b.Bool))
	case TypeNumber:
		fa, ea := strconv.ParseFloat(*a.Number, 64)
		fb, eb := strconv.ParseFloat(*b.Number, 64)
		if ea == nil && eb == nil && fa != fb {
			return cmp.Compare(fa, fb)
		}
		return cmp.Compare(*a.Number, *b.Number)
	case TypeString:
		return cmp.Compare(*a.String, *b.String)
	case TypeArray:
		return bytes.Compare(a.Array, b.Array)
	case TypeObject:
		return bytes.Compare(a.Object, b.Object)
	}
	return 0
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// equalValues reports whether a and b serialize identically.
func equalValues(a, b Value) bool {
	if a.Type != b.Type {
		return false
	}
	switch a.Type {
	case TypeString:
		return *a.String == *b.String
	case TypeNumber:
		return *a.Number == *b.Number
	case TypeBool:
		return *a.Bool == *b.Bool
	case TypeObject:
		return bytes.Equal(a.Object, b.Object)
	case TypeArray:
		return bytes.Equal(a.Array, b.Array)
	}
	return true
}
