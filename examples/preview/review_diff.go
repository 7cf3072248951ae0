package main

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// diffValues calls emit, in path order, for every leaf where the JSON-shaped trees a and b
// differ: a member or item present on one side only is reported once, whole, at its own path
// (nil on the missing side); mappings are compared member by member and lists item by item
// (an item past the end of the shorter list is an addition or removal). Values of different
// types, int64 and float64 included, differ. Paths are formatted like trace paths
// (`.spec.ports[0].port`, `.metadata.labels["example.com/x"]`; `.` is the root). Neither tree
// is modified, and the recursion is as deep as the trees (rendered objects: at most
// transform.Limits.MaxDepth, 256 by default).
func diffValues(a, b any, emit func(path string, before, after any)) {
	var walk func(loc jsonpath.Location, a, b any)
	walk = func(loc jsonpath.Location, a, b any) {
		switch x := a.(type) {
		case map[string]any:
			y, ok := b.(map[string]any)
			if !ok {
				break
			}
			if sameMap(x, y) {
				return // a shared subtree
			}
			keys := slices.Sorted(maps.Keys(x))
			for k := range y {
				if _, ok := x[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				va, inA := x[k]
				vb, inB := y[k]
				at := loc.Child(jsonpath.Step{Key: k})
				switch {
				case !inA:
					emit(at.String(), nil, vb)
				case !inB:
					emit(at.String(), va, nil)
				default:
					walk(at, va, vb)
				}
			}
			return
		case []any:
			y, ok := b.([]any)
			if !ok {
				break
			}
			for i := range max(len(x), len(y)) {
				at := loc.Child(jsonpath.Step{Index: i, IsIndex: true})
				switch {
				case i >= len(x):
					emit(at.String(), nil, y[i])
				case i >= len(y):
					emit(at.String(), x[i], nil)
				default:
					walk(at, x[i], y[i])
				}
			}
			return
		}
		if !reflect.DeepEqual(a, b) {
			emit(loc.String(), a, b)
		}
	}
	walk(nil, a, b)
}

// sameMap reports whether two maps are the same map (not merely equal): rendered objects share
// unchanged subtrees, which need no walk.
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// attribute names who wrote the after value at path (the last change at path, above it or
// below it in the after trace), else `before: ` and who wrote the before value, else `input`.
func attribute(path string, before, after transform.Trace) string {
	if by := lastWriter(path, after); by != "" {
		return by
	}
	if by := lastWriter(path, before); by != "" {
		return "before: " + by
	}
	return "input"
}

func lastWriter(path string, t transform.Trace) string {
	for i := len(t) - 1; i >= 0; i-- {
		c := t[i]
		if c.Kind != transform.ChangeNoop && (c.Path == path || under(path, c.Path) || under(c.Path, path)) {
			return c.By
		}
	}
	return ""
}

// under reports whether path lies strictly below ancestor.
func under(path, ancestor string) bool {
	if ancestor == "." {
		return path != "."
	}
	return len(path) > len(ancestor) && strings.HasPrefix(path, ancestor) && (path[len(ancestor)] == '.' || path[len(ancestor)] == '[')
}
