package transform

import (
	"slices"
	"sync"

	"github.com/wecforge/wecforge/transform/jsonpath"
)

// pathCache interns the formatted field paths of one prepared object: every WEC's render
// writes mostly the same locations (the same template leaves, the same rule targets), so each
// path is formatted once per object instead of once per pair. Safe for concurrent use.
type pathCache struct {
	m sync.Map // uint64 hash of a location → cachedPath
}

type cachedPath struct {
	loc  jsonpath.Location
	text string
}

// String returns loc formatted as jsonpath.Location.String does.
func (c *pathCache) String(loc jsonpath.Location) string {
	if c == nil {
		return loc.String()
	}
	h := hashLocation(loc)
	if v, ok := c.m.Load(h); ok {
		if e := v.(cachedPath); slices.Equal(e.loc, loc) {
			return e.text
		}
		return loc.String() // a hash collision: format without caching
	}
	text := loc.String()
	c.m.LoadOrStore(h, cachedPath{loc: slices.Clone(loc), text: text})
	return text
}

// hashLocation is FNV-1a over the steps.
func hashLocation(loc jsonpath.Location) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for _, s := range loc {
		if s.IsIndex {
			h = (h ^ 0xff) * prime
			for n := uint64(s.Index) + 1; n > 0; n >>= 8 {
				h = (h ^ (n & 0xff)) * prime
			}
			continue
		}
		h = (h ^ 0xfe) * prime
		for i := 0; i < len(s.Key); i++ {
			h = (h ^ uint64(s.Key[i])) * prime
		}
	}
	return h
}
