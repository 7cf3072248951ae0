package rules

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// action is one compiled entry of spec.actions.
type action interface {
	// apply edits obj for one pair. Errors are *actionError naming the field that failed.
	apply(ev *pairEval, obj *transform.Object) error
	// writes returns the field paths the action may write, for conflict detection (static
	// approximations: `.spec.replicas`, `.metadata.labels.tier`, `image:NAME`).
	writes() []string
	// by returns the author recorded in traces (`rule r: spec.actions[0]`).
	by() string
}

// actionError is a runtime failure of one part of an action.
type actionError struct {
	field string // `spec.actions[0].set.value`
	path  string // the object's field path involved, if any
	err   error
}

func (e *actionError) Error() string { return e.field + ": " + e.err.Error() }
func (e *actionError) Unwrap() error { return e.err }

// actionKinds are the keys of an action, exactly one per list item.
var actionKinds = []string{"set", "remove", "jsonPatch", "mergePatch", "image", "labels", "annotations", "replicas"}

// actionCompiler compiles the actions of one rule.
type actionCompiler struct {
	*compiler
	rd    reader
	env   *cel.Env
	r     *rule
	names []string     // variables visible to actions
	exprs []actionExpr // the actions' expressions in evaluation order
	index int          // the index of the action being compiled
}

// actionExpr is an action's expression and the index of its action.
type actionExpr struct {
	x      *expr
	action int
}

func (ac *actionCompiler) action(v any, field string) action {
	m, ok := ac.rd.object(v, field, actionKinds...)
	if !ok {
		return nil
	}
	var kinds []string
	for _, k := range actionKinds {
		if _, ok := m[k]; ok {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		if len(m) == 0 {
			ac.rd.p.addf(field, "empty action: give exactly one of %s", strings.Join(actionKinds, ", "))
		}
		return nil
	case 1:
	default:
		ac.rd.p.addf(field, "an action has exactly one of %s, not %s", strings.Join(actionKinds, ", "), strings.Join(kinds, " and "))
		return nil
	}
	k := kinds[0]
	f := child(field, k)
	b := base{author: fmt.Sprintf("rule %s: %s", ac.r.name, field)}
	switch k {
	case "set":
		return ac.set(m[k], f, b)
	case "remove":
		return ac.remove(m[k], f, b)
	case "jsonPatch":
		return ac.jsonPatch(m[k], f, b)
	case "mergePatch":
		return ac.mergePatch(m[k], f, b)
	case "image":
		return ac.image(m[k], f, b)
	case "labels", "annotations":
		return ac.metaMap(m[k], f, k, b)
	default:
		return ac.replicas(m[k], f, b)
	}
}

// base carries what every action has.
type base struct{ author string }

func (b base) by() string { return b.author }

// path parses a JSONPath field; problems carry the byte offset.
func (ac *actionCompiler) path(v any, field string) *jsonpath.Path {
	text, ok := ac.rd.str(v, field)
	if !ok {
		return nil
	}
	p, err := jsonpath.Parse(text)
	if err != nil {
		var pe *jsonpath.ParseError
		if errors.As(err, &pe) {
			ac.rd.p.add(field, &Pos{Offset: pe.Pos}, err)
		} else {
			ac.rd.p.add(field, nil, err)
		}
		return nil
	}
	return p
}

// template parses a template field.
func (ac *actionCompiler) template(v any, field string) *templates.Template {
	text, ok := ac.rd.str(v, field)
	if !ok {
		return nil
	}
	t, err := templates.Parse(text, ac.opts.limits)
	if err != nil {
		var pe *templates.ParseError
		if errors.As(err, &pe) && pe.Line > 0 {
			ac.rd.p.add(field, &Pos{Line: pe.Line}, err)
		} else {
			ac.rd.p.add(field, nil, err)
		}
		return nil
	}
	return t
}

// expression compiles a CEL field of an action.
func (ac *actionCompiler) expression(v any, field string, want resultKind) *expr {
	text, ok := ac.rd.str(v, field)
	if !ok {
		return nil
	}
	x := compileExpr(ac.env, ac.rd.p, field, text, want, ac.opts.costLimit, actionScope(ac.names))
	if x != nil {
		ac.exprs = append(ac.exprs, actionExpr{x: x, action: ac.index})
	}
	return x
}

// setAction writes a CEL value or a template's string at every target of a path.
type setAction struct {
	base
	field  string
	path   *jsonpath.Path
	target string // the path as a field path (`.spec.replicas`), for error messages
	// names is the location of a path of name selectors only (its one target), with its
	// trace form namesText; nil for other paths.
	names     jsonpath.Location
	namesText string
	value     *expr
	tmpl      *templates.Template
}

func (ac *actionCompiler) set(v any, field string, b base) action {
	m, ok := ac.rd.object(v, field, "path", "value", "template")
	if !ok {
		return nil
	}
	a := &setAction{base: b, field: field}
	if pv, ok := m["path"]; ok {
		a.path = ac.path(pv, child(field, "path"))
		if a.path != nil {
			a.target = strings.TrimPrefix(a.path.String(), "$")
			if loc, ok := a.path.Names(); ok {
				a.names, a.namesText = loc, loc.String()
			}
		}
	} else {
		ac.rd.p.addf(child(field, "path"), "required")
	}
	vv, hasValue := m["value"]
	tv, hasTmpl := m["template"]
	switch {
	case hasValue && hasTmpl:
		ac.rd.p.addf(field, "give value (a CEL expression) or template (a string), not both")
	case hasValue:
		if _, isStr := vv.(string); !isStr {
			ac.rd.p.addf(child(field, "value"), "must be a CEL expression string, not %s (quote a literal: \"3\", \"'text'\")", transform.Describe(vv))
			return nil
		}
		a.value = ac.expression(vv, child(field, "value"), resultAny)
	case hasTmpl:
		a.tmpl = ac.template(tv, child(field, "template"))
	default:
		ac.rd.p.addf(field, "needs value (a CEL expression) or template (a string)")
	}
	if a.path == nil || (a.value == nil && a.tmpl == nil) {
		return nil
	}
	return a
}

func (a *setAction) apply(ev *pairEval, obj *transform.Object) error {
	var v any
	if a.value != nil {
		val, err := ev.evalJSON(a.value)
		if err != nil {
			var ae *actionError
			if errors.As(err, &ae) && ae.path == "" {
				cp := *ae
				cp.path = a.target
				return &cp
			}
			return err
		}
		v = val
	} else {
		s, err := ev.template(a.tmpl)
		if err != nil {
			return &actionError{field: child(a.field, "template"), path: a.target, err: err}
		}
		v = s
	}
	if a.names != nil && obj.SetAtPath(a.names, a.namesText, v) == nil {
		return nil // the one target of a names-only path; on error Set below explains
	}
	n, err := obj.Set(a.path, v)
	if err != nil {
		return &actionError{field: child(a.field, "path"), path: a.path.String(), err: err}
	}
	if n == 0 {
		obj.Note(a.path.String(), "set: the path matched nothing")
	}
	return nil
}

func (a *setAction) writes() []string { return []string{staticPath(a.path)} }

// removeAction deletes every node a path matches.
type removeAction struct {
	base
	path *jsonpath.Path
}

func (ac *actionCompiler) remove(v any, field string, b base) action {
	m, ok := ac.rd.object(v, field, "path")
	if !ok {
		return nil
	}
	pv, ok := m["path"]
	if !ok {
		ac.rd.p.addf(child(field, "path"), "required")
		return nil
	}
	if p := ac.path(pv, child(field, "path")); p != nil {
		return &removeAction{base: b, path: p}
	}
	return nil
}

func (a *removeAction) apply(_ *pairEval, obj *transform.Object) error {
	if obj.Remove(a.path) == 0 {
		obj.Note(a.path.String(), "remove: the path matched nothing")
	}
	return nil
}

func (a *removeAction) writes() []string { return []string{staticPath(a.path)} }

// metaMapAction adds (or replaces) and removes labels or annotations; added values are
// templates.
type metaMapAction struct {
	base
	field  string
	which  string // "labels" or "annotations"
	keys   []string
	values []*templates.Template
	locs   []jsonpath.Location // where each added key is written (.metadata.<which>.<key>)
	paths  []string            // locs formatted
	remove []string
}

func (ac *actionCompiler) metaMap(v any, field, which string, b base) action {
	m, ok := ac.rd.object(v, field, "add", "remove")
	if !ok {
		return nil
	}
	a := &metaMapAction{base: b, field: field, which: which}
	good := true
	if av, ok := m["add"]; ok {
		add, ok := ac.rd.stringMap(av, child(field, "add"))
		good = good && ok
		for _, k := range sortedKeys(add) {
			f := child(child(field, "add"), k)
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				ac.rd.p.addf(f, "invalid %s key %q: %s", strings.TrimSuffix(which, "s"), k, strings.Join(errs, "; "))
				good = false
				continue
			}
			t := ac.template(add[k], f)
			if t == nil {
				good = false
				continue
			}
			if which == "labels" && t.Literal() {
				if errs := validation.IsValidLabelValue(add[k]); len(errs) > 0 {
					ac.rd.p.addf(f, "invalid label value %q: %s", add[k], strings.Join(errs, "; "))
					good = false
				}
			}
			a.keys = append(a.keys, k)
			a.values = append(a.values, t)
			a.locs = append(a.locs, jsonpath.Location{{Key: "metadata"}, {Key: which}, {Key: k}})
			a.paths = append(a.paths, a.locs[len(a.locs)-1].String())
		}
	}
	if rv, ok := m["remove"]; ok {
		rem, ok := ac.rd.strings(rv, child(field, "remove"))
		good = good && ok
		for i, k := range rem {
			if slices.Contains(a.keys, k) {
				ac.rd.p.addf(item(child(field, "remove"), i), "%q is both added and removed", k)
				good = false
			}
		}
		a.remove = rem
	}
	if len(a.keys) == 0 && len(a.remove) == 0 && good {
		ac.rd.p.addf(field, "needs add or remove")
		return nil
	}
	if !good {
		return nil
	}
	return a
}

func (a *metaMapAction) apply(ev *pairEval, obj *transform.Object) error {
	for _, k := range a.remove {
		obj.RemoveAt(jsonpath.Location{{Key: "metadata"}, {Key: a.which}, {Key: k}})
	}
	if len(a.remove) > 0 && len(a.keys) == 0 {
		// A map left empty is dropped, as the generic removals do.
		loc := jsonpath.Location{{Key: "metadata"}, {Key: a.which}}
		if m, ok := obj.Get(loc); ok {
			if mm, ok := m.(map[string]any); ok && len(mm) == 0 {
				obj.RemoveAt(loc)
			}
		}
	}
	for i, k := range a.keys {
		s, err := ev.template(a.values[i])
		if err != nil {
			return &actionError{field: child(child(a.field, "add"), k), err: err}
		}
		loc := a.locs[i]
		if a.which == "labels" && !isLabelValue(s) {
			if errs := validation.IsValidLabelValue(s); len(errs) > 0 {
				return &actionError{field: child(child(a.field, "add"), k), path: loc.String(),
					err: fmt.Errorf("%w: invalid label value %q: %s", ErrResultType, s, strings.Join(errs, "; "))}
			}
		}
		if err := obj.SetAtPath(loc, a.paths[i], s); err != nil {
			return &actionError{field: child(child(a.field, "add"), k), path: a.paths[i], err: err}
		}
	}
	return nil
}

// isLabelValue is the syntax of a label value without a regular expression (validation's
// IsValidLabelValue, which explains a failure, runs only when this says no): at most 63
// characters, alphanumerics with '-', '_' and '.' between them, or empty.
func isLabelValue(s string) bool {
	if len(s) > validation.LabelValueMaxLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && (i == 0 || i == len(s)-1 || c != '-' && c != '_' && c != '.') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func (a *metaMapAction) writes() []string {
	var out []string
	for _, k := range append(slices.Clone(a.keys), a.remove...) {
		out = append(out, jsonpath.Location{{Key: "metadata"}, {Key: a.which}, {Key: k}}.String())
	}
	return out
}

// replicasAction sets .spec.replicas from a CEL int expression or a literal.
type replicasAction struct {
	base
	field   string
	value   *expr
	literal int64
}

var replicasLoc = jsonpath.Location{{Key: "spec"}, {Key: "replicas"}}

func (ac *actionCompiler) replicas(v any, field string, b base) action {
	m, ok := ac.rd.object(v, field, "value")
	if !ok {
		return nil
	}
	vv, ok := m["value"]
	if !ok {
		ac.rd.p.addf(child(field, "value"), "required")
		return nil
	}
	a := &replicasAction{base: b, field: field}
	if _, isStr := vv.(string); isStr {
		if a.value = ac.expression(vv, child(field, "value"), resultInt); a.value == nil {
			return nil
		}
		return a
	}
	n, ok := ac.rd.integer(vv, child(field, "value"))
	if !ok {
		return nil
	}
	if n < 0 || n > math.MaxInt32 {
		ac.rd.p.addf(child(field, "value"), "replicas must be between 0 and %d, not %d", math.MaxInt32, n)
		return nil
	}
	a.literal = n
	return a
}

func (a *replicasAction) apply(ev *pairEval, obj *transform.Object) error {
	n := a.literal
	if a.value != nil {
		v, err := ev.evalJSON(a.value)
		if err != nil {
			return err
		}
		i, ok := v.(int64)
		if !ok {
			return &actionError{field: a.value.field, path: replicasLoc.String(),
				err: fmt.Errorf("%w: replicas must be an int, not %s", ErrResultType, transform.Describe(v))}
		}
		if i < 0 || i > math.MaxInt32 {
			return &actionError{field: a.value.field, path: replicasLoc.String(),
				err: fmt.Errorf("%w: replicas must be between 0 and %d, not %d", ErrResultType, math.MaxInt32, i)}
		}
		n = i
	}
	if err := obj.SetAt(replicasLoc, n); err != nil {
		return &actionError{field: child(a.field, "value"), path: replicasLoc.String(), err: err}
	}
	return nil
}

func (a *replicasAction) writes() []string { return []string{replicasLoc.String()} }

// staticPath returns the field path a JSONPath writes, canonical when it uses only member
// names (`$['spec'].replicas` → `.spec.replicas`), its text otherwise.
func staticPath(p *jsonpath.Path) string {
	if p.Singular() {
		if ts := p.Targets(map[string]any{}, true); len(ts) == 1 {
			return ts[0].Location.String()
		}
	}
	return p.String()
}
