package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/internal/workers"
	"github.com/wecforge/wecforge/transform"
)

// Stats says how much work an update did.
type Stats struct {
	// Prepared counts objects whose WEC-independent stages ran.
	Prepared int
	// Rendered counts (object, WEC) pairs rendered.
	Rendered int
	// Skipped counts pairs left as they were because the change could not affect them.
	Skipped int
	// Unchanged counts changed source objects whose prepared form (after the WEC-independent
	// stages) is the same as before — a status, resourceVersion or managedFields update: none
	// of their pairs is rendered.
	Unchanged int
	// Dropped counts pairs whose results were removed because their object is no longer
	// placed on the WEC (see [Renderer.SetPlacement]).
	Dropped int
	// Changed lists the WECs at least one of whose results changed (rendered output, error or
	// removal), sorted.
	Changed []string
}

// Renderer keeps every (object, WEC) pair rendered. Build it with [New].
type Renderer struct {
	pipeline *transform.Pipeline

	mu      sync.RWMutex
	objects map[string]*objectEntry // by object key
	wecs    map[string]*customization.WEC
	results map[string]map[string]*transform.Result // wec → object key → result
	// placed, when set, says which pairs exist (see SetPlacement); nil places every object on
	// every WEC.
	placed Placed
	// good holds, for failing pairs only, the last successfully rendered object (see LastGood):
	// wec → object key → object.
	good map[string]map[string]*unstructured.Unstructured
}

type objectEntry struct {
	key  string
	ref  transform.ObjectRef // the input object's, for Placed
	hash [32]byte
	prep *transform.Prepared
}

// New returns an empty Renderer over p.
func New(p *transform.Pipeline) *Renderer {
	return &Renderer{
		pipeline: p,
		objects:  map[string]*objectEntry{},
		wecs:     map[string]*customization.WEC{},
		results:  map[string]map[string]*transform.Result{},
		good:     map[string]map[string]*unstructured.Unstructured{},
	}
}

// objectKey identifies an input object: group, kind, namespace and name.
func objectKey(u *unstructured.Unstructured) string {
	gvk := u.GroupVersionKind()
	return gvk.Group + "/" + gvk.Kind + "/" + u.GetNamespace() + "/" + u.GetName()
}

// SetObjects replaces the workload: objects not given are dropped from every WEC, new or
// changed objects (by content) are prepared and rendered for every WEC that they are placed on;
// unchanged ones are left alone, and so are changed ones whose prepared form is the same as
// before (counted in Stats.Unchanged). objs is not modified or retained.
func (r *Renderer) SetObjects(ctx context.Context, objs []*unstructured.Unstructured) (Stats, error) {
	type incoming struct {
		key  string
		hash [32]byte
		obj  *unstructured.Unstructured
	}
	in := make([]incoming, 0, len(objs))
	for _, o := range objs {
		js, err := json.Marshal(o.Object)
		if err != nil {
			return Stats{}, err
		}
		in = append(in, incoming{key: objectKey(o), hash: sha256.Sum256(js), obj: o})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var st Stats
	changed := map[string]bool{}
	seen := map[string]bool{}
	var todo []*objectEntry
	for _, o := range in {
		seen[o.key] = true
		old, known := r.objects[o.key]
		if known && old.hash == o.hash {
			continue
		}
		e := &objectEntry{key: o.key, ref: transform.RefOf(o.obj.Object), hash: o.hash, prep: r.pipeline.Prepare(ctx, o.obj)}
		st.Prepared++
		if known && samePrepared(old.prep, e.prep) {
			// Only what the WEC-independent stages remove changed: every render would be the
			// same. Keep the old prepared object (the results were rendered from it).
			old.hash = o.hash
			st.Unchanged++
			continue
		}
		r.objects[o.key] = e
		todo = append(todo, e)
	}
	for key := range r.objects {
		if seen[key] {
			continue
		}
		delete(r.objects, key)
		for wec, byObj := range r.results {
			if res, ok := byObj[key]; ok {
				res.Release()
				delete(byObj, key)
				changed[wec] = true
			}
			delete(r.good[wec], key)
		}
	}
	r.renderPlaced(ctx, todo, changed, &st)
	return st, nil
}

// renderPlaced renders every placed pair of the todo objects on every WEC, drops the results
// of pairs no longer placed, and records both in st (Rendered, Dropped, Changed: the WECs in
// changed plus those whose results changed). The caller holds r.mu.
func (r *Renderer) renderPlaced(ctx context.Context, todo []*objectEntry, changed map[string]bool, st *Stats) {
	var pairs []pair
	for name := range r.wecs {
		for _, e := range todo {
			if r.isPlaced(name, e) {
				pairs = append(pairs, pair{wec: name, obj: e})
			} else if r.drop(name, e.key) {
				changed[name] = true
				st.Dropped++
			}
		}
	}
	r.render(ctx, pairs, changed)
	st.Rendered = len(pairs)
	st.Changed = slices.Sorted(maps.Keys(changed))
}

// SetWEC adds a WEC or replaces its snapshot. A new WEC is rendered for every object placed on
// it; for a known WEC, only the pairs whose dependencies read a changed key are rendered again.
func (r *Renderer) SetWEC(ctx context.Context, wec *customization.WEC) Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := wec.Name()
	old, known := r.wecs[name]
	r.wecs[name] = wec
	if _, ok := r.results[name]; !ok {
		r.results[name] = map[string]*transform.Result{}
	}
	var st Stats
	delta := customization.Diff(old, wec)
	var pairs []pair
	changed := map[string]bool{}
	for _, e := range r.objects {
		if !r.isPlaced(name, e) {
			if r.drop(name, e.key) {
				changed[name] = true
				st.Dropped++
			}
			continue
		}
		if known {
			if res, ok := r.results[name][e.key]; ok && !res.Deps.Affected(delta) {
				st.Skipped++
				continue
			}
		}
		pairs = append(pairs, pair{wec: name, obj: e})
	}
	r.render(ctx, pairs, changed)
	st.Rendered = len(pairs)
	st.Changed = slices.Sorted(maps.Keys(changed))
	return st
}

// DeleteWEC forgets a WEC and its results. It reports whether the WEC was known.
func (r *Renderer) DeleteWEC(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.wecs[name]
	for _, res := range r.results[name] {
		res.Release()
	}
	delete(r.wecs, name)
	delete(r.results, name)
	delete(r.good, name)
	return ok
}

// WECs returns the known WEC names, sorted.
func (r *Renderer) WECs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.wecs))
}

// Has reports whether wec is one of the renderer's WECs: WECs without the sort and copy, for
// callers that test one name at a time.
func (r *Renderer) Has(wec string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.wecs[wec]
	return ok
}

// Results returns the current results for one WEC, ordered by object (group, kind, namespace,
// name). The results are read-only.
func (r *Renderer) Results(wec string) []transform.Result {
	r.mu.RLock()
	defer r.mu.RUnlock()
	byObj := r.results[wec]
	out := make([]transform.Result, 0, len(byObj))
	for _, res := range byObj {
		out = append(out, *res)
	}
	slices.SortFunc(out, func(a, b transform.Result) int { return a.Ref.Compare(b.Ref) })
	return out
}

type pair struct {
	wec string
	obj *objectEntry
}

// render renders pairs in parallel and stores the results; callers hold r.mu for writing.
func (r *Renderer) render(ctx context.Context, pairs []pair, changed map[string]bool) {
	out := make([]transform.Result, len(pairs))
	started := make([]bool, len(pairs))
	_ = workers.DoContext(ctx, len(pairs), func(i int) {
		p := pairs[i]
		started[i] = true
		out[i] = r.pipeline.Render(ctx, p.obj.prep, r.wecs[p.wec])
	})
	for i, p := range pairs {
		if !started[i] {
			// ctx ended before this pair started: it fails with ctx's error (as a render that
			// saw it would), never an empty result that would read as "nothing to deliver".
			out[i] = transform.Result{WEC: p.wec, Ref: p.obj.prep.Ref,
				Err: &transform.RenderError{WEC: p.wec, Object: p.obj.prep.Ref, Err: ctx.Err()}}
		}
	}
	for i, p := range pairs {
		res := &out[i]
		byObj := r.results[p.wec]
		if byObj == nil {
			byObj = map[string]*transform.Result{}
			r.results[p.wec] = byObj
		}
		old, ok := byObj[p.obj.key]
		if !ok || !sameOutcome(old, res) {
			changed[p.wec] = true
		}
		r.keepGood(p.wec, p.obj.key, old, res)
		old.Release() // the per-object budget bounds the current variants, not the render count
		byObj[p.obj.key] = res
	}
}

// sameOutcome reports whether two results deliver the same thing (object and error).
func sameOutcome(a, b *transform.Result) bool {
	if (a.Err == nil) != (b.Err == nil) {
		return false
	}
	if a.Err != nil {
		return a.Err.Error() == b.Err.Error()
	}
	return transform.Equal(a.Object.Object, b.Object.Object)
}
