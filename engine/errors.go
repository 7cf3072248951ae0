package engine

import (
	"errors"
	"strings"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/transform"
)

var (
	// ErrDocument is wrapped by every [DocumentError]: a configuration document that is left
	// out of the engine (in whole, or for a CustomTransform in part).
	ErrDocument = errors.New("invalid configuration document")
	// ErrObject is wrapped by every [ObjectError]: a workload object that cannot be rendered
	// or placed.
	ErrObject = errors.New("invalid workload object")
	// ErrNoTypeMeta is wrapped when a document or object has no apiVersion and kind and the
	// caller supplied none.
	ErrNoTypeMeta = errors.New("no apiVersion and kind: the document does not say what it is and the caller did not supply its type")
	// ErrTypeMismatch is wrapped when the type a caller supplies contradicts the document's own
	// apiVersion and kind, or the resource contradicts the kind.
	ErrTypeMismatch = errors.New("the supplied type contradicts the document")
	// ErrNotConfiguration is wrapped when a document given as configuration is of a kind the
	// engine does not compile.
	ErrNotConfiguration = errors.New("not a configuration document (CustomTransform, CustomizationRule, BindingPolicy, Binding, StatusCollector or CustomResourceDefinition)")
	// ErrDuplicate is wrapped when an object (same group, kind, namespace and name) appears
	// more than once among the inputs.
	ErrDuplicate = errors.New("duplicate object")
	// ErrUnknownResource is wrapped when placement needs an object's resource and neither the
	// caller nor the mapper knows it.
	ErrUnknownResource = errors.New("unknown resource")
)

// DocumentError is one problem with one configuration document.
type DocumentError struct {
	// Source is where the document came from, as the caller named it (`file#3 (line 12)`);
	// `documents[i]` when the caller gave none.
	Source string
	// Kind and Name are the document's kind and metadata.name, when known.
	Kind, Name string
	// Err is the cause: a *customtransform.Error, *rules.CompileError, *placement.Error,
	// resources error, or one of this package's sentinels.
	Err error
}

// Error formats `SOURCE: cause`. A rule compile error already names its source and is printed
// as it is.
func (e *DocumentError) Error() string {
	var ce *rules.CompileError
	if errors.As(e.Err, &ce) && ce.Source == e.Source {
		return e.Err.Error()
	}
	return e.Source + ": " + e.Err.Error()
}

// Unwrap returns [ErrDocument] and the cause.
func (e *DocumentError) Unwrap() []error { return []error{ErrDocument, e.Err} }

// ObjectError is one problem with one workload object.
type ObjectError struct {
	// Source is where the object came from, as the caller named it; `objects[i]` when the
	// caller gave none.
	Source string
	// Ref names the object (kind and group may be empty when it has no TypeMeta).
	Ref transform.ObjectRef
	// Err is the cause.
	Err error
}

// Error formats `SOURCE: Kind.group ns/name: cause` (`SOURCE: object ns/name: cause` without a
// kind).
func (e *ObjectError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	b.WriteString(": ")
	switch {
	case e.Ref.Kind != "" && e.Ref.Name == "":
		// Ref.String would end in a blank.
		b.WriteString(strings.TrimSpace(e.Ref.String()))
		b.WriteString(" (without metadata.name): ")
	case e.Ref.Kind != "":
		b.WriteString(e.Ref.String())
		b.WriteString(": ")
	case e.Ref.Name != "":
		// Without a kind, Ref.String would start with a blank.
		b.WriteString("object ")
		if e.Ref.Namespace != "" {
			b.WriteString(e.Ref.Namespace + "/")
		}
		b.WriteString(e.Ref.Name)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns [ErrObject] and the cause.
func (e *ObjectError) Unwrap() []error { return []error{ErrObject, e.Err} }
