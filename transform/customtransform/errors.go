package customtransform

import (
	"errors"
	"strings"
)

// ErrInvalid is wrapped by every [Error].
var ErrInvalid = errors.New("invalid CustomTransform")

// Error is one problem found in one CustomTransform.
type Error struct {
	// Name is the CustomTransform's name (or `customtransforms[i]` when it has none).
	Name string
	// Field is the field at fault (`spec.remove[2]`); empty for the object as a whole.
	Field string
	// Err is the cause; a *jsonpath.ParseError for an invalid query.
	Err error
}

// Error formats `customtransform NAME: FIELD: cause`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("customtransform ")
	b.WriteString(e.Name)
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns [ErrInvalid] and the cause.
func (e *Error) Unwrap() []error { return []error{ErrInvalid, e.Err} }
