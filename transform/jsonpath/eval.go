package jsonpath

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Step is one step of a [Location]: a map member (Key) or a list item (Index).
type Step struct {
	// Key is the member name when IsIndex is false.
	Key string
	// Index is the list position (never negative) when IsIndex is true.
	Index int
	// IsIndex tells which of Key and Index applies.
	IsIndex bool
}

// Location is the concrete position of one node in a tree, from the root down. Locations
// returned by this package are freshly allocated and owned by the caller.
type Location []Step

// String formats the location as a field path in KubeStellar's style: `.spec.ports[0].nodePort`,
// with names that are not plain identifiers quoted: `.metadata.annotations["example.com/x"]`.
// The root is ".".
func (l Location) String() string {
	if len(l) == 0 {
		return "."
	}
	size := 0
	for _, s := range l {
		size += len(s.Key) + 4 // a separator, and room for short indexes or quotes
	}
	var b strings.Builder // one allocation when size is right: traces call this per change
	b.Grow(size)
	var num [20]byte
	for _, s := range l {
		switch {
		case s.IsIndex:
			b.WriteByte('[')
			b.Write(strconv.AppendInt(num[:0], int64(s.Index), 10))
			b.WriteByte(']')
		case isPlainName(s.Key):
			b.WriteByte('.')
			b.WriteString(s.Key)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.Key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// Pointer formats the location as an RFC 6901 JSON Pointer (`/spec/ports/0/nodePort`).
func (l Location) Pointer() string {
	var b strings.Builder
	for _, s := range l {
		b.WriteByte('/')
		if s.IsIndex {
			b.WriteString(strconv.Itoa(s.Index))
			continue
		}
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(s.Key))
	}
	return b.String()
}

// Child returns a new location one step below l.
func (l Location) Child(s Step) Location {
	out := make(Location, len(l), len(l)+1)
	copy(out, l)
	return append(out, s)
}

func isPlainName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !isNameChar(r) || i == 0 && !isNameFirst(r) || r >= 0x80 {
			return false
		}
	}
	return true
}

// Node is one match: its location and its value (shared with the tree: read-only).
type Node struct {
	Location Location
	Value    any
}

// Find returns every node the path matches in root, in document order. A path that matches
// nothing returns nil. root is not modified.
func (p *Path) Find(root any) []Node {
	c := collector{nodes: true}
	p.walk(root, false, &c)
	return c.found
}

// Target is a location a writer may set: Exists tells whether a node is there now.
type Target struct {
	Location Location
	Exists   bool
}

// Targets returns the locations a setter should write, in document order. Existing matches are
// included; with create, so are missing members reached through name selectors (and the missing
// members below them), so that a setter can create the maps on the way. Index, wildcard and
// filter selectors never create anything: where they match nothing, there is no target.
func (p *Path) Targets(root any, create bool) []Target {
	var c collector
	p.walk(root, create, &c)
	return c.targets
}

// collector gathers a walk's matches. The locations it returns share one backing array
// (appended to, never overwritten), so a walk allocates per batch of matches, not per match.
type collector struct {
	nodes   bool // collect found (Find), else targets (Targets)
	found   []Node
	targets []Target
	steps   []Step
}

func (c *collector) add(loc Location, v any, exists bool) {
	if cap(c.steps)-len(c.steps) < len(loc) {
		n := len(loc) // most paths match once
		if c.steps != nil {
			n *= 4
		}
		c.steps = make([]Step, 0, n)
	}
	start := len(c.steps)
	c.steps = append(c.steps, loc...)
	own := Location(c.steps[start:len(c.steps):len(c.steps)])
	if c.nodes {
		c.found = append(c.found, Node{Location: own, Value: v})
	} else {
		c.targets = append(c.targets, Target{Location: own, Exists: exists})
	}
}

// walkStackDepth is the deepest path whose walk keeps its location stack off the heap.
const walkStackDepth = 16

// walk visits the matches of p below root.
func (p *Path) walk(root any, create bool, c *collector) {
	var stack [walkStackDepth]Step
	loc := Location(stack[:0])
	if len(p.segs) >= walkStackDepth {
		loc = make(Location, 0, len(p.segs)+1)
	}
	p.walkFrom(root, true, loc, 0, create, c)
}

// walkFrom visits the matches of p.segs[i:] below node v at loc. exists is false only for
// locations invented by create.
func (p *Path) walkFrom(v any, exists bool, loc Location, i int, create bool, c *collector) {
	if i == len(p.segs) {
		c.add(loc, v, exists)
		return
	}
	seg := &p.segs[i]
	switch seg.kind {
	case segName:
		if !exists {
			p.walkFrom(nil, false, push(loc, Step{Key: seg.name}), i+1, create, c)
			return
		}
		m, ok := v.(map[string]any)
		if !ok && create && v == nil {
			// An explicit null is replaced by a map, like a missing member.
			p.walkFrom(nil, false, push(loc, Step{Key: seg.name}), i+1, create, c)
			return
		}
		if !ok {
			if create {
				// A non-map in the way: report the target so the setter can name the conflict.
				c.add(push(loc, Step{Key: seg.name}), nil, false)
			}
			return
		}
		child, ok := m[seg.name]
		if !ok && !create {
			return
		}
		p.walkFrom(child, ok, push(loc, Step{Key: seg.name}), i+1, create, c)
	case segIndex:
		l, ok := v.([]any)
		if !exists || !ok {
			return
		}
		idx := seg.index
		if idx < 0 {
			idx += len(l)
		}
		if idx < 0 || idx >= len(l) {
			return
		}
		p.walkFrom(l[idx], true, push(loc, Step{Index: idx, IsIndex: true}), i+1, create, c)
	case segWildcard, segFilter:
		if !exists {
			return
		}
		switch node := v.(type) {
		case []any:
			for idx, item := range node {
				if seg.kind == segFilter && !seg.matches(item) {
					continue
				}
				p.walkFrom(item, true, push(loc, Step{Index: idx, IsIndex: true}), i+1, create, c)
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(node)) {
				if seg.kind == segFilter && !seg.matches(node[k]) {
					continue
				}
				p.walkFrom(node[k], true, push(loc, Step{Key: k}), i+1, create, c)
			}
		}
	}
}

// push appends s to the walk's location stack. The stack is reused across siblings (append
// overwrites the slot after a sibling returns); the collector copies it.
func push(loc Location, s Step) Location { return append(loc, s) }

// matches reports whether item's filter field equals the literal.
func (s *segment) matches(item any) bool {
	v := item
	for _, name := range s.field {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[name]; !ok {
			return false
		}
	}
	return equalLiteral(v, s.value)
}

func equalLiteral(v, lit any) bool {
	switch l := lit.(type) {
	case nil:
		return v == nil
	case string:
		s, ok := v.(string)
		return ok && s == l
	case bool:
		b, ok := v.(bool)
		return ok && b == l
	case float64:
		switch n := v.(type) {
		case int64:
			return float64(n) == l
		case int:
			return float64(n) == l
		case int32:
			return float64(n) == l
		case float64:
			return n == l
		}
	}
	return false
}
