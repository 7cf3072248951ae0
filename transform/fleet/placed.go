package fleet

import (
	"context"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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

// This file keeps, for a pair that fails, the last object it rendered successfully: a
// transport delivers that version until the pair renders again, instead of holding back the
// whole WEC or deleting the object from it.

// LastGood returns the last object the pair (object ref, WEC wec) rendered successfully, when
// its current result is an error; false when the pair renders fine, is unknown, or never
// rendered successfully since the Renderer was created. ref is matched by group, kind,
// namespace and name (its version is ignored). The object is read-only.
func (r *Renderer) LastGood(wec string, ref transform.ObjectRef) (*unstructured.Unstructured, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	obj, ok := r.good[wec][ref.Group+"/"+ref.Kind+"/"+ref.Namespace+"/"+ref.Name]
	return obj, ok
}

// keepGood updates the last good object of a pair whose result goes from old (nil when
// none) to res; callers hold r.mu for writing. A failure keeps the previous success (or the
// one kept before it); a success forgets it.
func (r *Renderer) keepGood(wec, key string, old, res *transform.Result) {
	if res.Err == nil {
		delete(r.good[wec], key)
		return
	}
	if old == nil || old.Err != nil || old.Object == nil {
		return // still failing (or never rendered): keep what is kept
	}
	byObj := r.good[wec]
	if byObj == nil {
		byObj = map[string]*unstructured.Unstructured{}
		r.good[wec] = byObj
	}
	byObj[key] = old.Object
}

// samePrepared reports whether two preparations of an object give every render the same
// input: the same prepared object, or the same failure.
func samePrepared(a, b *transform.Prepared) bool {
	if (a.Err == nil) != (b.Err == nil) {
		return false
	}
	if a.Err != nil {
		return a.Err.Error() == b.Err.Error()
	}
	return transform.Equal(a.Object().Object, b.Object().Object)
}
