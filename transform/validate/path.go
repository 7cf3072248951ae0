package validate

import (
	"strconv"
	"strings"

	"sigs.k8s.io/structured-merge-diff/v6/value"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/explain"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// locate turns a schema walk's field path (`.spec.containers[name="c"].image`, list items
// named by their keys) into the object's concrete location (`.spec.containers[0].image`), so
// that it compares with the paths of a trace. It reports false when p does not lead through
// obj. Every step consumes at least one byte of p: the walk is bounded by len(p) steps.
func locate(obj map[string]any, p string) (jsonpath.Location, bool) {
	var loc jsonpath.Location
	var cur any = obj
	for i := 0; i < len(p); {
		switch p[i] {
		case '.':
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			// A field name may hold dots or brackets (annotation keys): take the shortest
			// candidate the map has.
			end := i + 1
			for {
				next := strings.IndexAny(p[end:], ".[")
				if next < 0 {
					end = len(p)
				} else {
					end += next
				}
				if v, ok := m[p[i+1:end]]; ok {
					loc = append(loc, jsonpath.Step{Key: p[i+1 : end]})
					cur, i = v, end
					break
				}
				if end >= len(p) {
					return nil, false
				}
				end++
			}
		case '[':
			l, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			end := closing(p, i)
			if end < 0 {
				return nil, false
			}
			idx, ok := item(l, p[i+1:end])
			if !ok {
				return nil, false
			}
			loc = append(loc, jsonpath.Step{Index: idx, IsIndex: true})
			cur, i = l[idx], end+1
		default:
			return nil, false
		}
	}
	return loc, true
}

// closing returns the index of the `]` that closes the `[` at p[open], skipping quoted
// strings; -1 when there is none.
func closing(p string, open int) int {
	quoted := false
	for i := open + 1; i < len(p); i++ {
		switch {
		case quoted && p[i] == '\\':
			i++
		case p[i] == '"':
			quoted = !quoted
		case !quoted && p[i] == ']':
			return i
		}
	}
	return -1
}

// item finds the list item a path element names: `3` (an index), `=VALUE` (a set member) or
// `k1=V1,k2=V2` (the item whose keys have these values), values formatted as the schema walk
// formats them.
func item(l []any, sel string) (int, bool) {
	if n, err := strconv.Atoi(sel); err == nil {
		return n, n >= 0 && n < len(l)
	}
	if v, ok := strings.CutPrefix(sel, "="); ok {
		for i, it := range l {
			if format(it) == v {
				return i, true
			}
		}
		return 0, false
	}
	keys := splitKeys(sel)
	for i, it := range l {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		match := true
		for _, kv := range keys {
			k, v, _ := strings.Cut(kv, "=")
			if got, ok := m[k]; !ok || format(got) != v {
				match = false
				break
			}
		}
		if match {
			return i, true
		}
	}
	return 0, false
}

// splitKeys splits `k1=V1,k2=V2` at the commas outside quoted strings.
func splitKeys(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case quoted && s[i] == '\\':
			i++
		case s[i] == '"':
			quoted = !quoted
		case !quoted && s[i] == ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// format formats a value as the schema walk does in paths.
func format(v any) string { return value.ToString(value.NewValueInterface(v)) }

// writer returns who wrote path: the author of the last change (no-ops excluded) at path or
// at an ancestor of it; failing that, of the last change below it (a value whose parts were
// written); "" when the trace never touched it.
func writer(trace transform.Trace, path string) string {
	below := ""
	for i := len(trace) - 1; i >= 0; i-- {
		c := trace[i]
		if c.Kind == transform.ChangeNoop {
			continue
		}
		switch {
		case c.Path == path || within(path, c.Path):
			return c.By
		case below == "" && within(c.Path, path):
			below = c.By
		}
	}
	return below
}

// within reports whether path lies strictly below ancestor.
func within(path, ancestor string) bool {
	if ancestor == "." {
		return path != "."
	}
	if len(path) <= len(ancestor) || !strings.HasPrefix(path, ancestor) {
		return false
	}
	return path[len(ancestor)] == '.' || path[len(ancestor)] == '['
}

// valueAt returns the value at loc, which locate found in obj.
func valueAt(obj map[string]any, loc jsonpath.Location) any {
	var cur any = obj
	for _, s := range loc {
		if s.IsIndex {
			cur = cur.([]any)[s.Index]
		} else {
			cur = cur.(map[string]any)[s.Key]
		}
	}
	return cur
}

// describe rewrites a type violation of the schema walk, `expected T, got <Go value>`, as
// `expected T, got a string: "3"`, naming the value's JSON type and showing it when it is a
// scalar, and returns T. Other messages are returned as they are, with no expected type.
func describe(msg string, got any) (expected, message string) {
	rest, ok := strings.CutPrefix(msg, "expected ")
	if !ok {
		return "", msg
	}
	expected, _, ok = strings.Cut(rest, ", got ")
	if !ok {
		return "", msg
	}
	message = "expected " + expected + ", got " + transform.Describe(got)
	switch got.(type) {
	case map[string]any, []any, nil:
	default:
		message += ": " + explain.Value(got, explain.Options{MaxValue: 40})
	}
	return expected, message
}
