package patch

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// Sentinel errors, wrapped by every error an operation returns so that callers can test with
// errors.Is.
var (
	// ErrFailed is wrapped when an operation or a merge patch cannot be applied to an object.
	ErrFailed = errors.New("patch failed")
	// ErrTestFailed is wrapped when a [Test] does not hold.
	ErrTestFailed = errors.New("test operation failed")
)

// Add implements RFC 6902 "add": it sets the map member path names (replacing any value it
// had) or inserts value into a list at an index, or at the end for the token "-". The parent
// must exist. obj owns value afterwards: the caller must not modify it (pass a private copy,
// [transform.DeepCopyValue]). Errors wrap [ErrFailed].
func Add(obj *transform.Object, path Pointer, value any) error {
	loc, last, parent, err := path.resolve(obj)
	if err != nil {
		return err
	}
	switch c := parent.(type) {
	case map[string]any:
		return obj.SetAt(append(loc, jsonpath.Step{Key: last}), value)
	case []any:
		n, ok := len(c), last == "-"
		if !ok {
			if n, ok = arrayIndex(last); !ok || n > len(c) {
				return fmt.Errorf("%w: %s: cannot insert at %q (the list has %d items)", ErrFailed, path, last, len(c))
			}
		}
		out := make([]any, 0, len(c)+1)
		out = append(append(append(out, c[:n]...), value), c[n:]...)
		return obj.SetAt(loc, out)
	}
	return fmt.Errorf("%w: %s: the parent is %s, not a map or list", ErrFailed, path, transform.Describe(parent))
}

// Remove implements RFC 6902 "remove": the value at path must exist and is deleted (a list
// item's successors move up). Errors wrap [ErrFailed].
func Remove(obj *transform.Object, path Pointer) error {
	_, err := remove(obj, path)
	return err
}

// Replace implements RFC 6902 "replace": the value at path must exist and becomes value. obj
// owns value afterwards, as with [Add]. Errors wrap [ErrFailed].
func Replace(obj *transform.Object, path Pointer, value any) error {
	loc, err := existing(obj, path)
	if err != nil {
		return err
	}
	return obj.SetAt(loc, value)
}

// Move implements RFC 6902 "move": the value at from must exist; it is removed and added at
// path. Moving a value onto itself only checks that it exists; moving it into its own child
// fails ([Pointer.IsAncestorOf] lets a caller reject that beforehand). Errors about from are
// prefixed "from: "; all wrap [ErrFailed].
func Move(obj *transform.Object, from, path Pointer) error {
	if slices.Equal(from.tokens, path.tokens) {
		_, err := existing(obj, from)
		return err
	}
	v, err := remove(obj, from)
	if err != nil {
		return fmt.Errorf("from: %w", err)
	}
	return Add(obj, path, v)
}

// Copy implements RFC 6902 "copy": the value at from must exist; a private copy of it is added
// at path, so later writes below either place never show at the other. Errors about from are
// prefixed "from: "; all wrap [ErrFailed].
//
// The copy is charged to obj's budget ([transform.Budget.ProduceValue]) before it is made: a
// copy larger than what is left fails without being built.
func Copy(obj *transform.Object, from, path Pointer) error {
	loc, err := existing(obj, from)
	if err != nil {
		return fmt.Errorf("from: %w", err)
	}
	v, _ := obj.Get(loc)
	if err := obj.Budget().ProduceValue(v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrFailed, path, err)
	}
	return Add(obj, path, transform.DeepCopyValue(v))
}

// Test implements RFC 6902 "test": the value at path must exist and equal value as JSON values
// (numbers by value: 1 equals 1.0; maps regardless of member order; lists item by item). value
// is only read. A value that differs wraps [ErrTestFailed] and shows both values, truncated; a
// missing path wraps [ErrFailed]. Test never writes to obj.
func Test(obj *transform.Object, path Pointer, value any) error {
	loc, err := existing(obj, path)
	if err != nil {
		return err
	}
	if v, _ := obj.Get(loc); !jsonEqual(v, value) {
		return fmt.Errorf("%w: the value is %s, not %s", ErrTestFailed, short(v), short(value))
	}
	return nil
}

// existing returns the location of an existing node.
func existing(obj *transform.Object, p Pointer) (jsonpath.Location, error) {
	loc, last, parent, err := p.resolve(obj)
	if err != nil {
		return nil, err
	}
	step, _, err := stepInto(parent, last)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFailed, p, err)
	}
	return append(loc, step), nil
}

// remove implements "remove" and returns the removed value (read-only: it may be shared with
// the object's base).
func remove(obj *transform.Object, p Pointer) (any, error) {
	loc, err := existing(obj, p)
	if err != nil {
		return nil, err
	}
	v, _ := obj.Get(loc)
	obj.RemoveAt(loc)
	return v, nil
}

// jsonEqual compares JSON values as RFC 6902 "test" does: numbers by value.
func jsonEqual(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, jsonEqual)
	}
	return a == b
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

// short formats a value for messages, truncated.
func short(v any) string {
	s := fmt.Sprintf("%v", v)
	if s2, ok := v.(string); ok {
		s = strconv.Quote(s2)
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
