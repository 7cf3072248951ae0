package transform

import (
	"context"
	"fmt"

	"github.com/wecforge/wecforge/customization"
)

// Env is what a transform sees besides the object: the context, the WEC (nil in
// WEC-independent stages), and sinks for warnings and dependencies. An Env belongs to one
// (object, WEC) render and is not safe for concurrent use.
type Env struct {
	// Context carries cancellation and deadlines for the render.
	Context context.Context
	// WEC is the cluster being rendered for; nil in WEC-independent stages.
	WEC *customization.WEC
	// Deps collects what the render read of the WEC. Never nil inside a Pipeline.
	Deps *customization.Dependencies
	// Object names the object being transformed (for messages).
	Object ObjectRef
	// Budget is what is left of the render's limits: stages charge it for their work and for
	// the values they create (see [Budget]). Inside a Pipeline it is never nil, except in the
	// project's own benchmarks that measure the budget's cost; a nil Budget charges nothing.
	Budget *Budget

	warnings []string
}

// Warn records a warning for this render (surfaced in the Result and the preview report).
func (e *Env) Warn(format string, args ...any) {
	e.warnings = append(e.warnings, fmt.Sprintf(format, args...))
}

// Warnings returns the warnings recorded so far.
func (e *Env) Warnings() []string { return e.warnings }

// Transform edits one object in place, for one WEC (or for none: env.WEC is nil in
// WEC-independent stages). Implementations must be safe for concurrent use by many renders:
// all per-render state lives in env and obj. env and obj belong to the render: a Pipeline
// reuses them for later renders, so a Transform must not keep them after it returns.
type Transform interface {
	Transform(env *Env, obj *Object) error
}

// Func adapts a function to [Transform].
type Func func(env *Env, obj *Object) error

// Transform calls f.
func (f Func) Transform(env *Env, obj *Object) error { return f(env, obj) }

// Preparer is implemented by per-WEC transforms that can do per-object work once (parse the
// object's templates, select the rules that may apply) instead of once per WEC. The
// [Pipeline] calls Prepare once per object, after the WEC-independent stages, with a read-only
// view of the object, and uses the returned transform for every WEC. Returning nil means the
// transform has nothing to do for this object.
type Preparer interface {
	Prepare(env *Env, obj *Object) (Transform, error)
}

// Chain runs transforms in order and stops at the first error.
func Chain(ts ...Transform) Transform {
	return Func(func(env *Env, obj *Object) error {
		for _, t := range ts {
			if err := t.Transform(env, obj); err != nil {
				return err
			}
		}
		return nil
	})
}

// When runs t only for objects that pred accepts.
func When(pred func(obj *Object) bool, t Transform) Transform {
	return Func(func(env *Env, obj *Object) error {
		if !pred(obj) {
			return nil
		}
		return t.Transform(env, obj)
	})
}

// ForGVK returns a predicate for [When] that accepts exactly one apiVersion and kind.
func ForGVK(apiVersion, kind string) func(obj *Object) bool {
	return func(obj *Object) bool {
		r := obj.Root()
		av, _ := r["apiVersion"].(string)
		k, _ := r["kind"].(string)
		return av == apiVersion && k == kind
	}
}

// Stage is a named transform in a [Pipeline]; the name is the author of its changes in traces.
type Stage struct {
	Name      string
	Transform Transform
}

// Named returns a [Stage].
func Named(name string, t Transform) Stage { return Stage{Name: name, Transform: t} }
