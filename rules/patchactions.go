package rules

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
	"github.com/wecforge/wecforge/transform/patch"
)

// The jsonPatch and mergePatch actions: their documents are decoded, their values normalized
// and their pointers parsed at compile time; package patch applies them per pair.

// patchOp is one compiled RFC 6902 operation.
type patchOp struct {
	field string // spec.actions[i].jsonPatch[j]
	op    string
	path  patch.Pointer
	from  patch.Pointer
	value any   // literal value (JSON-shaped), when expr is nil
	expr  *expr // valueExpression
}

// jsonPatchAction applies RFC 6902 operations in order, directly on the object tree.
type jsonPatchAction struct {
	base
	ops []patchOp
}

var patchOps = []string{"add", "remove", "replace", "move", "copy", "test"}

func (ac *actionCompiler) jsonPatch(v any, field string, b base) action {
	l, ok := ac.rd.list(v, field)
	if !ok {
		return nil
	}
	if len(l) == 0 {
		ac.rd.p.addf(field, "must not be empty")
		return nil
	}
	a := &jsonPatchAction{base: b}
	good := true
	for i, e := range l {
		op, ok := ac.patchOp(e, item(field, i))
		good = good && ok
		a.ops = append(a.ops, op)
	}
	if !good {
		return nil
	}
	return a
}

func (ac *actionCompiler) patchOp(v any, field string) (patchOp, bool) {
	m, ok := ac.rd.object(v, field, "op", "path", "from", "value", "valueExpression")
	if !ok {
		return patchOp{}, false
	}
	op := patchOp{field: field}
	good := true
	ptr := func(key string) patch.Pointer {
		f := child(field, key)
		s, ok := ac.rd.str(m[key], f)
		if !ok {
			good = false
			return patch.Pointer{}
		}
		p, err := patch.ParsePointer(s)
		if err != nil {
			var pe *patch.PointerError
			off := 0
			if errors.As(err, &pe) {
				off = pe.Offset
			}
			ac.rd.p.add(f, &Pos{Offset: off}, err)
			good = false
		} else if d := p.Depth(); d > ac.opts.maxPathDepth {
			ac.rd.p.add(f, nil, fmt.Errorf("%w: the pointer has %d tokens, more than the limit of %d (MaxPathDepth)", ErrPathTooDeep, d, ac.opts.maxPathDepth))
			good = false
		}
		return p
	}
	o, ok := ac.rd.str(m["op"], child(field, "op"))
	if !ok {
		return op, false
	}
	if !slices.Contains(patchOps, o) {
		ac.rd.p.addf(child(field, "op"), "unknown op %q (known: %s)", o, strings.Join(patchOps, ", "))
		return op, false
	}
	op.op = o
	op.path = ptr("path")
	_, hasFrom := m["from"]
	val, hasValue := m["value"]
	ve, hasExpr := m["valueExpression"]
	switch o {
	case "move", "copy":
		if !hasFrom {
			ac.rd.p.addf(child(field, "from"), "required for %s", o)
			good = false
		} else {
			op.from = ptr("from")
		}
		if hasValue || hasExpr {
			ac.rd.p.addf(field, "%s takes from, not a value", o)
			good = false
		}
		if good && o == "move" && op.from.IsAncestorOf(op.path) {
			ac.rd.p.addf(child(field, "path"), "cannot move %s into its own child %s", op.from, op.path)
			good = false
		}
		if good && o == "copy" && (op.from.IsAncestorOf(op.path) || op.from.Depth() == 0) {
			// Each such copy doubles the subtree: a few dozen of them make an object of
			// gigabytes. (Copying the whole document anywhere is copying into itself.)
			ac.rd.p.add(child(field, "path"), nil, fmt.Errorf("%w: cannot copy %q into its own subtree %q", ErrSelfCopy, op.from, op.path))
			good = false
		}
	case "remove":
		if hasFrom || hasValue || hasExpr {
			ac.rd.p.addf(field, "remove takes only a path")
			good = false
		}
	default: // add, replace, test
		if hasFrom {
			ac.rd.p.addf(child(field, "from"), "%s does not take from", o)
			good = false
		}
		switch {
		case hasValue && hasExpr:
			ac.rd.p.addf(field, "give value or valueExpression, not both")
			good = false
		case hasValue:
			nv, err := patch.Normalize(val)
			if err != nil {
				ac.rd.p.add(child(field, "value"), nil, err)
				good = false
			}
			op.value = nv
		case hasExpr:
			if op.expr = ac.expression(ve, child(field, "valueExpression"), resultAny); op.expr == nil {
				good = false
			}
		default:
			ac.rd.p.addf(field, "%s needs value or valueExpression", o)
			good = false
		}
	}
	return op, good
}

func (a *jsonPatchAction) apply(ev *pairEval, obj *transform.Object) error {
	for i := range a.ops {
		op := &a.ops[i]
		if err := op.apply(ev, obj); err != nil {
			if _, ok := err.(*actionError); ok {
				return err
			}
			return &actionError{field: op.field, path: op.path.String(), err: err}
		}
	}
	return nil
}

func (op *patchOp) apply(ev *pairEval, obj *transform.Object) error {
	if err := ev.env.Budget.Charge(1); err != nil {
		return err
	}
	var value any
	switch {
	case op.expr != nil:
		v, err := ev.evalJSON(op.expr)
		if err != nil {
			return err
		}
		value = v
	case op.op == "add" || op.op == "replace":
		if err := ev.env.Budget.ProduceValue(op.value); err != nil {
			return err
		}
		value = transform.DeepCopyValue(op.value) // the object owns what it is given
	default:
		value = op.value
	}
	switch op.op {
	case "add":
		return patch.Add(obj, op.path, value)
	case "remove":
		return patch.Remove(obj, op.path)
	case "replace":
		return patch.Replace(obj, op.path, value)
	case "move":
		return patch.Move(obj, op.from, op.path)
	case "copy":
		return patch.Copy(obj, op.from, op.path)
	default:
		return patch.Test(obj, op.path, value)
	}
}

func (a *jsonPatchAction) writes() []string {
	var out []string
	for _, op := range a.ops {
		if op.op != "test" {
			out = append(out, op.path.Location().String())
		}
		if op.op == "move" {
			out = append(out, op.from.Location().String())
		}
	}
	return out
}

// mergePatchAction applies an RFC 7386 merge patch on the object tree.
type mergePatchAction struct {
	base
	field string
	patch map[string]any
}

func (ac *actionCompiler) mergePatch(v any, field string, b base) action {
	m, ok := v.(map[string]any)
	if !ok {
		ac.rd.p.addf(field, "must be a map (a merge patch of the object), not %s", transform.Describe(v))
		return nil
	}
	if len(m) == 0 {
		ac.rd.p.addf(field, "must not be empty")
		return nil
	}
	nv, err := patch.Normalize(m)
	if err != nil {
		ac.rd.p.add(field, nil, err)
		return nil
	}
	return &mergePatchAction{base: b, field: field, patch: nv.(map[string]any)}
}

func (a *mergePatchAction) apply(_ *pairEval, obj *transform.Object) error {
	if err := patch.Merge(obj, nil, a.patch); err != nil {
		return &actionError{field: a.field, err: err}
	}
	return nil
}

func (a *mergePatchAction) writes() []string {
	var out []string
	var walk func(loc jsonpath.Location, m map[string]any)
	walk = func(loc jsonpath.Location, m map[string]any) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			cl := loc.Child(jsonpath.Step{Key: k})
			if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
				walk(cl, sub)
				continue
			}
			out = append(out, cl.String())
		}
	}
	walk(nil, a.patch)
	return out
}
