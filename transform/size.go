package transform

import "math"

// Size is what [SizeOf] measured of a value.
type Size struct {
	// Bytes is the value's JSON encoding length without string escapes, or a lower bound of
	// it when Over or TooDeep is set.
	Bytes int64
	// Depth is the nesting of maps and lists (0 for a scalar), or a lower bound.
	Depth int
	// Nodes counts the values visited (scalars, maps and lists).
	Nodes int64
	// Over is set when Bytes exceeded the limit; the walk stopped there.
	Over bool
	// TooDeep is set when Depth exceeded the depth limit; the walk stopped there.
	TooDeep bool
}

// SizeOf measures v, a JSON-shaped value, as it would be encoded as JSON (strings counted by
// their bytes plus two quotes, escapes not counted; numbers by their decimal digits; maps and
// lists with their brackets, keys and a separator after every member, so one byte more than
// the encoding per non-empty map or list). It stops as soon as the size exceeds
// limit bytes or the nesting exceeds maxDepth, so its cost is bounded by the limits, not by
// v: a tree that shares one subtree in many places (or, built in Go, contains itself) is
// measured as its encoding would be, never walked further than the limit. v is only read.
func SizeOf(v any, limit int64, maxDepth int) Size {
	w := sizer{limit: limit, maxDepth: maxDepth}
	w.walk(v, 0)
	return Size{Bytes: w.bytes, Depth: w.depth, Nodes: w.nodes, Over: w.over, TooDeep: w.tooDeep}
}

type sizer struct {
	limit, bytes, nodes int64
	maxDepth, depth     int
	over, tooDeep       bool
}

// add counts n bytes and reports whether the walk may go on.
func (w *sizer) add(n int64) bool {
	w.bytes += n
	if w.bytes > w.limit {
		w.over = true
	}
	return !w.over
}

func (w *sizer) walk(v any, depth int) bool {
	w.nodes++
	switch c := v.(type) {
	case map[string]any:
		if !w.enter(depth) || !w.add(2) {
			return false
		}
		for k, e := range c {
			if !w.add(int64(len(k))+4) || !w.walk(e, depth+1) {
				return false
			}
		}
		return true
	case []any:
		if !w.enter(depth) || !w.add(2) {
			return false
		}
		for _, e := range c {
			if !w.add(1) || !w.walk(e, depth+1) {
				return false
			}
		}
		return true
	case map[string]string:
		if !w.enter(depth) || !w.add(2) {
			return false
		}
		for k, e := range c {
			if !w.add(int64(len(k)+len(e)) + 6) {
				return false
			}
		}
		return true
	}
	return w.add(int64(scalarSize(v)))
}

// enter records a container at depth and reports whether it is within maxDepth.
func (w *sizer) enter(depth int) bool {
	if depth+1 > w.depth {
		w.depth = depth + 1
	}
	if w.depth > w.maxDepth {
		w.tooDeep = true
		return false
	}
	return true
}

// scalarSize is the encoded length of a scalar (an upper bound for floats).
func scalarSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) + 2
	case bool:
		if x {
			return 4
		}
		return 5
	case nil:
		return 4
	case int64:
		return intSize(x)
	case int:
		return intSize(int64(x))
	case int32:
		return intSize(int64(x))
	case float64, float32:
		return 24
	}
	return 24 // other Go scalars: a generous guess
}

func intSize(n int64) int {
	if n == math.MinInt64 {
		return 20
	}
	size := 1
	if n < 0 {
		size, n = 2, -n
	}
	for n >= 10 {
		n /= 10
		size++
	}
	return size
}
