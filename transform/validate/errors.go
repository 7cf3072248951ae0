package validate

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/transform"
)

var (
	// ErrInvalid is wrapped by every [*Error]: a rendered object does not match its schema.
	ErrInvalid = errors.New("object does not match its schema")
	// ErrNoSchema is wrapped by every [*NoSchemaError]: the validator knows no schema for
	// the object's apiVersion and kind, so the object was not checked. It is a notice, never
	// a failure.
	ErrNoSchema = errors.New("no schema known")
	// ErrSchema is wrapped by every [*SchemaError]: a CustomResourceDefinition whose schema
	// cannot be used for validation.
	ErrSchema = errors.New("unusable schema")
)

// Violation is one place where an object does not match its schema.
type Violation struct {
	// Path is the field path in the style of traces (`.spec.template.spec.containers[0].image`);
	// when the schema's path cannot be located in the object, it is the schema's own path
	// (`.spec.template.spec.containers[name="c"].image`).
	Path string
	// Message says what the schema expected and what it got
	// (`expected numeric (int or float), got a string: "3"`, `field not declared in schema`).
	Message string
	// Expected is the type the schema declares for the field (`numeric (int or float)`,
	// `string`, `map`, `list`); empty when the violation is not about a type (an undeclared
	// field).
	Expected string
	// By names the stage, rule or template that last wrote the field or one of its
	// ancestors (from the render's trace); empty when the render did not write it (the value
	// came with the input).
	By string
}

// String formats `path: message (written by BY)` or, for a value that came with the input,
// `path: message (from the input)`.
func (v Violation) String() string {
	by := "from the input"
	if v.By != "" {
		by = "written by " + v.By
	}
	return v.Path + ": " + v.Message + " (" + by + ")"
}

// Error is a rendered object that does not match its schema. It wraps [ErrInvalid].
type Error struct {
	// Object names the object.
	Object transform.ObjectRef
	// GVK is the apiVersion and kind whose schema was checked.
	GVK schema.GroupVersionKind
	// Violations are the places that do not match, in the order the schema walk found them
	// (never empty).
	Violations []Violation
}

// Error formats `does not match the schema of KIND: v1; v2`, each violation as
// [Violation.String] formats it. The object is left out: a [transform.RenderError] that wraps
// this error names it.
func (e *Error) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.String()
	}
	return fmt.Sprintf("does not match the schema of %s: %s", gvkString(e.GVK), strings.Join(parts, "; "))
}

// Unwrap returns [ErrInvalid].
func (e *Error) Unwrap() error { return ErrInvalid }

// FromInput reports whether every violation came with the input (no change of the render
// wrote it). Where inputs come from an API server, which validated them, this does not happen;
// a tool that reads inputs from files may report such objects instead of failing their pairs.
func (e *Error) FromInput() bool {
	for _, v := range e.Violations {
		if v.By != "" {
			return false
		}
	}
	return true
}

// NoSchemaError says that an object's kind has no schema. It wraps [ErrNoSchema].
type NoSchemaError struct {
	GVK schema.GroupVersionKind
}

// Error formats `no schema known for KIND: not validated`.
func (e *NoSchemaError) Error() string {
	return fmt.Sprintf("no schema known for %s: objects of this kind are not validated", gvkString(e.GVK))
}

// Unwrap returns [ErrNoSchema].
func (e *NoSchemaError) Unwrap() error { return ErrNoSchema }

// SchemaError is a CustomResourceDefinition whose schema cannot be used. Its kind is then
// treated as having no schema. It wraps [ErrSchema] and the cause.
type SchemaError struct {
	// CRD is the CustomResourceDefinition's metadata.name.
	CRD string
	// Version is the spec.versions[].name concerned; empty when the whole CRD is unusable.
	Version string
	// Err is the cause.
	Err error
}

// Error formats `CustomResourceDefinition NAME version V: cause`.
func (e *SchemaError) Error() string {
	s := "CustomResourceDefinition " + e.CRD
	if e.Version != "" {
		s += " version " + e.Version
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns [ErrSchema] and the cause.
func (e *SchemaError) Unwrap() []error { return []error{ErrSchema, e.Err} }

// gvkString formats `Kind.group/version` (`Deployment.apps/v1`, `ConfigMap/v1`).
func gvkString(gvk schema.GroupVersionKind) string {
	if gvk.Group == "" {
		return gvk.Kind + "/" + gvk.Version
	}
	return gvk.Kind + "." + gvk.Group + "/" + gvk.Version
}
