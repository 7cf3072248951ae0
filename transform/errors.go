package transform

import (
	"errors"
	"fmt"
	"strings"
)

// ErrRender is wrapped by every [RenderError].
var ErrRender = errors.New("render failed")

// RenderError is the failure of one (object, WEC) pair, or of one object in the
// WEC-independent stages (WEC empty). It names everything a user needs to find the problem.
type RenderError struct {
	// WEC is the cluster's name; empty for WEC-independent failures.
	WEC string
	// Object identifies the object.
	Object ObjectRef
	// By names the stage or rule and action that failed (`rule r: spec.actions[0].set.value`).
	By string
	// Path is the field path involved, when there is one (`.spec.replicas`).
	Path string
	// Err is the cause.
	Err error
}

// Error formats `wec W: Kind.group ns/name: by: path: cause`, leaving out empty parts.
func (e *RenderError) Error() string {
	var parts []string
	if e.WEC != "" {
		parts = append(parts, "wec "+e.WEC)
	}
	parts = append(parts, e.Object.String())
	if e.By != "" {
		parts = append(parts, e.By)
	}
	if e.Path != "" {
		parts = append(parts, e.Path)
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the cause and [ErrRender].
func (e *RenderError) Unwrap() []error { return []error{ErrRender, e.Err} }

// PathError is a failure at a field path; stages return it so the Pipeline can fill
// [RenderError.Path].
type PathError struct {
	Path string
	Err  error
}

// Error formats `path: cause`.
func (e *PathError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *PathError) Unwrap() error { return e.Err }

// InputStage is the By of a [RenderError] about the input object itself (too large or too
// deep before any stage ran).
const InputStage = "input"

// ErrStagePanic is wrapped by every [*PanicError].
var ErrStagePanic = errors.New("stage panicked")

// PanicError is a stage that panicked. The [Pipeline] recovers it and fails that object (in a
// WEC-independent stage or Prepare) or that pair alone; Value is what the stage panicked with.
type PanicError struct {
	Value any
}

// Error formats `stage panicked: value`.
func (e *PanicError) Error() string { return fmt.Sprintf("%s: %v", ErrStagePanic, e.Value) }

// Unwrap returns [ErrStagePanic], and Value when it is an error.
func (e *PanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrStagePanic, err}
	}
	return []error{ErrStagePanic}
}

// runStage runs t, turning a panic into a *PanicError.
func runStage(t Transform, env *Env, obj *Object) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r}
		}
	}()
	return t.Transform(env, obj)
}

// runPrepare runs pr.Prepare, turning a panic into a *PanicError.
func runPrepare(pr Preparer, env *Env, obj *Object) (t Transform, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, &PanicError{Value: r}
		}
	}()
	return pr.Prepare(env, obj)
}
