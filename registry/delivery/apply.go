package delivery

import (
	"context"
	"errors"
	"slices"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/transform"
)

// ApplyOptions tunes one [Deliverer.Apply] call. The zero value applies the shrink guard.
type ApplyOptions struct {
	// ConfirmShrink lets Apply remove any number of the pair's objects, all of them included.
	// Set it when the removal has a cause the caller observed (the source objects were
	// deleted, the policy placing them changed, the WEC stopped being a target).
	ConfirmShrink bool
}

// Apply makes the ManifestWorks of (wec, key) in namespace wec deliver exactly objs, and
// returns what it wrote. objs is only read.
//
// Objects stay in the part that holds them while they fit; an object that must change parts
// is written into its receiving part first, and the giving part is written only after the work
// agent reports the receiving part Applied for that generation (bounded by
// [Options.MoveTimeout]; on timeout Apply returns a [*MoveError] and the object stays in both
// parts — calling Apply again resumes). Parts that no longer hold objects are deleted last.
//
// Without opts.ConfirmShrink, a call that would remove every delivered object, or more than
// [Options.ShrinkFraction] of them, keeps those objects as they are, delivers everything else
// and returns a [*ShrinkRefusedError].
//
// The namespace must exist (OCM's hub controller creates it when the WEC registers);
// otherwise the error wraps [ErrNoNamespace] and the API server's error. On any error the
// report lists what was written before it; calling Apply again converges. Writes are logged
// through the logr.Logger of ctx (logr.FromContextOrDiscard): one line per write at V(1),
// refusals and unconfirmed moves at V(0).
//
// With [Options.Fencer], Apply writes only while the Fencer says this replica owns wec, first
// stamps works taken over from an earlier owner, and returns a [*FencedError] (wrapping
// [ErrNotOwner] or [ErrFenced]) instead of writing over another owner's works; see the package
// doc, "Fencing".
func (d *Deliverer) Apply(ctx context.Context, wec, key string, objs []Object, opts ApplyOptions) (Report, error) {
	rep := Report{WEC: wec, Key: key}
	defer rep.sort()
	items, err := d.encodeAll(wec, key, objs)
	if err != nil {
		return rep, err
	}
	log := logr.FromContextOrDiscard(ctx).WithValues("wec", wec, "source", key)
	fc, err := d.startFence(wec)
	if err != nil {
		if errors.Is(err, ErrNotOwner) {
			log.V(1).Info("not the owner of the WEC: nothing written")
		}
		return rep, err
	}
	current, err := d.current(ctx, wec, key)
	if err != nil {
		return rep, err
	}
	cur := d.parseCurrent(key, current)
	if err := d.setStatusModes(items, cur); err != nil {
		return rep, err
	}

	refused := d.shrinkGuard(wec, key, items, cur, opts)
	if refused != nil {
		log.Info("shrink refused: keeping objects until the removal is confirmed",
			"current", refused.Current, "desired", refused.Desired, "kept", len(refused.Removed))
		for _, id := range refused.Removed {
			items = append(items, cur.old[id])
		}
		sortItems(items)
	}
	l, err := d.pack(wec, key, items, cur)
	if err != nil {
		return rep, err
	}
	err = d.takeOver(ctx, log, fc, cur, &rep)
	if err == nil {
		err = d.write(ctx, log, fc, wec, key, l, cur, &rep)
	}
	if err != nil {
		if fe := (*FencedError)(nil); errors.As(err, &fe) {
			log.Info("delivery fenced: stopped writing to the WEC", "work", fe.Work, "reason", fe.Err.Error(),
				"owner", fe.Owner, "epoch", fe.Epoch, "heldBy", fe.HeldBy, "heldEpoch", fe.HeldEpoch, "written", rep.Writes())
		}
		return rep, err
	}
	if refused != nil {
		return rep, refused
	}
	return rep, nil
}

// shrinkGuard returns the refusal for a "much smaller" delivery, or nil.
func (d *Deliverer) shrinkGuard(wec, key string, items []encoded, cur holding, opts ApplyOptions) *ShrinkRefusedError {
	if opts.ConfirmShrink || len(cur.old) == 0 {
		return nil
	}
	wanted := make(map[transform.ObjectRef]bool, len(items))
	for _, it := range items {
		wanted[it.id] = true
	}
	var removed []transform.ObjectRef
	for id := range cur.old {
		if !wanted[id] {
			removed = append(removed, id)
		}
	}
	if !muchSmaller(len(cur.old), len(items), len(removed), d.opts.ShrinkFraction) {
		return nil
	}
	slices.SortFunc(removed, func(a, b transform.ObjectRef) int {
		switch {
		case a.Less(b):
			return -1
		case b.Less(a):
			return 1
		}
		return 0
	})
	return &ShrinkRefusedError{WEC: wec, Key: key, Current: len(cur.old), Desired: len(items), Removed: removed}
}

// muchSmaller is the definition of a shrink that needs confirming: at least one object would be
// removed, and either none would be left or more than fraction of the current ones would go.
func muchSmaller(current, desired, removed int, fraction float64) bool {
	if removed == 0 {
		return false
	}
	return desired == 0 || float64(removed) > fraction*float64(current)
}

// write carries out a layout in the order that keeps every object in at least one Applied
// part: (A) every part that gives nothing, and the giving parts with the leaving objects still
// in them; (B) after the receiving parts are Applied, the giving parts; (C) deletes.
func (d *Deliverer) write(ctx context.Context, log logr.Logger, fc *fence, wec, key string, l layout, cur holding, rep *Report) error {
	givers := map[string]bool{}
	leaving := map[string][]transform.ObjectRef{}
	for _, m := range l.moves {
		for _, f := range m.from {
			givers[f] = true
			leaving[f] = append(leaving[f], m.obj)
		}
	}
	gen := map[string]int64{}
	for name, mw := range cur.works {
		gen[name] = mw.Generation
	}
	for _, mw := range l.works {
		if givers[mw.Name] {
			continue
		}
		g, err := d.put(ctx, log, fc, cur.works[mw.Name], mw, rep)
		if err != nil {
			return err
		}
		gen[mw.Name] = g
	}
	if len(l.moves) == 0 {
		return d.deleteStale(ctx, log, fc, wec, l, cur, rep)
	}
	for _, name := range slices.Sorted(mapKeys(givers)) {
		tw, err := d.transitional(wec, key, name, l, leaving[name])
		if err != nil {
			return err
		}
		if tw == nil || upToDate(cur.works[name], tw) {
			continue
		}
		g, err := d.put(ctx, log, fc, cur.works[name], tw, rep)
		if err != nil {
			return err
		}
		gen[name] = g
	}
	if err := d.confirm(ctx, log, wec, key, l, gen); err != nil {
		return err
	}
	for _, mw := range l.works {
		if !givers[mw.Name] {
			continue
		}
		if _, err := d.put(ctx, log, fc, cur.works[mw.Name], mw, rep); err != nil {
			return err
		}
	}
	return d.deleteStale(ctx, log, fc, wec, l, cur, rep)
}

// transitional is what a giving part holds while its objects move: its planned content plus
// the leaving objects, encoded as in their receiving part (so both parts hold the same
// content). It is nil when that would exceed OCM's limit: the part then keeps its current
// content until the move is confirmed.
func (d *Deliverer) transitional(wec, key, name string, l layout, leaving []transform.ObjectRef) (*workv1.ManifestWork, error) {
	byID := map[transform.ObjectRef]encoded{}
	for _, part := range l.parts {
		for _, it := range part {
			byID[it.id] = it
		}
	}
	items := slices.Clone(l.parts[name])
	size := 0
	for _, it := range items {
		size += it.size
	}
	for _, id := range leaving {
		it := byID[id]
		items = append(items, it)
		size += it.size
	}
	if size > OCMManifestLimit {
		return nil, nil
	}
	sortItems(items)
	return d.buildWork(wec, key, name, items)
}

// deleteStale deletes the pair's works that the layout no longer uses.
func (d *Deliverer) deleteStale(ctx context.Context, log logr.Logger, fc *fence, wec string, l layout, cur holding, rep *Report) error {
	for _, name := range slices.Sorted(mapKeys(cur.works)) {
		if _, ok := l.parts[name]; ok {
			continue
		}
		gone, err := d.deleteWork(ctx, log, fc, cur.works[name])
		var fenced *FencedError
		switch {
		case errors.As(err, &fenced):
			return err
		case err != nil:
			return workError(wec, name, "delete", err)
		case !gone:
			rep.Deleted = append(rep.Deleted, name)
			log.V(1).Info("ManifestWork written", "work", name, "action", "delete")
		}
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Delete removes every ManifestWork of (wec, key): it is Apply with no objects and
// ConfirmShrink — calling it is the confirmation. A missing namespace is not an error. With
// [Options.Fencer] it deletes only works stamped by this owner (or taken over by it first), at
// the UID and resourceVersion read.
func (d *Deliverer) Delete(ctx context.Context, wec, key string) (Report, error) {
	rep, err := d.Apply(ctx, wec, key, nil, ApplyOptions{ConfirmShrink: true})
	if errors.Is(err, ErrNoNamespace) || apierrors.IsNotFound(err) {
		return rep, nil
	}
	return rep, err
}
