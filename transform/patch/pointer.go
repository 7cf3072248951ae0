package patch

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// Pointer is a parsed RFC 6901 JSON Pointer: its text and its reference tokens, unescaped.
// The zero Pointer is the empty pointer, which ParsePointer never returns and every operation
// rejects. A Pointer is immutable and safe for concurrent use.
type Pointer struct {
	text   string
	tokens []string
}

// PointerError is a pointer text [ParsePointer] rejects.
type PointerError struct {
	// Pointer is the text that was parsed.
	Pointer string
	// Offset is the byte offset of the problem in Pointer (0 when the whole text is wrong).
	Offset int
	msg    string
}

// Error explains the problem, with the offset where there is one.
func (e *PointerError) Error() string { return e.msg }

// ParsePointer parses text, which must start with "/" and escape "~" and "/" inside tokens as
// "~0" and "~1". The empty pointer (the whole object) is an error: a patch may not replace
// the root. Errors are [*PointerError]s.
func ParsePointer(text string) (Pointer, error) {
	if text == "" {
		return Pointer{}, &PointerError{Pointer: text, msg: fmt.Sprintf("the pointer %q is the whole object, which a patch may not replace", text)}
	}
	if text[0] != '/' {
		return Pointer{}, &PointerError{Pointer: text, msg: fmt.Sprintf("invalid JSON pointer %q: it must start with /", text)}
	}
	p := Pointer{text: text}
	start := 1
	for i := 1; i <= len(text); i++ {
		if i < len(text) && text[i] != '/' {
			if text[i] == '~' && (i+1 >= len(text) || (text[i+1] != '0' && text[i+1] != '1')) {
				return Pointer{}, &PointerError{Pointer: text, Offset: i,
					msg: fmt.Sprintf("invalid JSON pointer %q at position %d: ~ must be followed by 0 or 1", text, i)}
			}
			continue
		}
		tok := strings.ReplaceAll(strings.ReplaceAll(text[start:i], "~1", "/"), "~0", "~")
		p.tokens = append(p.tokens, tok)
		start = i + 1
	}
	return p, nil
}

// String returns the pointer's text as it was parsed ("" for the zero Pointer).
func (p Pointer) String() string { return p.text }

// Depth returns the number of reference tokens ("/a/b/0" has 3; the whole document "" has 0).
func (p Pointer) Depth() int { return len(p.tokens) }

// Location returns the pointer as a field location, reading every token that is an RFC 6901
// array index as a list index: without a tree a pointer cannot tell a list index from a map
// member named by digits, so the result is an approximation for messages and conflict
// detection. The result is a new slice the caller owns.
func (p Pointer) Location() jsonpath.Location {
	loc := make(jsonpath.Location, 0, len(p.tokens))
	for _, t := range p.tokens {
		if n, ok := arrayIndex(t); ok {
			loc = append(loc, jsonpath.Step{Index: n, IsIndex: true})
		} else {
			loc = append(loc, jsonpath.Step{Key: t})
		}
	}
	return loc
}

// IsAncestorOf reports whether q points strictly below p ("/a" is an ancestor of "/a/b", not
// of "/a" nor of "/ab"). RFC 6902 forbids moving a value into its own child.
func (p Pointer) IsAncestorOf(q Pointer) bool {
	return len(p.tokens) < len(q.tokens) && slices.Equal(p.tokens, q.tokens[:len(p.tokens)])
}

// arrayIndex parses an RFC 6901 array index: decimal digits without a leading zero.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 1 && tok[0] == '0' || len(tok) > 9 {
		return 0, false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return 0, false
		}
	}
	n, _ := strconv.Atoi(tok)
	return n, true
}

// resolve maps the pointer onto the current tree. It returns the location of the parent, the
// last token, and the parent value. The parent must exist.
func (p Pointer) resolve(obj *transform.Object) (jsonpath.Location, string, any, error) {
	if len(p.tokens) == 0 {
		return nil, "", nil, fmt.Errorf("%w: the pointer \"\" is the whole object, which a patch may not replace", ErrFailed)
	}
	loc := make(jsonpath.Location, 0, len(p.tokens))
	var cur any = obj.Root()
	for i, t := range p.tokens[:len(p.tokens)-1] {
		step, next, err := stepInto(cur, t)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%w: %s: %w", ErrFailed, "/"+strings.Join(escapeTokens(p.tokens[:i+1]), "/"), err)
		}
		loc = append(loc, step)
		cur = next
	}
	return loc, p.tokens[len(p.tokens)-1], cur, nil
}

func escapeTokens(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return out
}

// stepInto follows one existing token.
func stepInto(cur any, tok string) (jsonpath.Step, any, error) {
	switch c := cur.(type) {
	case map[string]any:
		v, ok := c[tok]
		if !ok {
			return jsonpath.Step{}, nil, fmt.Errorf("no member %q", tok)
		}
		return jsonpath.Step{Key: tok}, v, nil
	case []any:
		n, ok := arrayIndex(tok)
		if !ok {
			return jsonpath.Step{}, nil, fmt.Errorf("%q is not a list index", tok)
		}
		if n >= len(c) {
			return jsonpath.Step{}, nil, fmt.Errorf("index %d is out of range (the list has %d items)", n, len(c))
		}
		return jsonpath.Step{Index: n, IsIndex: true}, c[n], nil
	}
	return jsonpath.Step{}, nil, fmt.Errorf("cannot descend into %s", transform.Describe(cur))
}
