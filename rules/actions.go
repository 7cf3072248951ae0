package rules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"

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
	if d := p.Depth(); d > ac.opts.maxPathDepth {
		ac.rd.p.add(field, nil, fmt.Errorf("%w: the path has %d segments, more than the limit of %d (MaxPathDepth)", ErrPathTooDeep, d, ac.opts.maxPathDepth))
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
