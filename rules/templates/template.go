package templates

import (
	"context"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/wecforge/wecforge/customization"
)

// tmplName is the name every parsed template gets; messages never show it.
const tmplName = "t"

// Template is one parsed template string, bound to its [Limits]. It is immutable and safe for
// concurrent use by any number of goroutines.
type Template struct {
	text    string
	lim     Limits
	tmpl    *template.Template // nil for a literal
	keys    []string           // property keys read, sorted
	allKeys bool               // reads the property map as a whole
}

// Parse parses text as a Go text/template with missingkey=error, to be executed over a WEC's
// properties. A text without "{{" is a literal: it is not parsed, never fails, and executes to
// itself. Parse errors are [*ParseError]s (wrapping [ErrSyntax]) with the line text/template
// reports.
//
// Parse also prepares the bounds of [Limits] (zero fields take the defaults): it makes every
// loop iteration and every named-template call count as a step, and replaces the builtin
// functions whose result can grow (print, printf, println, html, js, urlquery) by versions
// that fail when their result exceeds MaxStringBytes, so that no intermediate value grows
// beyond that either. It records which properties the template reads (see
// [Template.Execute]).
func Parse(text string, lim Limits) (*Template, error) {
	t := &Template{text: text, lim: lim.normalized()}
	if !strings.Contains(text, "{{") {
		return t, nil
	}
	tm := template.New(tmplName).Option("missingkey=error").Funcs(boundedFuncs(t.lim.MaxStringBytes))
	if _, err := tm.Parse(text); err != nil {
		return nil, newParseError(err)
	}
	for _, assoc := range tm.Templates() {
		if assoc.Tree == nil || assoc.Root == nil {
			continue
		}
		instrument(assoc.Root)
		if assoc != tm {
			// A call of a named template is a step, so recursion is bounded by MaxSteps.
			prependMarker(assoc.Root)
		}
	}
	t.tmpl = tm
	t.keys, t.allKeys = analyze(tm)
	return t, nil
}

// MustParse is [Parse] that panics on error, for tests and package-level templates.
func MustParse(text string, lim Limits) *Template {
	t, err := Parse(text, lim)
	if err != nil {
		panic(err)
	}
	return t
}

// Literal reports whether the text has no "{{" and therefore expands to itself.
func (t *Template) Literal() bool { return t.tmpl == nil }

// Text returns the template's source text.
func (t *Template) Text() string { return t.text }

// Properties returns the property keys the template reads through .key, $.key or
// index . "key" (sorted; shared, do not modify), and whether it reads the property map as a
// whole (range over it, pass it to a named template, use . as a value, index it with a
// computed key). The analysis is static and conservative: keys read only in branches not taken
// are included.
func (t *Template) Properties() (keys []string, all bool) { return t.keys, t.allKeys }

// Execute runs the template over wec.Properties() and returns the output. A literal returns
// its text and reads nothing. Otherwise Execute first records in deps (which may be nil) the
// properties the template may read — each key of [Template.Properties], or AllProperties —
// so that a failed execution still says what it depends on; then it executes.
//
// Errors: [ErrNoWEC] when wec is nil; [*ExecError] (wrapping [ErrExecution]) for failures of
// the template, with a [*MissingPropertyError] cause for {{ .key }} on a property the WEC does
// not have (index . "key" yields "" instead, as in KubeStellar); [*LimitError] when the output
// exceeds MaxStringBytes or execution exceeds MaxSteps; ctx's error when ctx is cancelled
// (checked every 256 steps). ctx may be nil.
func (t *Template) Execute(ctx context.Context, wec *customization.WEC, deps *customization.Dependencies) (string, error) {
	if t.tmpl == nil {
		return t.text, nil
	}
	if wec == nil {
		return "", ErrNoWEC
	}
	t.record(deps)
	b := budget{bytes: t.lim.MaxStringBytes, steps: t.lim.MaxSteps, maxBytes: t.lim.MaxStringBytes, maxSteps: t.lim.MaxSteps, kind: LimitStringBytes}
	return t.exec(ctx, wec.Properties(), &b)
}

// record adds what the template reads to deps.
func (t *Template) record(deps *customization.Dependencies) {
	if deps == nil {
		return
	}
	if t.allKeys {
		deps.AllProperties = true
	}
	for _, k := range t.keys {
		deps.AddProperty(k)
	}
}

// exec runs a parsed template, charging its output and steps to b.
func (t *Template) exec(ctx context.Context, props map[string]string, b *budget) (out string, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	w := &output{ctx: ctx, b: b, max: t.lim.MaxStringBytes}
	defer func() {
		// text/template re-panics runtime errors; bad input must never crash a render.
		if r := recover(); r != nil {
			out, err = "", &ExecError{Err: fmt.Errorf("template execution panicked: %v", r)}
		}
	}()
	if err := t.tmpl.Execute(w, props); err != nil {
		return "", newExecError(err)
	}
	return w.buf.String(), nil
}

// budget is what remains of the byte and step limits of one execution or one object.
type budget struct {
	bytes, steps       int
	maxBytes, maxSteps int
	kind               LimitKind // which limit bytes belongs to
}

// output is the io.Writer a template executes into: it enforces MaxStringBytes and the
// budget, counts steps (every Write, empty ones included) and checks ctx every 256 steps.
type output struct {
	ctx   context.Context
	b     *budget
	max   int
	buf   strings.Builder
	count uint
}

func (w *output) Write(p []byte) (int, error) {
	w.b.steps--
	if w.b.steps < 0 {
		return 0, &LimitError{Kind: LimitSteps, Max: w.b.maxSteps}
	}
	w.count++
	if w.count%256 == 0 {
		if err := w.ctx.Err(); err != nil {
			return 0, fmt.Errorf("template execution interrupted: %w", err)
		}
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
	w.b.bytes -= len(p)
	return w.buf.Write(p)
}

// instrument makes every iteration of every range loop below n write an empty text, which
// the output counts as a step.
func instrument(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			instrument(c)
		}
	case *parse.IfNode:
		instrument(n.List)
		instrument(n.ElseList)
	case *parse.WithNode:
		instrument(n.List)
		instrument(n.ElseList)
	case *parse.RangeNode:
		instrument(n.List)
		instrument(n.ElseList)
		prependMarker(n.List)
	}
}

// prependMarker inserts an empty text node at the start of l.
func prependMarker(l *parse.ListNode) {
	if l == nil {
		return
	}
	marker := &parse.TextNode{NodeType: parse.NodeText, Pos: l.Pos, Text: []byte{}}
	l.Nodes = append([]parse.Node{marker}, l.Nodes...)
}
