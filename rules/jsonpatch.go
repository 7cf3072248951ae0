package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// pointer is a parsed RFC 6901 JSON Pointer: its reference tokens, unescaped.
type pointer struct {
	text   string
	tokens []string
}

// parsePointer parses text; the error carries the byte offset of the problem.
func parsePointer(text string) (pointer, int, error) {
	if text == "" {
		return pointer{}, 0, fmt.Errorf("the pointer \"\" is the whole object, which a patch may not replace")
	}
	if text[0] != '/' {
		return pointer{}, 0, fmt.Errorf("invalid JSON pointer %q: it must start with /", text)
	}
	p := pointer{text: text}
	start := 1
	for i := 1; i <= len(text); i++ {
		if i < len(text) && text[i] != '/' {
			if text[i] == '~' && (i+1 >= len(text) || (text[i+1] != '0' && text[i+1] != '1')) {
				return pointer{}, i, fmt.Errorf("invalid JSON pointer %q at position %d: ~ must be followed by 0 or 1", text, i)
			}
			continue
		}
		tok := strings.ReplaceAll(strings.ReplaceAll(text[start:i], "~1", "/"), "~0", "~")
		p.tokens = append(p.tokens, tok)
		start = i + 1
	}
	return p, 0, nil
}

// String returns the pointer text.
func (p pointer) String() string { return p.text }

// staticPath formats the pointer as a field path, reading decimal tokens as list indexes.
func (p pointer) staticPath() string {
	loc := make(jsonpath.Location, 0, len(p.tokens))
	for _, t := range p.tokens {
		if n, ok := arrayIndex(t); ok {
			loc = append(loc, jsonpath.Step{Index: n, IsIndex: true})
		} else {
			loc = append(loc, jsonpath.Step{Key: t})
		}
	}
	return loc.String()
}

// arrayIndex parses an RFC 6901 array index: decimal digits without a leading zero.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 1 && tok[0] == '0' || len(tok) > 9 {
		return 0, false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return 0, false
		}
	}
	n, _ := strconv.Atoi(tok)
	return n, true
}

// resolve maps the pointer onto the current tree. It returns the location of the parent, the
// last token, and the parent value. The parent must exist.
func (p pointer) resolve(obj *transform.Object) (jsonpath.Location, string, any, error) {
	loc := make(jsonpath.Location, 0, len(p.tokens))
	var cur any = obj.Root()
	for i, t := range p.tokens[:len(p.tokens)-1] {
		step, next, err := stepInto(cur, t)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%w: %s: %w", ErrPatch, "/"+strings.Join(escapeTokens(p.tokens[:i+1]), "/"), err)
		}
		loc = append(loc, step)
		cur = next
	}
	return loc, p.tokens[len(p.tokens)-1], cur, nil
}

func escapeTokens(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return out
}

// stepInto follows one existing token.
func stepInto(cur any, tok string) (jsonpath.Step, any, error) {
	switch c := cur.(type) {
	case map[string]any:
		v, ok := c[tok]
		if !ok {
			return jsonpath.Step{}, nil, fmt.Errorf("no member %q", tok)
		}
		return jsonpath.Step{Key: tok}, v, nil
	case []any:
		n, ok := arrayIndex(tok)
		if !ok {
			return jsonpath.Step{}, nil, fmt.Errorf("%q is not a list index", tok)
		}
		if n >= len(c) {
			return jsonpath.Step{}, nil, fmt.Errorf("index %d is out of range (the list has %d items)", n, len(c))
		}
		return jsonpath.Step{Index: n, IsIndex: true}, c[n], nil
	}
	return jsonpath.Step{}, nil, fmt.Errorf("cannot descend into %s", transform.Describe(cur))
}

// patchOp is one compiled RFC 6902 operation.
type patchOp struct {
	field string // spec.actions[i].jsonPatch[j]
	op    string
	path  pointer
	from  pointer
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
	ptr := func(key string) pointer {
		f := child(field, key)
		s, ok := ac.rd.str(m[key], f)
		if !ok {
			good = false
			return pointer{}
		}
		p, off, err := parsePointer(s)
		if err != nil {
			ac.rd.p.add(f, &Pos{Offset: off}, err)
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
		if good && o == "move" && isPrefix(op.from.tokens, op.path.tokens) && len(op.from.tokens) < len(op.path.tokens) {
			ac.rd.p.addf(child(field, "path"), "cannot move %s into its own child %s", op.from, op.path)
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
			nv, err := normalizeJSON(val)
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

func isPrefix(a, b []string) bool {
	return len(a) <= len(b) && slices.Equal(a, b[:len(a)])
}

func (a *jsonPatchAction) apply(ev *pairEval, obj *transform.Object) error {
	for i := range a.ops {
		op := &a.ops[i]
		if err := op.apply(ev, obj); err != nil {
			if _, ok := err.(*actionError); ok {
				return err
			}
			return &actionError{field: op.field, path: op.path.text, err: err}
		}
	}
	return nil
}

func (op *patchOp) apply(ev *pairEval, obj *transform.Object) error {
	var value any
	switch {
	case op.expr != nil:
		v, err := ev.evalJSON(op.expr)
		if err != nil {
			return err
		}
		value = v
	case op.op == "add" || op.op == "replace":
		value = transform.DeepCopyValue(op.value)
	default:
		value = op.value
	}
	switch op.op {
	case "add":
		return patchAdd(obj, op.path, value)
	case "remove":
		_, err := patchRemove(obj, op.path)
		return err
	case "replace":
		loc, err := existing(obj, op.path)
		if err != nil {
			return err
		}
		return obj.SetAt(loc, value)
	case "move":
		if slices.Equal(op.from.tokens, op.path.tokens) {
			_, err := existing(obj, op.from)
			return err
		}
		v, err := patchRemove(obj, op.from)
		if err != nil {
			return fmt.Errorf("from: %w", err)
		}
		return patchAdd(obj, op.path, v)
	case "copy":
		loc, err := existing(obj, op.from)
		if err != nil {
			return fmt.Errorf("from: %w", err)
		}
		v, _ := obj.Get(loc)
		return patchAdd(obj, op.path, transform.DeepCopyValue(v))
	default: // test
		loc, err := existing(obj, op.path)
		if err != nil {
			return err
		}
		if v, _ := obj.Get(loc); !jsonEqual(v, value) {
			return fmt.Errorf("%w: the value is %s, not %s", ErrTestFailed, short(v), short(value))
		}
		return nil
	}
}

// existing returns the location of an existing node.
func existing(obj *transform.Object, p pointer) (jsonpath.Location, error) {
	loc, last, parent, err := p.resolve(obj)
	if err != nil {
		return nil, err
	}
	step, _, err := stepInto(parent, last)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrPatch, p, err)
	}
	return append(loc, step), nil
}

// patchAdd implements "add": set a member, insert into a list (at an index or at the end with
// "-"). The parent must exist.
func patchAdd(obj *transform.Object, p pointer, value any) error {
	loc, last, parent, err := p.resolve(obj)
	if err != nil {
		return err
	}
	switch c := parent.(type) {
	case map[string]any:
		return obj.SetAt(append(loc, jsonpath.Step{Key: last}), value)
	case []any:
		n, ok := len(c), last == "-"
		if !ok {
			if n, ok = arrayIndex(last); !ok || n > len(c) {
				return fmt.Errorf("%w: %s: cannot insert at %q (the list has %d items)", ErrPatch, p, last, len(c))
			}
		}
		out := make([]any, 0, len(c)+1)
		out = append(append(append(out, c[:n]...), value), c[n:]...)
		return obj.SetAt(loc, out)
	}
	return fmt.Errorf("%w: %s: the parent is %s, not a map or list", ErrPatch, p, transform.Describe(parent))
}

// patchRemove implements "remove" and returns the removed value.
func patchRemove(obj *transform.Object, p pointer) (any, error) {
	loc, err := existing(obj, p)
	if err != nil {
		return nil, err
	}
	v, _ := obj.Get(loc)
	obj.RemoveAt(loc)
	return v, nil
}

// jsonEqual compares JSON values as RFC 6902 "test" does: numbers by value.
func jsonEqual(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, jsonEqual)
	}
	return a == b
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

// short formats a value for messages, truncated.
func short(v any) string {
	s := fmt.Sprintf("%v", v)
	if s2, ok := v.(string); ok {
		s = strconv.Quote(s2)
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

func (a *jsonPatchAction) writes() []string {
	var out []string
	for _, op := range a.ops {
		if op.op != "test" {
			out = append(out, op.path.staticPath())
		}
		if op.op == "move" {
			out = append(out, op.from.staticPath())
		}
	}
	return out
}
