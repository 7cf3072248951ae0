package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// conflicts returns a warning for every two rules of equal priority whose matches can overlap
// on a kind and which may write the same field (or one a parent of the other). rules are in
// application order, so the later rule of a pair wins.
func conflicts(rules []*rule) []string {
	var out []string
	for i, a := range rules {
		for _, b := range rules[i+1:] {
			if b.priority != a.priority {
				break
			}
			if !overlap(&a.match, &b.match) {
				continue
			}
			if p, ok := sharedWrite(writesOf(a), writesOf(b)); ok {
				out = append(out, fmt.Sprintf(
					"rules %s and %s have the same priority %d and may both write %s for the same objects; %s applies last and wins",
					a.name, b.name, a.priority, p, b.name))
			}
		}
	}
	sort.Strings(out)
	return out
}

func writesOf(r *rule) []string {
	var out []string
	for _, a := range r.actions {
		out = append(out, a.writes()...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// overlap reports whether two matches can both hold for one object, judging only their
// static parts (resources, namespaces, names).
func overlap(a, b *objectMatch) bool {
	if a.resources != nil && b.resources != nil && !slices.ContainsFunc(a.resources, func(x resource) bool {
		return slices.ContainsFunc(b.resources, func(y resource) bool {
			return (x.group == "*" || y.group == "*" || x.group == y.group) && (x.kind == "*" || y.kind == "*" || x.kind == y.kind)
		})
	}) {
		return false
	}
	if a.namespaces != nil && b.namespaces != nil && !intersect(a.namespaces, b.namespaces) {
		return false
	}
	return a.names == nil || b.names == nil || intersect(a.names, b.names)
}

func intersect(a, b []string) bool {
	return slices.ContainsFunc(a, func(x string) bool { return slices.Contains(b, x) })
}

// sharedWrite returns the first field both lists may write: equal paths, a path and one of its
// parents, or two image actions whose container selections overlap.
func sharedWrite(a, b []string) (string, bool) {
	for _, x := range a {
		for _, y := range b {
			switch {
			case x == y:
				return x, true
			case strings.HasPrefix(x, "image:") && strings.HasPrefix(y, "image:"):
				if x == "image:*" || y == "image:*" {
					return "the images of containers " + imageNames(x, y), true
				}
			case isParentPath(x, y):
				return y, true
			case isParentPath(y, x):
				return x, true
			}
		}
	}
	return "", false
}

func imageNames(x, y string) string {
	x, y = strings.TrimPrefix(x, "image:"), strings.TrimPrefix(y, "image:")
	if x == "*" {
		return y
	}
	return x
}

// isParentPath reports whether field path p is a proper parent of q (`.spec` of `.spec.x`).
func isParentPath(p, q string) bool {
	return len(q) > len(p) && strings.HasPrefix(q, p) && (q[len(p)] == '.' || q[len(p)] == '[') && strings.HasPrefix(p, ".")
}
