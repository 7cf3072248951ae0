package jsonpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrSyntax is wrapped by every [ParseError].
var ErrSyntax = errors.New("invalid JSONPath")

// ParseError reports why and where a path failed to parse.
type ParseError struct {
	// Path is the text that failed to parse.
	Path string
	// Pos is the byte offset of the problem in Path (0-based).
	Pos int
	// Msg says what is wrong.
	Msg string
}

// Error formats the error as `invalid JSONPath "…" at position N: message`.
func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid JSONPath %q at position %d: %s", e.Path, e.Pos, e.Msg)
}

// Unwrap returns [ErrSyntax].
func (e *ParseError) Unwrap() error { return ErrSyntax }

type segKind uint8

const (
	segName segKind = iota
	segIndex
	segWildcard
	segFilter
)

type segment struct {
	kind  segKind
	name  string   // segName
	index int      // segIndex
	field []string // segFilter: the member chain after @
	value any      // segFilter: the literal (string, float64, bool or nil)
}

// Path is a compiled JSONPath. It is immutable and safe for concurrent use.
type Path struct {
	text  string
	segs  []segment
	names Location // the location when every segment is a name selector
}

// String returns the text the path was parsed from.
func (p *Path) String() string { return p.text }

// Depth returns the number of segments after `$` (`$.a.b[0]` has 3): how deep below the root
// the path reaches.
func (p *Path) Depth() int { return len(p.segs) }

// Names returns the location of a path made only of name selectors ($.spec.replicas) and
// true; such a path always has exactly one target (Targets with create). Other paths return
// nil and false. The location is shared: read-only.
func (p *Path) Names() (Location, bool) {
	if p.names == nil {
		return nil, false
	}
	return p.names, true
}

// Singular reports whether the path can match at most one node (only name and index
// selectors).
func (p *Path) Singular() bool {
	for _, s := range p.segs {
		if s.kind == segWildcard || s.kind == segFilter {
			return false
		}
	}
	return true
}

// MustParse is like [Parse] but panics on error. Use it only for paths known to be valid.
func MustParse(text string) *Path {
	p, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return p
}

// Parse compiles text. Errors are *[ParseError] with the byte position of the problem.
func Parse(text string) (*Path, error) {
	ps := &parser{src: text}
	segs, err := ps.parse()
	if err != nil {
		return nil, err
	}
	return &Path{text: text, segs: segs, names: nameLocation(segs)}, nil
}

// nameLocation returns the location of segs when all are name selectors, else nil.
func nameLocation(segs []segment) Location {
	loc := make(Location, 0, len(segs))
	for _, s := range segs {
		if s.kind != segName {
			return nil
		}
		loc = append(loc, Step{Key: s.name})
	}
	return loc
}

type parser struct {
	src      string
	pos      int
	inFilter bool
}

func (ps *parser) fail(pos int, format string, args ...any) error {
	return &ParseError{Path: ps.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (ps *parser) eof() bool { return ps.pos >= len(ps.src) }

func (ps *parser) peek() byte {
	if ps.eof() {
		return 0
	}
	return ps.src[ps.pos]
}

func (ps *parser) skipSpace() {
	for !ps.eof() {
		switch ps.src[ps.pos] {
		case ' ', '\t', '\n', '\r':
			ps.pos++
		default:
			return
		}
	}
}

func (ps *parser) parse() ([]segment, error) {
	if ps.peek() != '$' {
		return nil, ps.fail(0, "a path must start with $")
	}
	ps.pos++
	var segs []segment
	for !ps.eof() {
		seg, err := ps.segment()
		if err != nil {
			return nil, err
		}
		segs = append(segs, seg)
	}
	if len(segs) == 0 {
		return nil, ps.fail(0, "$ alone identifies the whole object; name a field below it")
	}
	return segs, nil
}

func (ps *parser) segment() (segment, error) {
	start := ps.pos
	switch ps.peek() {
	case '.':
		ps.pos++
		switch {
		case ps.peek() == '.':
			return segment{}, ps.fail(start, "descendant segments (..) are not supported")
		case ps.peek() == '*':
			ps.pos++
			return segment{kind: segWildcard}, nil
		}
		name, err := ps.shorthand()
		return segment{kind: segName, name: name}, err
	case '[':
		ps.pos++
		ps.skipSpace()
		seg, err := ps.bracket(start)
		if err != nil {
			return seg, err
		}
		ps.skipSpace()
		if ps.peek() != ']' {
			if ps.peek() == ',' {
				return seg, ps.fail(ps.pos, "unions of selectors are not supported")
			}
			return seg, ps.fail(ps.pos, "expected ] to close the selector opened at position %d", start)
		}
		ps.pos++
		return seg, nil
	default:
		return segment{}, ps.fail(start, "expected . or [ but found %q", ps.src[start:start+1])
	}
}

func isNameFirst(r rune) bool {
	return r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || r >= 0x80
}

func isNameChar(r rune) bool { return isNameFirst(r) || ('0' <= r && r <= '9') }

func (ps *parser) shorthand() (string, error) {
	start := ps.pos
	for !ps.eof() {
		r, size := utf8.DecodeRuneInString(ps.src[ps.pos:])
		if ps.pos == start && !isNameFirst(r) || ps.pos > start && !isNameChar(r) {
			break
		}
		ps.pos += size
	}
	if ps.pos == start {
		if ps.eof() {
			return "", ps.fail(start, "expected a member name after .")
		}
		return "", ps.fail(start, "expected a member name after . (use ['...'] for names with other characters)")
	}
	if !ps.eof() && !ps.inFilter {
		if c := ps.peek(); c != '.' && c != '[' {
			return "", ps.fail(ps.pos, "%q cannot appear in a shorthand name; quote the name: ['%s...']", c, ps.src[start:ps.pos])
		}
	}
	return ps.src[start:ps.pos], nil
}

func (ps *parser) bracket(open int) (segment, error) {
	c := ps.peek()
	switch {
	case ps.eof():
		return segment{}, ps.fail(open, "unclosed [")
	case c == '*':
		ps.pos++
		return segment{kind: segWildcard}, nil
	case c == '\'' || c == '"':
		s, err := ps.quoted()
		return segment{kind: segName, name: s}, err
	case c == '-' || ('0' <= c && c <= '9'):
		n, err := ps.integer()
		if err != nil {
			return segment{}, err
		}
		ps.skipSpace()
		if ps.peek() == ':' {
			return segment{}, ps.fail(ps.pos, "array slices are not supported")
		}
		return segment{kind: segIndex, index: n}, nil
	case c == ':':
		return segment{}, ps.fail(ps.pos, "array slices are not supported")
	case c == '?':
		ps.pos++
		return ps.filter()
	default:
		return segment{}, ps.fail(ps.pos, "unexpected %q in a selector", c)
	}
}

func (ps *parser) integer() (int, error) {
	start := ps.pos
	if ps.peek() == '-' {
		ps.pos++
	}
	digits := ps.pos
	for !ps.eof() && '0' <= ps.peek() && ps.peek() <= '9' {
		ps.pos++
	}
	text := ps.src[start:ps.pos]
	switch {
	case ps.pos == digits:
		return 0, ps.fail(start, "expected digits")
	case text == "-0", len(text) > 1 && text[digits-start] == '0' && ps.pos-digits > 1:
		return 0, ps.fail(start, "invalid index %q (no leading zeros, no -0)", text)
	}
	n, err := strconv.Atoi(text)
	if err != nil || n > 1<<31 || n < -(1<<31) {
		return 0, ps.fail(start, "index %s is out of range", text)
	}
	return n, nil
}

// quoted reads a single- or double-quoted string literal with RFC 9535 escapes.
func (ps *parser) quoted() (string, error) {
	quote := ps.src[ps.pos]
	start := ps.pos
	ps.pos++
	var b strings.Builder
	for {
		if ps.eof() {
			return "", ps.fail(start, "unterminated string")
		}
		c := ps.src[ps.pos]
		switch {
		case c == quote:
			ps.pos++
			return b.String(), nil
		case c == '\\':
			if err := ps.escape(&b, quote); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", ps.fail(ps.pos, "control character in a string; escape it")
		default:
			r, size := utf8.DecodeRuneInString(ps.src[ps.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", ps.fail(ps.pos, "invalid UTF-8 in a string")
			}
			b.WriteRune(r)
			ps.pos += size
		}
	}
}

func (ps *parser) escape(b *strings.Builder, quote byte) error {
	at := ps.pos
	ps.pos++
	if ps.eof() {
		return ps.fail(at, "unterminated escape")
	}
	c := ps.src[ps.pos]
	ps.pos++
	switch c {
	case quote, '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r, err := ps.hex4(at)
		if err != nil {
			return err
		}
		if utf16IsHighSurrogate(r) {
			if !strings.HasPrefix(ps.src[ps.pos:], `\u`) {
				return ps.fail(at, "high surrogate without a low surrogate")
			}
			ps.pos += 2
			lo, err := ps.hex4(at)
			if err != nil {
				return err
			}
			if lo < 0xDC00 || lo > 0xDFFF {
				return ps.fail(at, "high surrogate without a low surrogate")
			}
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
		} else if r >= 0xDC00 && r <= 0xDFFF {
			return ps.fail(at, "lone low surrogate")
		}
		b.WriteRune(r)
	default:
		return ps.fail(at, "invalid escape \\%c", c)
	}
	return nil
}

func utf16IsHighSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDBFF }

func (ps *parser) hex4(at int) (rune, error) {
	if ps.pos+4 > len(ps.src) {
		return 0, ps.fail(at, "\\u needs four hex digits")
	}
	n, err := strconv.ParseUint(ps.src[ps.pos:ps.pos+4], 16, 32)
	if err != nil {
		return 0, ps.fail(at, "\\u needs four hex digits")
	}
	ps.pos += 4
	return rune(n), nil
}

// filter parses `@.field == literal` (optionally parenthesised) after the ?.
func (ps *parser) filter() (segment, error) {
	ps.skipSpace()
	parens := 0
	for ps.peek() == '(' {
		parens++
		ps.pos++
		ps.skipSpace()
	}
	start := ps.pos
	if ps.peek() != '@' {
		return segment{}, ps.fail(start, "only the filter @.field == literal is supported")
	}
	ps.pos++
	ps.inFilter = true
	defer func() { ps.inFilter = false }()
	var field []string
	for ps.peek() == '.' || ps.peek() == '[' {
		at := ps.pos
		seg, err := ps.segment()
		if err != nil {
			return segment{}, err
		}
		if seg.kind != segName {
			return segment{}, ps.fail(at, "a filter field may use only member names")
		}
		field = append(field, seg.name)
	}
	if len(field) == 0 {
		return segment{}, ps.fail(ps.pos, "a filter needs a field after @ (for example @.name)")
	}
	ps.skipSpace()
	if !strings.HasPrefix(ps.src[ps.pos:], "==") {
		return segment{}, ps.fail(ps.pos, "only == comparisons are supported in filters")
	}
	ps.pos += 2
	ps.skipSpace()
	lit, err := ps.literal()
	if err != nil {
		return segment{}, err
	}
	for ; parens > 0; parens-- {
		ps.skipSpace()
		if ps.peek() != ')' {
			return segment{}, ps.fail(ps.pos, "expected )")
		}
		ps.pos++
	}
	return segment{kind: segFilter, field: field, value: lit}, nil
}

func (ps *parser) literal() (any, error) {
	start := ps.pos
	c := ps.peek()
	switch {
	case c == '\'' || c == '"':
		return ps.quoted()
	case c == '-' || ('0' <= c && c <= '9'):
		for !ps.eof() && strings.IndexByte("+-.eE0123456789", ps.peek()) >= 0 {
			ps.pos++
		}
		f, err := strconv.ParseFloat(ps.src[start:ps.pos], 64)
		if err != nil {
			return nil, ps.fail(start, "invalid number %q", ps.src[start:ps.pos])
		}
		return f, nil
	}
	for !ps.eof() && unicode.IsLetter(rune(ps.peek())) {
		ps.pos++
	}
	switch ps.src[start:ps.pos] {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	return nil, ps.fail(start, "expected a literal: a quoted string, a number, true, false or null")
}
