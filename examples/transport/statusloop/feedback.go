package statusloop

import (
	"errors"
	"maps"
	"reflect"
	"slices"

	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/registry/returned"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/transform"
)

// fbKey names one (source object, WEC) pair; ref has no version.
type fbKey struct {
	ref transform.ObjectRef
	wec string
}

// workKey names one ManifestWork (namespace = WEC).
type workKey struct{ namespace, name string }

// feedbackState is what the ManifestWorks returned, per (object, WEC). An object may be
// reported by two works of one WEC for a moment (delivery moves it between works); the
// effective value is the reported one observed last.
type feedbackState struct {
	byKey     map[fbKey]map[string]returned.Returned // work name → what it returned
	works     map[workKey][]fbKey                    // keys each work reported
	effective map[fbKey]returned.Returned
	byRef     map[transform.ObjectRef]map[string]bool // WECs with feedback, per object
	// fields are the top-level fields of the last status read, per pair; tooLarge marks the
	// pairs whose whole status the WEC last reported too large for one value.
	fields   map[fbKey][]string
	tooLarge map[fbKey]bool
}

func newFeedbackState() *feedbackState {
	return &feedbackState{
		byKey: map[fbKey]map[string]returned.Returned{}, works: map[workKey][]fbKey{},
		effective: map[fbKey]returned.Returned{}, byRef: map[transform.ObjectRef]map[string]bool{},
		fields: map[fbKey][]string{}, tooLarge: map[fbKey]bool{},
	}
}

// setWork records what one work returns now (nil: the work is gone) and returns the pairs
// whose effective value changed and those newly reported too large as a whole.
func (f *feedbackState) setWork(w workKey, rs []returned.Returned) (changed, redeliver []fbKey) {
	now := map[fbKey]returned.Returned{}
	for _, r := range rs {
		now[fbKey{ref: unversioned(r.Object), wec: r.WEC}] = r
	}
	touched := map[fbKey]bool{}
	for _, k := range f.works[w] {
		if _, ok := now[k]; !ok {
			delete(f.byKey[k], w.name)
			touched[k] = true
		}
	}
	keys := make([]fbKey, 0, len(now))
	for k, r := range now {
		if f.byKey[k] == nil {
			f.byKey[k] = map[string]returned.Returned{}
		}
		f.byKey[k][w.name] = r
		touched[k] = true
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		delete(f.works, w)
	} else {
		f.works[w] = keys
	}
	for k := range touched {
		eff, ok := f.pick(k)
		old, had := f.effective[k]
		if !ok {
			delete(f.byKey, k)
			delete(f.effective, k)
			delete(f.fields, k)
			delete(f.tooLarge, k)
			if m := f.byRef[k.ref]; m != nil {
				delete(m, k.wec)
				if len(m) == 0 {
					delete(f.byRef, k.ref)
				}
			}
			if had && old.Reported {
				changed = append(changed, k)
			}
			continue
		}
		var tl *returned.TooLargeError
		whole := errors.As(eff.Err, &tl) && len(tl.Fields) == 0
		if eff.Err != nil && !eff.Reported && had && old.Reported {
			// The WEC could not return the status (too large as a whole, say, until the
			// pair is asked field by field): the last status read stands, rather than a
			// cleared one for the round trip — two writes that carry nothing new.
			eff.Reported, eff.Status, eff.LastUpdated = true, old.Status, old.LastUpdated
		}
		f.effective[k] = eff
		if f.byRef[k.ref] == nil {
			f.byRef[k.ref] = map[string]bool{}
		}
		f.byRef[k.ref][k.wec] = true
		if len(eff.Status) > 0 {
			f.fields[k] = slices.Sorted(maps.Keys(eff.Status))
		}
		if whole && !f.tooLarge[k] {
			redeliver = append(redeliver, k)
		}
		f.tooLarge[k] = whole
		if !had || old.Reported != eff.Reported || !old.LastUpdated.Equal(eff.LastUpdated) ||
			!reflect.DeepEqual(old.Status, eff.Status) {
			changed = append(changed, k)
		}
	}
	sortKeys(changed)
	sortKeys(redeliver)
	return changed, redeliver
}

// pick returns the effective value of k: a reported value before an unreported one, then the
// latest observed, then the first work by name.
func (f *feedbackState) pick(k fbKey) (returned.Returned, bool) {
	names := slices.Sorted(maps.Keys(f.byKey[k]))
	if len(names) == 0 {
		return returned.Returned{}, false
	}
	best := f.byKey[k][names[0]]
	for _, n := range names[1:] {
		r := f.byKey[k][n]
		if (r.Reported && !best.Reported) || (r.Reported == best.Reported && r.LastUpdated.After(best.LastUpdated)) {
			best = r
		}
	}
	return best, true
}

// returnedOf converts an effective value for the combiner.
func (f *feedbackState) returnedOf(k fbKey) combine.Returned {
	r, ok := f.effective[k]
	if !ok || !r.Reported {
		return combine.Returned{}
	}
	return combine.Returned{Reported: true, Status: r.Status, LastUpdated: r.LastUpdated}
}

// statusesOf returns what every WEC returned for ref, sorted by WEC.
func (f *feedbackState) statusesOf(ref transform.ObjectRef) []combine.WECStatus {
	wecs := slices.Sorted(maps.Keys(f.byRef[ref]))
	out := make([]combine.WECStatus, 0, len(wecs))
	for _, w := range wecs {
		out = append(out, combine.WECStatus{WEC: w, Returned: f.returnedOf(fbKey{ref, w})})
	}
	return out
}

// fieldsOf returns the fields of the last status read for (ref, wec) (fresh slice).
func (f *feedbackState) fieldsOf(ref transform.ObjectRef, wec string) []string {
	return slices.Clone(f.fields[fbKey{ref, wec}])
}

func sortKeys(ks []fbKey) {
	slices.SortFunc(ks, func(a, b fbKey) int {
		if c := a.ref.Compare(b.ref); c != 0 {
			return c
		}
		switch {
		case a.wec < b.wec:
			return -1
		case a.wec > b.wec:
			return 1
		}
		return 0
	})
}

// readWork reads one ManifestWork from the informer's store (absent: deleted) and feeds what
// changed into the combiner.
func (c *Controller) readWork(w workKey) {
	var rs []returned.Returned
	obj, exists, err := c.informer.GetStore().GetByKey(w.namespace + "/" + w.name)
	if mw, ok := obj.(*workv1.ManifestWork); err == nil && exists && ok {
		rs = c.reader.Read([]*workv1.ManifestWork{mw})
	} else {
		c.reader.Forget(w.namespace, w.name)
	}
	for _, r := range rs {
		if r.Err != nil {
			c.opts.Log.V(1).Info("returned status incomplete", "object", r.Object.String(), "wec", r.WEC, "error", r.Err.Error())
		}
	}
	type change struct {
		ref transform.ObjectRef
		ch  combine.Changes
	}
	var changes []change
	c.mu.Lock()
	changed, redeliver := c.feedback.setWork(w, rs)
	for _, k := range changed {
		key, ok := c.keyOf(k.ref)
		if !ok {
			continue // not placed (yet): SetPlacement feeds it
		}
		changes = append(changes, change{k.ref, c.combiner.SetReturned(key, k.wec, c.feedback.returnedOf(k))})
	}
	c.mu.Unlock()
	for _, ch := range changes {
		c.enqueueChanges(ch.ref, ch.ch)
	}
	for _, k := range redeliver {
		c.stats.redeliveries.Add(1)
		if c.opts.Redeliver != nil {
			c.opts.Redeliver(k.wec, k.ref)
		}
	}
}
