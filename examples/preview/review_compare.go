package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wecforge/wecforge/internal/workers"
	"github.com/wecforge/wecforge/transform"
)

// sideResult is one rendered side of a review.
type sideResult struct {
	r *rendered
	// objects are the workloads among the side's inputs (delivered anywhere or not).
	objects map[transform.ObjectRef]bool
}

// review is the comparison of two sides: DIR/review.json, plus what the summary and the HTML
// report show beyond it.
type review struct {
	Summary reviewSummary  `json:"summary"`
	Objects []reviewObject `json:"objects"`
	// wecs is every WEC of either side, in name order.
	wecs []string
	// onlyBefore and onlyAfter are the WECs of one side only (the fleets differ).
	onlyBefore, onlyAfter []string
	// secret is true when a changed object is a Secret (the files are then private).
	secret bool
}

// reviewSummary counts what changed.
type reviewSummary struct {
	// ObjectsChanged counts the objects whose result differs on at least one WEC.
	ObjectsChanged int `json:"objectsChanged"`
	// WECsChanged counts the WECs where at least one object's result differs.
	WECsChanged int `json:"wecsChanged"`
	// PairsChanged counts the (object, WEC) pairs whose result differs.
	PairsChanged int `json:"pairsChanged"`
}

// reviewObject is one changed object: its variants, each a group of WECs where the change is
// identical. Variants are ordered by size (largest first), then by their first WEC.
type reviewObject struct {
	Object   string          `json:"object"`
	Variants []reviewVariant `json:"variants"`
	ref      transform.ObjectRef
}

// reviewVariant is a group of WECs on which one object changes identically.
type reviewVariant struct {
	WECs    []string       `json:"wecs"`
	Changes []reviewChange `json:"changes"`
	// before and after are the object's two results on the variant's first WEC (nil where
	// it is not delivered); the HTML report's drill-down shows their diff and traces.
	before, after *pair
}

// reviewChange is one field that differs between the sides. By names who wrote the after
// value (a stage or rule, as in --explain), or `before: …` when nothing writes it after and
// that stage or rule wrote the before value, or `input` when neither render touched it (the
// input documents differ). Whole-object differences (delivered on one side only, or failed)
// have the path `.`.
type reviewChange struct {
	Path   string `json:"path"`
	Before any    `json:"before"`
	After  any    `json:"after"`
	By     string `json:"by"`
}

// maxPairChanges caps the changes listed per pair (the rest are counted in a last entry), so
// a pathological object cannot blow up the report.
const maxPairChanges = 1000

// compare compares every (object, WEC) pair of the two sides. Objects are compared in
// parallel; the result does not depend on the scheduling. Neither side is modified.
func compare(ctx context.Context, before, after *sideResult) *review {
	rev := &review{}
	pairsOf := func(s *sideResult) map[string]map[transform.ObjectRef]*pair {
		m := make(map[string]map[transform.ObjectRef]*pair, len(s.r.wecs))
		for _, wo := range s.r.wecs {
			byRef := make(map[transform.ObjectRef]*pair, len(wo.pairs))
			for i := range wo.pairs {
				byRef[wo.pairs[i].w.ref] = &wo.pairs[i]
			}
			m[wo.wec.Name()] = byRef
		}
		return m
	}
	bp, ap := pairsOf(before), pairsOf(after)
	rev.wecs = slices.Sorted(maps.Keys(mergeKeys(bp, ap)))
	for _, w := range rev.wecs {
		if _, ok := ap[w]; !ok {
			rev.onlyBefore = append(rev.onlyBefore, w)
		}
		if _, ok := bp[w]; !ok {
			rev.onlyAfter = append(rev.onlyAfter, w)
		}
	}
	refSet := map[transform.ObjectRef]bool{}
	for _, m := range []map[string]map[transform.ObjectRef]*pair{bp, ap} {
		for _, byRef := range m {
			for ref := range byRef {
				refSet[ref] = true
			}
		}
	}
	refs := slices.SortedFunc(maps.Keys(refSet), transform.ObjectRef.Compare)
	objs := make([]reviewObject, len(refs))
	_ = workers.DoContext(ctx, len(refs), func(i int) {
		objs[i] = compareObject(refs[i], rev.wecs, before, after, bp, ap)
	})
	changedWECs := map[string]bool{}
	for _, o := range objs {
		if len(o.Variants) == 0 {
			continue
		}
		rev.Objects = append(rev.Objects, o)
		rev.secret = rev.secret || isSecret(o.ref)
		for _, v := range o.Variants {
			rev.Summary.PairsChanged += len(v.WECs)
			for _, w := range v.WECs {
				changedWECs[w] = true
			}
		}
	}
	if rev.Objects == nil {
		rev.Objects = []reviewObject{}
	}
	rev.Summary.ObjectsChanged = len(rev.Objects)
	rev.Summary.WECsChanged = len(changedWECs)
	return rev
}

func mergeKeys[V any](a, b map[string]V) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// compareObject compares one object on every WEC and groups the WECs by identical changes.
func compareObject(ref transform.ObjectRef, wecs []string, before, after *sideResult, bp, ap map[string]map[transform.ObjectRef]*pair) reviewObject {
	obj := reviewObject{Object: ref.String(), ref: ref, Variants: []reviewVariant{}}
	index := map[string]int{}
	for _, w := range wecs {
		bw, inBefore := bp[w]
		aw, inAfter := ap[w]
		b, a := bw[ref], aw[ref]
		var changes []reviewChange
		switch {
		case b == nil && a == nil:
			continue
		case b == nil || a == nil:
			changes = []reviewChange{presenceChange(ref, b, a, inBefore && inAfter, before, after)}
		default:
			changes = pairChanges(ref, b, a)
		}
		if len(changes) == 0 {
			continue
		}
		key := changeKey(changes)
		i, ok := index[key]
		if !ok {
			i = len(obj.Variants)
			index[key] = i
			obj.Variants = append(obj.Variants, reviewVariant{Changes: changes, before: b, after: a})
		}
		obj.Variants[i].WECs = append(obj.Variants[i].WECs, w)
	}
	slices.SortStableFunc(obj.Variants, func(x, y reviewVariant) int {
		if len(x.WECs) != len(y.WECs) {
			return len(y.WECs) - len(x.WECs)
		}
		return strings.Compare(x.WECs[0], y.WECs[0])
	})
	return obj
}

// changeKey is a canonical form of a change list: equal keys, equal changes.
func changeKey(changes []reviewChange) string {
	js, err := json.Marshal(changes)
	if err != nil {
		return fmt.Sprintf("%#v", changes) // unreachable for decoded objects; still a stable key
	}
	return string(js)
}

// presenceChange describes an object one side delivers to a WEC and the other does not.
func presenceChange(ref transform.ObjectRef, b, a *pair, wecOnBoth bool, before, after *sideResult) reviewChange {
	c := reviewChange{Path: "."}
	present, absent := sideAfter, sideBefore
	p := a
	if a == nil {
		present, absent, p = sideBefore, sideAfter, b
	}
	var v any
	if p.err == nil {
		v = maskObject(ref, p.res.Object.Object)
	}
	if present == sideAfter {
		c.After = v
	} else {
		c.Before = v
	}
	switch {
	case !wecOnBoth:
		c.By = fmt.Sprintf("fleet: the WEC is only %s", present)
	case !map[side]*sideResult{sideBefore: before, sideAfter: after}[absent].objects[ref]:
		c.By = fmt.Sprintf("input: the object is only %s", present)
	default:
		c.By = fmt.Sprintf("placement: delivered only %s", present)
	}
	if p.err != nil {
		c.By += fmt.Sprintf("; %s failed: %s", present, failure(p.err))
	}
	return c
}

// failure is a pair error as the review shows it: the field path, then `by: cause`.
func failure(e *transform.RenderError) string {
	if e.Path == "" {
		return message(e)
	}
	return e.Path + ": " + message(e)
}

// pairChanges compares the two sides' results of one object on one WEC.
func pairChanges(ref transform.ObjectRef, b, a *pair) []reviewChange {
	if b.err != nil || a.err != nil {
		var bf, af string
		if b.err != nil {
			bf = failure(b.err)
		}
		if a.err != nil {
			af = failure(a.err)
		}
		if bf == af {
			return nil // failed alike on both sides: reported as errors, not as a change
		}
		var by []string
		if bf != "" {
			by = append(by, "before failed: "+bf)
		}
		if af != "" {
			by = append(by, "after failed: "+af)
		}
		c := reviewChange{Path: ".", By: strings.Join(by, "; ")}
		if b.err == nil {
			c.Before = maskObject(ref, b.res.Object.Object)
		}
		if a.err == nil {
			c.After = maskObject(ref, a.res.Object.Object)
		}
		return []reviewChange{c}
	}
	bt, at := b.res.Changes(), a.res.Changes()
	var out []reviewChange
	more := 0
	diffValues(b.res.Object.Object, a.res.Object.Object, func(path string, old, new any) {
		if len(out) == maxPairChanges {
			more++
			return
		}
		c := reviewChange{Path: path, Before: old, After: new, By: attribute(path, bt, at)}
		if isSecret(ref) && isSecretValuePath(path) {
			c.Before = maskValue(old)
			if c.After = maskValue(new); c.After == masked {
				c.After = maskedChanged
			}
		}
		out = append(out, c)
	})
	if more > 0 {
		out = append(out, reviewChange{Path: ".", By: fmt.Sprintf("review: %d further changes not listed", more)})
	}
	return out
}

// maskObject returns obj with a Secret's data and stringData values masked (a copy; obj is
// not modified); other objects are returned as they are.
func maskObject(ref transform.ObjectRef, obj map[string]any) map[string]any {
	m, _ := maskedPair(ref, obj, obj)
	return m
}

// fleetNotes says how the fleets differ, if they do.
func (rev *review) fleetNotes() []string {
	var out []string
	if len(rev.onlyBefore) > 0 {
		out = append(out, fmt.Sprintf("the fleets differ: %d WEC(s) only before: %s", len(rev.onlyBefore), listCapped(rev.onlyBefore, 10)))
	}
	if len(rev.onlyAfter) > 0 {
		out = append(out, fmt.Sprintf("the fleets differ: %d WEC(s) only after: %s", len(rev.onlyAfter), listCapped(rev.onlyAfter, 10)))
	}
	return out
}

// listCapped joins at most n names, saying how many more there are.
func listCapped(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
