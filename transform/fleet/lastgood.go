package fleet

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform"
)

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
