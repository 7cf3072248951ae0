package templates

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"
)

// Sentinel errors. Every error of this package wraps one of them, so callers classify with
// [errors.Is]; the typed errors below carry the details.
var (
	// ErrSyntax is wrapped by every [*ParseError].
	ErrSyntax = errors.New("template syntax error")
	// ErrExecution is wrapped by every [*ExecError].
	ErrExecution = errors.New("template execution failed")
	// ErrMissingProperty is wrapped by [*MissingPropertyError]: the template read a property
	// the WEC does not have ({{ .region }} with missingkey=error).
	ErrMissingProperty = errors.New("property not defined")
	// ErrLimit is wrapped by every [*LimitError].
	ErrLimit = errors.New("template limit exceeded")
	// ErrNoWEC is returned when a template must be executed without a WEC.
	ErrNoWEC = errors.New("templates need a WEC to expand")
)

// ParseError is a template string that text/template rejects. Line is 1-based (0 when
// text/template gave none); Msg is text/template's message without its "template: name:line:"
// prefix.
type ParseError struct {
	Line int
	Msg  string
}

// Error formats `template syntax error at line N: msg`.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("template syntax error at line %d: %s", e.Line, e.Msg)
	}
	return "template syntax error: " + e.Msg
}

// Unwrap returns [ErrSyntax].
func (e *ParseError) Unwrap() error { return ErrSyntax }

// ExecError is a failure while executing a template: where (Line and Col, 1-based, 0 when
// unknown), in which action (Action, text/template's rendering of the node, e.g. ".region")
// and why (Err, which may be a [*MissingPropertyError] or a [*LimitError]).
type ExecError struct {
	Line   int
	Col    int
	Action string
	Err    error
}

// Error formats `template line L col C in {{action}}: cause`.
func (e *ExecError) Error() string {
	var b strings.Builder
	b.WriteString("template")
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d col %d", e.Line, e.Col)
	}
	if e.Action != "" {
		fmt.Fprintf(&b, " in {{%s}}", e.Action)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("execution failed")
	}
	return b.String()
}

// Unwrap returns [ErrExecution] and the cause.
func (e *ExecError) Unwrap() []error { return []error{ErrExecution, e.Err} }

// MissingPropertyError is a template that read a property the WEC does not define.
type MissingPropertyError struct {
	Key string
}

// Error formats `property "key" is not defined for this WEC`.
func (e *MissingPropertyError) Error() string {
	return fmt.Sprintf("property %q is not defined for this WEC", e.Key)
}

// Unwrap returns [ErrMissingProperty].
func (e *MissingPropertyError) Unwrap() error { return ErrMissingProperty }

// LimitKind names the limit a [LimitError] hit.
type LimitKind uint8

// The limits of [Limits].
const (
	LimitStringBytes LimitKind = iota + 1
	LimitObjectBytes
	LimitSteps
)

// String returns the name of the matching [Limits] field.
func (k LimitKind) String() string {
	switch k {
	case LimitStringBytes:
		return "MaxStringBytes"
	case LimitObjectBytes:
		return "MaxObjectBytes"
	case LimitSteps:
		return "MaxSteps"
	}
	return "LimitKind(" + strconv.Itoa(int(k)) + ")"
}

// LimitError reports that expansion exceeded one of the [Limits]; Max is the limit's value.
type LimitError struct {
	Kind LimitKind
	Max  int
}

// Error says which limit was exceeded and its value.
func (e *LimitError) Error() string {
	switch e.Kind {
	case LimitStringBytes:
		return fmt.Sprintf("template output exceeds the limit of %d bytes per string", e.Max)
	case LimitObjectBytes:
		return fmt.Sprintf("template output exceeds the limit of %d bytes per object", e.Max)
	case LimitSteps:
		return fmt.Sprintf("template execution exceeds the limit of %d steps (loops and template calls are bounded)", e.Max)
	}
	return fmt.Sprintf("template limit %s (%d) exceeded", e.Kind, e.Max)
}

// Unwrap returns [ErrLimit].
func (e *LimitError) Unwrap() error { return ErrLimit }

// newParseError converts text/template's parse error ("template: name:line: msg").
func newParseError(err error) *ParseError {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "template: "+tmplName+":")
	if !ok {
		return &ParseError{Msg: strings.TrimPrefix(msg, "template: ")}
	}
	num, tail, ok := strings.Cut(rest, ": ")
	line, convErr := strconv.Atoi(num)
	if !ok || convErr != nil {
		return &ParseError{Msg: strings.TrimPrefix(msg, "template: ")}
	}
	return &ParseError{Line: line, Msg: tail}
}

// causeError keeps the cleaned message of a text/template execution error and what it wraps
// (for example a function's error).
type causeError struct {
	msg string
	err error
}

func (e *causeError) Error() string { return e.msg }
func (e *causeError) Unwrap() error { return e.err }

const missingKeyMsg = "map has no entry for key "

// newExecError converts text/template's execution error
// (`template: name:line:col: executing "name" at <action>: msg`). Errors that are not
// text/template's own (the output writer's limit and context errors) come back unchanged.
func newExecError(err error) error {
	var te template.ExecError
	if !errors.As(err, &te) {
		return err
	}
	msg := te.Err.Error()
	out := &ExecError{}
	if rest, ok := strings.CutPrefix(msg, "template: "+tmplName+":"); ok {
		loc, tail, _ := strings.Cut(rest, ": ")
		if l, c, ok := strings.Cut(loc, ":"); ok {
			out.Line, _ = strconv.Atoi(l)
			out.Col, _ = strconv.Atoi(c)
		} else {
			out.Line, _ = strconv.Atoi(loc)
		}
		msg = tail
		if after, ok := strings.CutPrefix(msg, "executing "); ok {
			// executing "name" at <action>: cause
			if _, at, ok := strings.Cut(after, " at <"); ok {
				if action, cause, ok := strings.Cut(at, ">: "); ok {
					out.Action, msg = action, cause
				}
			}
		}
	}
	if strings.HasPrefix(out.Action, stepFunc+" ") {
		// The instrumentation ran out of steps (or saw the context end): that is the error.
		if inner := errors.Unwrap(te.Err); inner != nil {
			return inner
		}
	}
	if i := strings.LastIndex(msg, missingKeyMsg); i >= 0 {
		if key, uerr := strconv.Unquote(msg[i+len(missingKeyMsg):]); uerr == nil {
			out.Err = &MissingPropertyError{Key: key}
			return out
		}
	}
	out.Err = &causeError{msg: msg, err: errors.Unwrap(te.Err)}
	return out
}
