package templates

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// ExpandAnnotation is the annotation that opts an object into template expansion when its
// value is exactly ExpandAnnotationValue.
const (
	ExpandAnnotation      = "control.kubestellar.io/expand-templates"
	ExpandAnnotationValue = "true"
)

// StageName is the name of the expansion stage: the author of its changes in traces and the
// By of its errors.
const StageName = "templates"

// Expander is KubeStellar's template expansion as a per-WEC pipeline stage. It implements
// [transform.Preparer]: the [transform.Pipeline] calls Prepare once per object, which checks
// the opt-in annotation, walks every string leaf once and parses each distinct template string
// once; the bound transform it returns executes the templates for each WEC.
//
// It must run before any other per-WEC stage that edits string leaves (the pipeline order of
// docs/behaviour.md#pipeline-order puts it first); a leaf that no longer holds its template
// text when the bound transform runs is left alone. An Expander is immutable and safe for
// concurrent use.
type Expander struct {
	lim Limits
}

// NewExpander returns an Expander with the given limits (zero fields take the defaults).
func NewExpander(lim Limits) *Expander { return &Expander{lim: lim.normalized()} }

// Stage returns the Expander as a pipeline stage named [StageName].
func (e *Expander) Stage() transform.Stage { return transform.Stage{Name: StageName, Transform: e} }

// Limits returns the Expander's limits, defaults filled in.
func (e *Expander) Limits() Limits { return e.lim }

// Transform prepares and expands in one go, for use outside a [transform.Pipeline] (which
// calls Prepare once per object instead). It parses the object's templates on every call.
func (e *Expander) Transform(env *transform.Env, obj *transform.Object) error {
	t, err := e.Prepare(env, obj)
	if err != nil || t == nil {
		return err
	}
	return t.Transform(env, obj)
}

// Prepare binds the expansion to one object. It returns nil when the object does not opt in
// (annotation [ExpandAnnotation] not exactly "true") or has no string containing "{{". It
// never modifies obj.
//
// Every string leaf is visited in document order: map members in byte order of their keys,
// list items by index; map keys themselves are never templates and non-string leaves are
// left alone. A template that does not parse fails the object (so every WEC's render fails
// with it): the error is a [*transform.RenderError] naming the first such leaf in document
// order and wrapping its [*ParseError]; each further bad leaf is reported as a warning.
func (e *Expander) Prepare(env *transform.Env, obj *transform.Object) (transform.Transform, error) {
	root := obj.Root()
	if !optedIn(root) {
		return nil, nil
	}
	b := &bound{lim: e.lim}
	index := map[string]int{}
	var firstErr error
	var loc jsonpath.Location
	var walk func(v any)
	walk = func(v any) {
		switch c := v.(type) {
		case string:
			if !strings.Contains(c, "{{") {
				return
			}
			i, seen := index[c]
			if !seen {
				t, err := Parse(c, e.lim)
				if err != nil {
					i = -1
					if firstErr == nil {
						firstErr = &transform.RenderError{By: StageName, Path: loc.String(), Err: err}
					} else if env != nil {
						env.Warn("%s: %s: also failed: %v", StageName, loc, err)
					}
				} else {
					i = len(b.tmpls)
					b.tmpls = append(b.tmpls, t)
					t.record(&b.deps)
				}
				index[c] = i
			}
			if i >= 0 {
				b.leaves = append(b.leaves, leaf{loc: slices.Clone(loc), path: loc.String(), tmpl: i})
			}
		case map[string]any:
			keys := make([]string, 0, len(c))
			for k := range c {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				loc = append(loc, jsonpath.Step{Key: k})
				walk(c[k])
				loc = loc[:len(loc)-1]
			}
		case []any:
			for i, x := range c {
				loc = append(loc, jsonpath.Step{Index: i, IsIndex: true})
				walk(x)
				loc = loc[:len(loc)-1]
			}
		}
	}
	walk(root)
	if firstErr != nil {
		return nil, firstErr
	}
	if len(b.leaves) == 0 {
		return nil, nil
	}
	return b, nil
}

// optedIn reports whether the object's annotations ask for expansion.
func optedIn(root map[string]any) bool {
	md, _ := root["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	v, _ := ann[ExpandAnnotation].(string)
	return v == ExpandAnnotationValue
}

// leaf is one string leaf holding template tmpl.
type leaf struct {
	loc  jsonpath.Location
	path string // loc formatted, once per object
	tmpl int
}

// bound is the expansion of one object: its distinct templates (in order of first use) and
// its template leaves (in document order). Immutable after Prepare; safe for concurrent use.
type bound struct {
	lim    Limits
	tmpls  []*Template
	leaves []leaf
	deps   customization.Dependencies
}

// result is one distinct template's output for the WEC being rendered.
type result struct {
	done bool
	out  string
	err  error
}

// Transform expands every template leaf for env.WEC and writes the leaves whose output
// differs from their text. Each distinct template executes once per WEC. All of the object's
// outputs share one budget of MaxObjectBytes and MaxSteps.
//
// On failure the pair fails with a [*transform.RenderError] (By [StageName]) naming the first
// failing leaf in document order; the remaining leaves are still executed and each further
// failure is reported as a warning, except after a limit or cancellation error, which stops
// the expansion.
func (b *bound) Transform(env *transform.Env, obj *transform.Object) error {
	if env == nil || env.WEC == nil {
		return &transform.RenderError{By: StageName, Err: ErrNoWEC}
	}
	switch {
	case env.Deps == nil:
	case env.Deps.Empty():
		*env.Deps = b.deps
		// Room for what the rules after this stage add, so they rarely reallocate.
		env.Deps.Properties = append(make([]string, 0, len(b.deps.Properties)+8), b.deps.Properties...)
	default:
		env.Deps.Merge(b.deps)
	}
	props := env.WEC.Properties()
	w := newOutput(env.Context, budget{
		bytes: b.lim.MaxObjectBytes, steps: b.lim.MaxSteps,
		maxBytes: b.lim.MaxObjectBytes, maxSteps: b.lim.MaxSteps, kind: LimitObjectBytes,
	}, b.lim.MaxStringBytes)
	w.pair = env.Budget
	var small [8]result
	var results []result
	if len(b.tmpls) <= len(small) {
		results = small[:len(b.tmpls)]
	} else {
		results = make([]result, len(b.tmpls))
	}
	var firstErr error
	earlierWrites := obj.Modified()
	for _, l := range b.leaves {
		t := b.tmpls[l.tmpl]
		r := &results[l.tmpl]
		if !r.done {
			r.done = true
			r.out, r.err = t.exec(w, props)
		} else if r.err == nil {
			// A repeated template counts against the object's output once per leaf.
			if len(r.out) > w.b.bytes {
				r.err = &LimitError{Kind: LimitObjectBytes, Max: w.b.maxBytes}
			} else if err := w.pair.Produce(int64(len(r.out))); err != nil {
				r.err = err
			} else {
				w.b.bytes -= len(r.out)
			}
		}
		if r.err != nil {
			stop := isFatal(r.err)
			if firstErr == nil {
				firstErr = &transform.RenderError{By: StageName, Path: l.path, Err: r.err}
			} else {
				env.Warn("%s: %s: also failed: %v", StageName, l.path, r.err)
			}
			if stop {
				break
			}
			continue
		}
		if firstErr != nil || r.out == t.text {
			continue
		}
		// A leaf an earlier per-WEC stage changed is no longer this template (the leaves are
		// distinct, so this stage's own writes never change another leaf).
		if earlierWrites {
			if cur, ok := obj.Get(l.loc); !ok || cur != any(t.text) {
				continue
			}
		}
		if err := obj.SetAtPath(l.loc, l.path, r.out); err != nil {
			return &transform.RenderError{By: StageName, Path: l.path, Err: err}
		}
	}
	return firstErr
}

// isFatal reports whether an error ends the expansion of the object for this WEC.
func isFatal(err error) bool {
	return errors.Is(err, ErrLimit) || errors.Is(err, transform.ErrBudget) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// String describes the bound expansion (for debugging).
func (b *bound) String() string {
	return fmt.Sprintf("templates: %d leaves, %d distinct templates", len(b.leaves), len(b.tmpls))
}
