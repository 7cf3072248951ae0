package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform"
)

// This file replaces the pipeline while the fleet runs — a CustomTransform or
// CustomizationRule edited live — rendering again only the objects the edit can affect.

// Affected says whether an object may render differently under a new pipeline. It is asked
// with the object as given to [Renderer.SetPipeline] and again with the object as the old
// pipeline prepared it, and must be true for either when any of its pairs may render
// differently. It is called with the Renderer's lock held, so it must not call the Renderer,
// and must not modify obj.
type Affected func(obj map[string]any) bool

// SetPipeline makes p the pipeline. Each known object that affected reports (nil: every
// object), or whose content in objs differs from what the Renderer holds, is prepared again
// with p and rendered for every WEC it is placed on; every other pair keeps its result —
// affected false promises that p renders the object exactly as the old pipeline did. objs are
// the current source objects; objects the Renderer does not hold, and held objects missing
// from objs, are left to [Renderer.SetObjects]. objs is read, never modified or retained.
func (r *Renderer) SetPipeline(ctx context.Context, p *transform.Pipeline, objs []*unstructured.Unstructured, affected Affected) (Stats, error) {
	hashes := make([][32]byte, len(objs))
	for i, o := range objs {
		js, err := json.Marshal(o.Object)
		if err != nil {
			return Stats{}, err
		}
		hashes[i] = sha256.Sum256(js)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pipeline = p
	var st Stats
	var todo []*objectEntry
	for i, o := range objs {
		key := objectKey(o)
		old, known := r.objects[key]
		if !known {
			continue
		}
		if old.hash == hashes[i] && affected != nil && !affected(o.Object) && !affected(old.prep.Object().Object) {
			continue
		}
		e := &objectEntry{key: key, ref: transform.RefOf(o.Object), hash: hashes[i], prep: p.Prepare(ctx, o)}
		st.Prepared++
		r.objects[key] = e
		todo = append(todo, e)
	}
	redo := make(map[string]bool, len(todo))
	for _, e := range todo {
		redo[e.key] = true
	}
	for name := range r.wecs {
		for key := range r.results[name] {
			if !redo[key] {
				st.Skipped++
			}
		}
	}
	r.renderPlaced(ctx, todo, map[string]bool{}, &st)
	return st, nil
}
