package rulestest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/explain"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// maxDifferences bounds how many field differences one object reports.
const maxDifferences = 20

// difference is one field where the expected and the rendered object differ.
type difference struct {
	path       string
	want, got  any
	hasW, hasG bool
}

// differences lists the fields where want and got differ, depth first in key order, at most
// maxDifferences. Lists of equal length compare item by item; otherwise the list differs as a
// whole. The walk visits each node of the smaller tree once.
func differences(want, got any) []difference {
	var out []difference
	var walk func(loc jsonpath.Location, w, g any)
	walk = func(loc jsonpath.Location, w, g any) {
		if len(out) >= maxDifferences || transform.Equal(w, g) {
			return
		}
		switch wv := w.(type) {
		case map[string]any:
			if gv, ok := g.(map[string]any); ok {
				keys := make([]string, 0, len(wv)+len(gv))
				for k := range wv {
					keys = append(keys, k)
				}
				for k := range gv {
					if _, ok := wv[k]; !ok {
						keys = append(keys, k)
					}
				}
				slices.Sort(keys)
				for _, k := range keys {
					x, okW := wv[k]
					y, okG := gv[k]
					child := loc.Child(jsonpath.Step{Key: k})
					if okW && okG {
						walk(child, x, y)
					} else if len(out) < maxDifferences {
						out = append(out, difference{path: child.String(), want: x, got: y, hasW: okW, hasG: okG})
					}
				}
				return
			}
		case []any:
			if gv, ok := g.([]any); ok && len(gv) == len(wv) {
				for i := range wv {
					walk(loc.Child(jsonpath.Step{Index: i, IsIndex: true}), wv[i], gv[i])
				}
				return
			}
		}
		out = append(out, difference{path: loc.String(), want: w, got: g, hasW: true, hasG: true})
	}
	walk(nil, want, got)
	return out
}

// describeDifference formats one difference of one pair with the explanation of the field:
// every change of the render at the path, above it or below it, and what the render read of
// the WEC.
func describeDifference(p Pair, d difference) string {
	var b strings.Builder
	fmt.Fprintf(&b, "wec %s: %s (%s): %s: ", p.WEC.Name(), p.Result.Ref, p.Source, d.path)
	short := explain.Options{MaxValue: 120}
	switch {
	case !d.hasW:
		fmt.Fprintf(&b, "not expected, got %s", explain.Value(d.got, short))
	case !d.hasG:
		fmt.Fprintf(&b, "want %s, got nothing (the field is absent)", explain.Value(d.want, short))
	default:
		fmt.Fprintf(&b, "want %s, got %s", explain.Value(d.want, short), explain.Value(d.got, short))
	}
	var touched transform.Trace
	for _, c := range p.Result.Changes() {
		if c.Path == d.path || below(d.path, c.Path) || below(c.Path, d.path) {
			touched = append(touched, c)
		}
	}
	if len(touched) == 0 {
		b.WriteString("\n    explain: no change of the render touched this field (it is as in the input)")
	} else {
		b.WriteString("\n    explain:\n")
		_ = explain.Trace(&b, "      ", touched, explain.Options{})
	}
	if r := explain.Dependencies(p.Result.Deps); r != "" {
		fmt.Fprintf(&b, "    reads: %s", r)
	}
	return strings.TrimRight(b.String(), "\n")
}

// below reports whether path lies strictly below ancestor.
func below(path, ancestor string) bool {
	if ancestor == "." {
		return path != "."
	}
	if len(path) <= len(ancestor) || !strings.HasPrefix(path, ancestor) {
		return false
	}
	return path[len(ancestor)] == '.' || path[len(ancestor)] == '['
}
