package transform

import (
	"errors"
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
