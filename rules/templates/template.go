package templates

import (
	"context"
	"fmt"
	"strings"
	"text/template"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

// tmplName is the name every parsed template gets; messages never show it.
const tmplName = "t"

// Template is one parsed template string, bound to its [Limits]. It is immutable and safe for
// concurrent use by any number of goroutines.
type Template struct {
	text    string
	lim     Limits
	tmpl    *template.Template // nil for a literal
	dynamic bool               // has loops or template calls: see bounds.go
	keys    []string           // property keys read, sorted
	allKeys bool               // reads the property map as a whole
	plan    plan               // fast path for text and {{ .key }} only; nil otherwise
}

// Parse parses text as a Go text/template with missingkey=error, to be executed over a WEC's
// properties. A text without "{{" is a literal: it is not parsed, never fails, and executes to
// itself. Parse errors are [*ParseError]s (wrapping [ErrSyntax]) with the line text/template
// reports.
//
// Parse also prepares the bounds of [Limits] (zero fields take the defaults): every loop
// iteration and every named-template call is charged in steps for the size of its body, and
// the builtin functions whose result can grow (print, printf, println, html, js, urlquery)
// are replaced by versions that fail when their result exceeds MaxStringBytes (and, in
// templates with loops, charge steps for what they produce). It records which properties the
// template reads (see [Template.Execute]).
func Parse(text string, lim Limits) (*Template, error) {
	t := &Template{text: text, lim: lim.normalized()}
	if !strings.Contains(text, "{{") {
		return t, nil
	}
	tm := template.New(tmplName).Option("missingkey=error").Funcs(boundedFuncs(t.lim.MaxStringBytes, nil))
	if _, err := tm.Parse(text); err != nil {
		return nil, newParseError(err)
	}
	t.keys, t.allKeys = analyze(tm) // before instrumentation adds nodes
	t.plan = makePlan(tm)
	t.dynamic = instrument(tm)
	t.tmpl = tm
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
	return t.ExecuteBudget(ctx, wec, deps, nil)
}

// ExecuteBudget is [Template.Execute] that also charges pair, the budget of the render it runs
// in (see [transform.Budget]; nil charges nothing): every step in steps and every byte written
// in bytes, so that the template's work counts against the whole render's limits as well as
// against its own. Exceeding pair fails with pair's [*transform.BudgetError].
func (t *Template) ExecuteBudget(ctx context.Context, wec *customization.WEC, deps *customization.Dependencies, pair *transform.Budget) (string, error) {
	if t.tmpl == nil {
		return t.text, nil
	}
	if wec == nil {
		return "", ErrNoWEC
	}
	t.record(deps)
	if t.plan != nil {
		if out, ok := t.plan.run(wec.Properties(), int(min(int64(t.lim.MaxStringBytes), pair.BytesLeft()))); ok &&
			int64(len(t.plan)) <= pair.StepsLeft() {
			_ = pair.Charge(int64(len(t.plan))) // both fit: checked above
			_ = pair.Produce(int64(len(out)))
			return out, nil
		}
	}
	b := budget{bytes: t.lim.MaxStringBytes, steps: t.lim.MaxSteps, maxBytes: t.lim.MaxStringBytes, maxSteps: t.lim.MaxSteps, kind: LimitStringBytes}
	w := newOutput(ctx, b, t.lim.MaxStringBytes)
	w.pair = pair
	return t.exec(w, wec.Properties())
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

// exec runs a parsed template into w, charging its output and steps to w's budget.
func (t *Template) exec(w *output, props map[string]string) (out string, err error) {
	if t.plan != nil {
		if out, ok := t.plan.run(props, int(min(int64(min(w.max, w.b.bytes)), w.pair.BytesLeft()))); ok && len(t.plan) <= w.b.steps &&
			int64(len(t.plan)) <= w.pair.StepsLeft() {
			w.b.bytes -= len(out)
			w.b.steps -= len(t.plan)
			_ = w.pair.Charge(int64(len(t.plan))) // both fit: checked above
			_ = w.pair.Produce(int64(len(out)))
			return out, nil
		}
	}
	w.reset(len(t.text))
	defer func() {
		// text/template re-panics runtime errors; bad input must never crash a render.
		if r := recover(); r != nil {
			out, err = "", &ExecError{Err: fmt.Errorf("template execution panicked: %v", r)}
		}
	}()
	tm := t.tmpl
	if t.dynamic {
		// Bind the functions to this execution's budget on a private clone (see bounds.go).
		if tm, err = t.tmpl.Clone(); err != nil {
			return "", &ExecError{Err: err}
		}
		tm.Funcs(boundedFuncs(t.lim.MaxStringBytes, w))
	}
	if err := tm.Execute(w, props); err != nil {
		return "", newExecError(err)
	}
	return w.buf.String(), nil
}
