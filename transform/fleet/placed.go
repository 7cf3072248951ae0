package fleet

import (
	"context"
	"maps"
	"slices"

	"github.com/wecforge/wecforge/transform"
)

// Placed says whether the object ref is placed on WEC wec: only placed pairs are rendered and
// have results. ref is the object as given to [Renderer.SetObjects] (its version included). A
// Placed must be a pure function of its arguments for as long as it is installed; the Renderer
// calls it with its lock held, so it must not call the Renderer.
type Placed func(wec string, ref transform.ObjectRef) bool

// SetPlacement installs which pairs exist — nil places every object on every WEC, the
// Renderer's initial state — and brings the results in line: pairs no longer placed lose their
// results (their WEC counts as changed, Stats.Dropped counts them), newly placed pairs are
// rendered (Stats.Rendered), pairs placed before and after are left alone. Later SetObjects
// and SetWEC calls render only placed pairs.
func (r *Renderer) SetPlacement(ctx context.Context, placed Placed) Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.placed = placed
	var st Stats
	changed := map[string]bool{}
	var pairs []pair
	for _, name := range slices.Sorted(maps.Keys(r.wecs)) {
		byObj := r.results[name]
		for _, key := range slices.Sorted(maps.Keys(r.objects)) {
			e := r.objects[key]
			_, has := byObj[key]
			switch on := r.isPlaced(name, e); {
			case on && !has:
				pairs = append(pairs, pair{wec: name, obj: e})
			case !on && r.drop(name, key):
				changed[name] = true
				st.Dropped++
			}
		}
	}
	r.render(ctx, pairs, changed)
	st.Rendered = len(pairs)
	st.Changed = slices.Sorted(maps.Keys(changed))
	return st
}

// isPlaced reports whether e is placed on wec; callers hold r.mu.
func (r *Renderer) isPlaced(wec string, e *objectEntry) bool {
	return r.placed == nil || r.placed(wec, e.ref)
}

// drop removes the result of object key on wec, reporting whether there was one; callers hold
// r.mu for writing.
func (r *Renderer) drop(wec, key string) bool {
	delete(r.good[wec], key)
	res, ok := r.results[wec][key]
	if !ok {
		return false
	}
	res.Release()
	delete(r.results[wec], key)
	return true
}
