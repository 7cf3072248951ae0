package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/wecforge/wecforge/transform"
)

// resource is one entry of spec.match.resources; kind "*" matches any kind of the group, group
// "*" any group ("" is the core group).
type resource struct {
	group, kind string
}

// objectMatch is a compiled spec.match. Zero value: every object.
type objectMatch struct {
	resources  []resource
	namespaces []string
	names      []string
	selector   labels.Selector // nil: any labels
	condition  *expr
}

// identity reports whether the object's group, kind, namespace and name can match. These are
// decided once per object, on the object as the WEC-independent stages left it.
func (m *objectMatch) identity(ref transform.ObjectRef) bool {
	if m.resources != nil && !slices.ContainsFunc(m.resources, func(r resource) bool {
		return (r.group == "*" || r.group == ref.Group) && (r.kind == "*" || r.kind == ref.Kind)
	}) {
		return false
	}
	if m.namespaces != nil && !slices.Contains(m.namespaces, ref.Namespace) {
		return false
	}
	return m.names == nil || slices.Contains(m.names, ref.Name)
}

// clusterMatch is a compiled spec.clusters. Zero value: every WEC.
type clusterMatch struct {
	names     []string
	exclude   []string
	selector  labels.Selector // nil: any labels
	keys      []string        // label keys the selector reads
	condition *expr
}

func (c *compiler) objectMatch(rd reader, v any, field string) objectMatch {
	var m objectMatch
	mm, ok := rd.object(v, field, "resources", "namespaces", "names", "labelSelector", "condition")
	if !ok {
		return m
	}
	if rv, ok := mm["resources"]; ok {
		f := child(field, "resources")
		if l, ok := rd.list(rv, f); ok {
			m.resources = []resource{}
			for i, e := range l {
				fi := item(f, i)
				em, ok := rd.object(e, fi, "group", "kind")
				if !ok {
					continue
				}
				var r resource
				if g, ok := em["group"]; ok {
					r.group, _ = rd.str(g, child(fi, "group"))
				}
				k, ok := em["kind"]
				if !ok {
					rd.p.addf(child(fi, "kind"), "required (use \"*\" for any kind)")
					continue
				}
				if r.kind, ok = rd.str(k, child(fi, "kind")); ok && r.kind == "" {
					rd.p.addf(child(fi, "kind"), "must not be empty (use \"*\" for any kind)")
				}
				m.resources = append(m.resources, r)
			}
		}
	}
	m.namespaces = optionalStrings(rd, mm, "namespaces", field)
	m.names = optionalStrings(rd, mm, "names", field)
	if sv, ok := mm["labelSelector"]; ok {
		m.selector, _ = labelSelector(rd, sv, child(field, "labelSelector"))
	}
	if cv, ok := mm["condition"]; ok {
		f := child(field, "condition")
		if text, ok := rd.str(cv, f); ok {
			m.condition = compileExpr(c.envs.object, rd.p, f, text, resultBool, c.opts.costLimit, objectScope)
		}
	}
	return m
}

func (c *compiler) clusterMatch(rd reader, v any, field string) clusterMatch {
	var m clusterMatch
	mm, ok := rd.object(v, field, "names", "labelSelector", "exclude", "condition")
	if !ok {
		return m
	}
	m.names = optionalStrings(rd, mm, "names", field)
	m.exclude = optionalStrings(rd, mm, "exclude", field)
	if sv, ok := mm["labelSelector"]; ok {
		m.selector, m.keys = labelSelector(rd, sv, child(field, "labelSelector"))
	}
	if cv, ok := mm["condition"]; ok {
		f := child(field, "condition")
		if text, ok := rd.str(cv, f); ok {
			m.condition = compileExpr(c.envs.full, rd.p, f, text, resultBool, c.opts.costLimit, clusterScope)
		}
	}
	return m
}

// optionalStrings reads an optional list of strings; nil means the field is absent.
func optionalStrings(rd reader, m map[string]any, key, field string) []string {
	v, ok := m[key]
	if !ok {
		return nil
	}
	l, _ := rd.strings(v, child(field, key))
	if l == nil {
		l = []string{}
	}
	return l
}

// labelSelector decodes and validates a metav1.LabelSelector and returns it with the label
// keys it reads.
func labelSelector(rd reader, v any, field string) (labels.Selector, []string) {
	m, ok := rd.object(v, field, "matchLabels", "matchExpressions")
	if !ok {
		return nil, nil
	}
	var ls metav1.LabelSelector
	good := true
	if ml, ok := m["matchLabels"]; ok {
		ls.MatchLabels, ok = rd.stringMap(ml, child(field, "matchLabels"))
		good = good && ok
	}
	if me, ok := m["matchExpressions"]; ok {
		f := child(field, "matchExpressions")
		if l, ok := rd.list(me, f); ok {
			for i, e := range l {
				fi := item(f, i)
				em, ok := rd.object(e, fi, "key", "operator", "values")
				if !ok {
					good = false
					continue
				}
				var req metav1.LabelSelectorRequirement
				k, ok1 := rd.str(em["key"], child(fi, "key"))
				op, ok2 := rd.str(em["operator"], child(fi, "operator"))
				req.Key, req.Operator = k, metav1.LabelSelectorOperator(op)
				ok3 := true
				if vals, ok := em["values"]; ok {
					req.Values, ok3 = rd.strings(vals, child(fi, "values"))
				}
				good = good && ok1 && ok2 && ok3
				ls.MatchExpressions = append(ls.MatchExpressions, req)
			}
		} else {
			good = false
		}
	}
	if !good {
		return nil, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		rd.p.add(field, nil, err)
		return nil, nil
	}
	reqs, _ := sel.Requirements()
	keys := make([]string, 0, len(reqs))
	for _, r := range reqs {
		keys = append(keys, r.Key())
	}
	return sel, keys
}

// mapLabels adapts a JSON map of labels (metadata.labels) to labels.Labels without copying;
// non-string values count as absent.
type mapLabels map[string]any

func (m mapLabels) Has(k string) bool { _, ok := m.Lookup(k); return ok }

func (m mapLabels) Get(k string) string { v, _ := m.Lookup(k); return v }

func (m mapLabels) Lookup(k string) (string, bool) {
	s, ok := m[k].(string)
	return s, ok
}

// objectLabels returns the object's metadata.labels as labels.Labels.
func objectLabels(root map[string]any) labels.Labels {
	md, _ := root["metadata"].(map[string]any)
	l, _ := md["labels"].(map[string]any)
	return mapLabels(l)
}

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
