package manifests

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels wrapped by every [*Error]; test with errors.Is.
var (
	// ErrRead: a path could not be read (missing, unreadable, a directory without YAML files,
	// stdin named twice or not available).
	ErrRead = errors.New("cannot read input")
	// ErrSyntax: a document is not well-formed YAML, or a separator line carries content.
	ErrSyntax = errors.New("malformed YAML")
	// ErrNotObject: a document is not a mapping, or a List item is not one.
	ErrNotObject = errors.New("not an object")
	// ErrTooLarge: the inputs exceed [Options.MaxBytes].
	ErrTooLarge = errors.New("input too large")
	// ErrKeyCollision: two keys of one mapping read as the same key; see [KeyCollisionError].
	ErrKeyCollision = errors.New("keys collide")
)

// Error is a problem with one input file or document.
type Error struct {
	// Where is `file` or, for a document, `file#index (line N)`.
	Where string
	// Kind is the sentinel: ErrRead, ErrSyntax, ErrNotObject, ErrTooLarge or ErrKeyCollision.
	Kind error
	// Err is the cause (never nil).
	Err error
}

// Error returns `where: cause`.
func (e *Error) Error() string { return e.Where + ": " + e.Err.Error() }

// Unwrap returns the sentinel and the cause, so errors.Is matches either and errors.As
// reaches typed causes such as [*KeyCollisionError].
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// KeyCollisionError reports keys of one mapping that read as one JSON key.
type KeyCollisionError struct {
	// Path is the mapping's field path in the document, such as `.data` (`.` for the root).
	Path string
	// Key is the JSON key they all become, such as "true".
	Key string
	// Keys are the keys as written, in document order, with their lines, such as `y` (line 3).
	Keys []Key
}

// Key is a mapping key as written in the source.
type Key struct {
	// Text is the key as written: its value, quoted when the source quoted it.
	Text string
	// Line is the 1-based line of the file.
	Line int
}

// maxKeysShown bounds how many keys a collision message lists.
const maxKeysShown = 5

// Error names the mapping, the colliding keys (the first few of many) and what they all read as.
func (e *KeyCollisionError) Error() string {
	var parts, lines []string
	same := true
	for i, k := range e.Keys {
		same = same && k.Text == e.Keys[0].Text
		if i == maxKeysShown {
			more := fmt.Sprintf("and %d more", len(e.Keys)-i)
			parts, lines = append(parts, more), append(lines, more)
			continue
		} else if i > maxKeysShown {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (line %d)", k.Text, k.Line))
		lines = append(lines, fmt.Sprint(k.Line))
	}
	where := e.Path
	if where == "." {
		where = "top level"
	}
	if same {
		msg := fmt.Sprintf("%s: key %s is defined more than once (lines %s); kubectl would keep only the last",
			where, e.Keys[0].Text, strings.Join(lines, ", "))
		if e.Path == "." && (e.Key == "apiVersion" || e.Key == "kind") {
			msg += " (two objects without a --- line between them?)"
		}
		return msg
	}
	return fmt.Sprintf("%s: keys %s all read as the key %q (YAML 1.1, as kubectl reads them), so all but one would be lost; quote the keys or remove the duplicate",
		where, strings.Join(parts, ", "), e.Key)
}

// Is reports whether target is [ErrKeyCollision].
func (e *KeyCollisionError) Is(target error) bool { return target == ErrKeyCollision }

// Warning is a finding that does not stop the read: a plain YAML 1.1 boolean token.
type Warning struct {
	// File is the file as named (or `-` for stdin), Line the 1-based line of the token.
	File string
	Line int
	// Token is the token as written, such as `yes`; Key tells whether it is a mapping key.
	Token string
	Key   bool
	// Value is the boolean it reads as.
	Value bool
}

// String formats the warning for a user: `file:line: …`.
func (w Warning) String() string {
	role := "value"
	as := fmt.Sprintf("the boolean %t", w.Value)
	if w.Key {
		role = "key"
		as = fmt.Sprintf("the key %q", fmt.Sprint(w.Value))
	}
	return fmt.Sprintf("%s:%d: unquoted %s %s reads as %s (YAML 1.1, as kubectl reads it); write %q if you mean the string",
		w.File, w.Line, role, w.Token, as, w.Token)
}
