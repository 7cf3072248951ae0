package templates

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/wecforge/wecforge/transform"
)

// How execution is bounded.
//
// A template without range and without named-template calls ("static") executes each of its
// nodes at most once: its cost is linear in its text, and the functions that can grow a value
// are replaced by versions that fail beyond MaxStringBytes. It runs on the shared parsed
// template and each write to the output is one step.
//
// A template with loops or template calls ("dynamic") is instrumented at parse time: every
// range body and every named template starts with a call of stepFunc charging one step plus
// the number of parse nodes in that body, so the work of every iteration or call is paid for
// before it is done. Each execution runs on a clone of the parsed template whose functions
// are bound to that execution's budget, so the growing functions also charge one step per
// stepBytes bytes they produce. Users cannot call stepFunc: it is not defined at parse time.

// stepFunc is the name of the instrumentation function (not callable from user text).
const stepFunc = "wecforgeStep"

// stepBytes is how many bytes of function output cost one step in dynamic templates.
const stepBytes = 64

// ctxCheckEvery is how often (in charges) the context is checked.
const ctxCheckEvery = 256

// budget is what remains of the byte and step limits of one execution or one object.
type budget struct {
	bytes, steps       int
	maxBytes, maxSteps int
	kind               LimitKind // which limit bytes belongs to
}

// output is the io.Writer templates execute into: it enforces MaxStringBytes (per execution)
// and the budget (per execution, or shared by all executions for one object and WEC), counts
// steps and checks the context. One output serves one goroutine.
type output struct {
	ctx   context.Context
	b     budget
	max   int
	buf   strings.Builder
	count uint
	pair  *transform.Budget // the render's budget, charged as well; may be nil
}

// newOutput returns an output with the given budget; ctx may be nil.
func newOutput(ctx context.Context, b budget, max int) *output {
	if ctx == nil {
		ctx = context.Background()
	}
	return &output{ctx: ctx, b: b, max: max}
}

// reset starts the output of a new execution, sized for a result of about hint bytes.
func (w *output) reset(hint int) {
	w.buf = strings.Builder{}
	w.buf.Grow(min(hint, w.max))
}

// charge takes n steps from the budget and from the pair's.
func (w *output) charge(n int) error {
	w.b.steps -= n
	if w.b.steps < 0 {
		return &LimitError{Kind: LimitSteps, Max: w.b.maxSteps}
	}
	if err := w.pair.Charge(int64(n)); err != nil {
		return err
	}
	w.count++
	if w.count%ctxCheckEvery == 0 {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("template execution interrupted: %w", err)
		}
	}
	return nil
}

// Write appends p to the output; every write is a step, empty ones included.
func (w *output) Write(p []byte) (int, error) {
	if err := w.charge(1); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if w.buf.Len()+len(p) > w.max {
		return 0, &LimitError{Kind: LimitStringBytes, Max: w.max}
	}
	if len(p) > w.b.bytes {
		return 0, &LimitError{Kind: w.b.kind, Max: w.b.maxBytes}
	}
	if err := w.pair.Produce(int64(len(p))); err != nil {
		return 0, err
	}
	w.b.bytes -= len(p)
	return w.buf.Write(p)
}

// boundedFuncs returns replacements for the builtin functions whose result can be larger than
// their arguments. Each fails when its result exceeds max bytes, so that chains such as
// {{ js (js (js .x)) }} cannot build large values that are never written (and so escape the
// output limit). With w (dynamic templates), they also charge w's budget for what they
// produce, and stepFunc is defined.
func boundedFuncs(max int, w *output) template.FuncMap {
	check := func(s string) (string, error) {
		if len(s) > max {
			return "", &LimitError{Kind: LimitStringBytes, Max: max}
		}
		if w != nil {
			if err := w.charge(1 + len(s)/stepBytes); err != nil {
				return "", err
			}
		}
		return s, nil
	}
	fm := template.FuncMap{
		"print": func(args ...any) (string, error) { return check(fmt.Sprint(args...)) },
		"printf": func(f string, args ...any) (string, error) {
			if err := checkFormat(f, args, max); err != nil {
				return "", err
			}
			return check(fmt.Sprintf(f, args...))
		},
		"println":  func(args ...any) (string, error) { return check(fmt.Sprintln(args...)) },
		"html":     func(args ...any) (string, error) { return check(template.HTMLEscaper(args...)) },
		"js":       func(args ...any) (string, error) { return check(template.JSEscaper(args...)) },
		"urlquery": func(args ...any) (string, error) { return check(template.URLQueryEscaper(args...)) },
	}
	if w != nil {
		fm[stepFunc] = func(n int) (string, error) { return "", w.charge(n) }
	}
	return fm
}

// checkFormat rejects a printf format whose widths or precisions alone exceed max bytes
// ("%0999999999d", or "%*d" with a huge argument), before fmt builds the padded result.
func checkFormat(f string, args []any, max int) error {
	n := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c < '0' || c > '9' {
			n = 0
			if c == '*' {
				for _, a := range args {
					if v, ok := a.(int); ok && (v > max || v < -max) {
						return &LimitError{Kind: LimitStringBytes, Max: max}
					}
				}
			}
			continue
		}
		n = n*10 + int(c-'0')
		if n > max {
			return &LimitError{Kind: LimitStringBytes, Max: max}
		}
	}
	return nil
}

// instrument prepares a dynamic template: every range body and every named template other
// than the main one starts by charging its size in steps. It reports whether the template is
// dynamic (nothing is changed otherwise).
func instrument(tm *template.Template) bool {
	dynamic := false
	for _, assoc := range tm.Templates() {
		if assoc != tm || hasLoopOrCall(assoc.Root) {
			dynamic = true
		}
	}
	if !dynamic {
		return false
	}
	for _, assoc := range tm.Templates() {
		if assoc.Tree == nil || assoc.Root == nil {
			continue
		}
		instrumentLoops(assoc.Root)
		if assoc != tm {
			prependStep(assoc.Root)
		}
	}
	return true
}

func hasLoopOrCall(n parse.Node) bool {
	found := false
	walkNodes(n, func(n parse.Node) {
		switch n.(type) {
		case *parse.RangeNode, *parse.TemplateNode:
			found = true
		}
	})
	return found
}

func instrumentLoops(n parse.Node) {
	walkNodes(n, func(n parse.Node) {
		if r, ok := n.(*parse.RangeNode); ok {
			prependStep(r.List)
		}
	})
}

// prependStep inserts {{wecforgeStep N}} at the start of l, N being 1 plus l's node count.
func prependStep(l *parse.ListNode) {
	if l == nil {
		return
	}
	n := 1
	walkNodes(l, func(parse.Node) { n++ })
	num := &parse.NumberNode{NodeType: parse.NodeNumber, Pos: l.Pos, IsInt: true, Int64: int64(n), Text: strconv.Itoa(n)}
	cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: l.Pos, Args: []parse.Node{parse.NewIdentifier(stepFunc).SetPos(l.Pos), num}}
	pipe := &parse.PipeNode{NodeType: parse.NodePipe, Pos: l.Pos, Cmds: []*parse.CommandNode{cmd}}
	action := &parse.ActionNode{NodeType: parse.NodeAction, Pos: l.Pos, Pipe: pipe}
	l.Nodes = append([]parse.Node{action}, l.Nodes...)
}

// walkNodes calls fn for n and every node below it (pipelines, commands and arguments
// included), before any instrumentation is added below a node it has visited.
func walkNodes(n parse.Node, fn func(parse.Node)) {
	switch n := n.(type) {
	case nil:
		return
	case *parse.ListNode:
		if n == nil {
			return
		}
		fn(n)
		for _, c := range n.Nodes {
			walkNodes(c, fn)
		}
		return
	case *parse.PipeNode:
		if n == nil {
			return
		}
		fn(n)
		for _, d := range n.Decl {
			walkNodes(d, fn)
		}
		for _, c := range n.Cmds {
			walkNodes(c, fn)
		}
		return
	}
	fn(n)
	switch n := n.(type) {
	case *parse.ActionNode:
		walkNodes(n.Pipe, fn)
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkNodes(a, fn)
		}
	case *parse.ChainNode:
		walkNodes(n.Node, fn)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.TemplateNode:
		walkNodes(n.Pipe, fn)
	}
}

func walkBranch(b *parse.BranchNode, fn func(parse.Node)) {
	walkNodes(b.Pipe, fn)
	walkNodes(b.List, fn)
	walkNodes(b.ElseList, fn)
}
