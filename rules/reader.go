package rules

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wecforge/wecforge/transform"
)

// reader decodes the loosely typed tree of a YAML document strictly: wrong types and unknown
// fields are problems naming their field path. Every method tolerates a nil value where a
// field is optional and reports problems to p.
type reader struct {
	p *problems
}

// child returns the field path of member key below field.
func child(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// item returns the field path of list item i below field.
func item(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// wrongType reports that v (nil when the field is missing or null) is not what field needs.
func (r *reader) wrongType(field, want string, v any) {
	if v == nil {
		r.p.addf(field, "required (%s)", want)
		return
	}
	r.p.addf(field, "must be %s, not %s", want, transform.Describe(v))
}

// object checks that v is a map whose keys are all in known; ok is false when v is not a map.
func (r *reader) object(v any, field string, known ...string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		r.wrongType(field, "a map", v)
		return nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			r.p.addf(child(field, k), "unknown field (known fields: %s)", strings.Join(known, ", "))
		}
	}
	return m, true
}

// list checks that v is a list.
func (r *reader) list(v any, field string) ([]any, bool) {
	l, ok := v.([]any)
	if !ok {
		r.wrongType(field, "a list", v)
	}
	return l, ok
}

// str checks that v is a string.
func (r *reader) str(v any, field string) (string, bool) {
	s, ok := v.(string)
	if !ok {
		r.wrongType(field, "a string", v)
	}
	return s, ok
}

// strings checks that v is a list of strings.
func (r *reader) strings(v any, field string) ([]string, bool) {
	l, ok := r.list(v, field)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	good := true
	for i, e := range l {
		s, ok := r.str(e, item(field, i))
		good = good && ok
		out = append(out, s)
	}
	return out, good
}

// stringMap checks that v is a map of strings.
func (r *reader) stringMap(v any, field string) (map[string]string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		r.p.addf(field, "must be a map, not %s", transform.Describe(v))
		return nil, false
	}
	out := make(map[string]string, len(m))
	good := true
	for k, e := range m {
		s, ok := r.str(e, child(field, k))
		good = good && ok
		out[k] = s
	}
	return out, good
}

// integer checks that v is an integral number (YAML decoders yield int, int64 or float64).
func (r *reader) integer(v any, field string) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
		r.p.addf(field, "must be an integer, not %v", n)
		return 0, false
	}
	r.p.addf(field, "must be an integer, not %s", transform.Describe(v))
	return 0, false
}

// sortedKeys returns m's keys in ascending order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
