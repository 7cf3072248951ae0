package delivery

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	workv1 "open-cluster-management.io/api/work/v1"
)

// Annotations a [Deliverer] with a [Fencer] puts on every ManifestWork it writes. Neither is
// part of the content hash.
const (
	// OwnerAnnotation names the replica (the Fencer's owner) that last wrote the ManifestWork.
	OwnerAnnotation = "delivery.wecforge.io/owner"
	// EpochAnnotation holds that owner's epoch, a decimal integer (the owning Lease's transition
	// count): a higher epoch is a later owner.
	EpochAnnotation = "delivery.wecforge.io/epoch"
)

// Fencer says whether this replica owns a WEC now, and under which owner name and epoch.
// Implementations must be safe for concurrent use and cheap: a [Deliverer] calls Fence before
// every write. ok false means "do not write to this WEC now"; when ok is true, owner must not
// be empty and epoch must not be negative. An epoch only grows while one owner keeps a WEC, and
// a later owner of the same WEC has a higher epoch (see the package doc, "Fencing").
type Fencer interface {
	Fence(wec string) (owner string, epoch int64, ok bool)
}

// EpochRaiser is implemented by a [Fencer] that can move its epoch past one found on a
// ManifestWork (package registry/sharding's Sharder does). When a work of a WEC is stamped with
// a higher epoch than the Fencer gave, the call is fenced as always ([ErrFenced], nothing
// written) and RaiseEpoch(wec, thatEpoch) is called: if the Fencer still holds the WEC (so the
// stamp predates its hold: its Leases were created again, or the shard count changed), it
// moves its epoch past the stamp, and the next Apply stamps the works with it, in place. A
// Fencer that cannot tell must not implement it.
type EpochRaiser interface {
	RaiseEpoch(wec string, past int64)
}

// FencerFunc adapts a function to a [Fencer].
type FencerFunc func(wec string) (owner string, epoch int64, ok bool)

// Fence calls f.
func (f FencerFunc) Fence(wec string) (string, int64, bool) { return f(wec) }

var (
	// ErrFenced means another owner, or a later epoch, holds the WEC's ManifestWorks: this
	// replica wrote nothing more to the WEC and must stop delivering it.
	ErrFenced = errors.New("ManifestWorks held by another owner")
	// ErrNotOwner means the [Fencer] says this replica does not own the WEC (any more, or under
	// the epoch the call started with): nothing more was written.
	ErrNotOwner = errors.New("not the owner of the WEC")
)

// FencedError is returned by [Deliverer.Apply] and [Deliverer.Delete] when fencing stopped a
// write. It wraps [ErrFenced] (a ManifestWork is stamped by another owner or a later epoch) or
// [ErrNotOwner] (the Fencer said no). The report returned with it lists what was written
// before; nothing was written after.
type FencedError struct {
	// WEC is the WEC; Work the ManifestWork whose stamp fenced the call (empty when the Fencer
	// said no before any work was looked at).
	WEC, Work string
	// Owner and Epoch are this replica's, as the Fencer gave them when the call started (empty
	// and zero when it said no at once).
	Owner string
	Epoch int64
	// HeldBy and HeldEpoch are the stamp found on Work (for [ErrFenced]); empty and zero
	// otherwise.
	HeldBy    string
	HeldEpoch int64
	// Err is [ErrFenced] or [ErrNotOwner].
	Err error
}

func (e *FencedError) Error() string {
	me := fmt.Sprintf("owner %q epoch %d", e.Owner, e.Epoch)
	if e.Owner == "" {
		me = "this replica"
	}
	what := "WEC " + e.WEC
	if e.Work != "" {
		what = fmt.Sprintf("ManifestWork %s/%s", e.WEC, e.Work)
	}
	if errors.Is(e.Err, ErrFenced) {
		return fmt.Sprintf("%v: %s is held by owner %q epoch %d; %s wrote nothing", e.Err, what, e.HeldBy, e.HeldEpoch, me)
	}
	return fmt.Sprintf("%v: %s: %s does not own it now; nothing written", e.Err, what, me)
}

// Unwrap returns [ErrFenced] or [ErrNotOwner].
func (e *FencedError) Unwrap() error { return e.Err }

// fence is the fencing state of one Apply call: the owner and epoch the Fencer gave at its
// start. A nil *fence means no Fencer: every method then lets everything through.
type fence struct {
	f     Fencer
	wec   string
	owner string
	epoch int64
}

// startFence asks the Fencer for wec; nil without a Fencer.
func (d *Deliverer) startFence(wec string) (*fence, error) {
	if d.opts.Fencer == nil {
		return nil, nil
	}
	owner, epoch, ok := d.opts.Fencer.Fence(wec)
	if !ok {
		return nil, &FencedError{WEC: wec, Err: ErrNotOwner}
	}
	if owner == "" || epoch < 0 {
		return nil, fmt.Errorf("%w: Fencer gave owner %q epoch %d for WEC %s", ErrInvalidInput, owner, epoch, wec)
	}
	return &fence{f: d.opts.Fencer, wec: wec, owner: owner, epoch: epoch}, nil
}

// check asks the Fencer again before a write to work: the call goes on only while the answer
// is still ok with the same owner and epoch.
func (fc *fence) check(work string) error {
	if fc == nil {
		return nil
	}
	owner, epoch, ok := fc.f.Fence(fc.wec)
	if ok && owner == fc.owner && epoch == fc.epoch {
		return nil
	}
	return &FencedError{WEC: fc.wec, Work: work, Owner: fc.owner, Epoch: fc.epoch, Err: ErrNotOwner}
}

// stampOf returns the owner and epoch mw is stamped with; epoch -1 when it has no epoch or one
// that does not parse (malformed reports the latter).
func stampOf(mw *workv1.ManifestWork) (owner string, epoch int64, malformed bool) {
	owner = mw.Annotations[OwnerAnnotation]
	s, has := mw.Annotations[EpochAnnotation]
	if !has {
		return owner, -1, false
	}
	e, err := strconv.ParseInt(s, 10, 64)
	if err != nil || e < 0 {
		return owner, -1, true
	}
	return owner, e, false
}

// held returns a [*FencedError] wrapping [ErrFenced] when mw is stamped by a later epoch, or
// by another owner at this epoch.
func (fc *fence) held(log logr.Logger, mw *workv1.ManifestWork) error {
	if fc == nil {
		return nil
	}
	owner, epoch, malformed := stampOf(mw)
	if malformed {
		log.Info("ManifestWork has a malformed epoch; treating it as unstamped", "work", mw.Name, "epoch", mw.Annotations[EpochAnnotation])
	}
	if epoch > fc.epoch {
		if r, ok := fc.f.(EpochRaiser); ok {
			r.RaiseEpoch(fc.wec, epoch)
		}
	}
	if epoch > fc.epoch || (epoch == fc.epoch && owner != fc.owner) {
		return &FencedError{WEC: fc.wec, Work: mw.Name, Owner: fc.owner, Epoch: fc.epoch, HeldBy: owner, HeldEpoch: epoch, Err: ErrFenced}
	}
	return nil
}

// mine reports whether mw carries exactly this call's stamp.
func (fc *fence) mine(mw *workv1.ManifestWork) bool {
	owner, epoch, _ := stampOf(mw)
	return owner == fc.owner && epoch == fc.epoch
}

// annotate returns want with this call's stamp (want itself without a fence). want is not
// modified: the result has annotations of its own and shares everything else with want
// (its spec, manifests included, is not copied), so neither may be modified afterwards.
func (fc *fence) annotate(want *workv1.ManifestWork) *workv1.ManifestWork {
	if fc == nil {
		return want
	}
	out := *want
	out.Annotations = make(map[string]string, len(want.Annotations)+2)
	maps.Copy(out.Annotations, want.Annotations)
	out.Annotations[OwnerAnnotation] = fc.owner
	out.Annotations[EpochAnnotation] = strconv.FormatInt(fc.epoch, 10)
	return &out
}

// takeOver makes every ManifestWork of cur carry this call's stamp before any content is
// written: it returns a [*FencedError] (nothing written) when any is held by another owner or
// a later epoch, and otherwise updates only the owner and epoch annotations of those stamped
// earlier or not at all, at the resourceVersion read. cur.works is updated with what was
// written, so later writes start from it.
func (d *Deliverer) takeOver(ctx context.Context, log logr.Logger, fc *fence, cur holding, rep *Report) error {
	if fc == nil {
		return nil
	}
	names := slices.Sorted(mapKeys(cur.works))
	for _, name := range names {
		if err := fc.held(log, cur.works[name]); err != nil {
			return err
		}
	}
	works := d.client.WorkV1().ManifestWorks(fc.wec)
	for _, name := range names {
		if fc.mine(cur.works[name]) {
			continue
		}
		live := cur.works[name]
		var got *workv1.ManifestWork
		gone := false
		err := retry.RetryOnConflict(conflictBackoff, func() error {
			if live == nil {
				var err error
				live, gone, err = reread(ctx, works, name)
				if err != nil {
					return workError(fc.wec, name, "get", err)
				}
				if gone {
					return nil
				}
				if err := fc.held(log, live); err != nil {
					return err
				}
				if fc.mine(live) {
					got = live
					return nil
				}
			}
			if err := fc.check(name); err != nil {
				return err
			}
			prevOwner, prevEpoch, _ := stampOf(live)
			next := fc.annotate(live)
			live = nil
			var err error
			got, err = works.Update(ctx, next, metav1.UpdateOptions{})
			switch {
			case err == nil:
				rep.Stamped = append(rep.Stamped, name)
				log.Info("taking over ManifestWork: stamped with this owner's epoch",
					"work", name, "owner", fc.owner, "epoch", fc.epoch, "previousOwner", prevOwner, "previousEpoch", prevEpoch)
				return nil
			case apierrors.IsNotFound(err):
				gone = true
				return nil
			case apierrors.IsConflict(err):
				return err
			}
			return workError(fc.wec, name, "update", err)
		})
		switch {
		case err == nil && gone:
			// Deleted since it was read: the content writes create it again if it is wanted.
		case err == nil:
			cur.works[name] = got
		case apierrors.IsConflict(err):
			return workError(fc.wec, name, "update", err)
		default:
			return err
		}
	}
	return nil
}

// deleteWork deletes the work cur (as read) of a pair. With a fence it deletes only at the
// UID and resourceVersion read of a work not held by another owner; a precondition conflict
// reads it again and retries while it is still not held by another. gone reports that it was
// not there any more.
func (d *Deliverer) deleteWork(ctx context.Context, log logr.Logger, fc *fence, cur *workv1.ManifestWork) (gone bool, err error) {
	works := d.client.WorkV1().ManifestWorks(cur.Namespace)
	name := cur.Name
	if fc == nil {
		err := works.Delete(ctx, name, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
	live := cur
	err = retry.RetryOnConflict(conflictBackoff, func() error {
		if live == nil {
			var err error
			if live, gone, err = reread(ctx, works, name); err != nil || gone {
				return err
			}
		}
		if err := fc.held(log, live); err != nil {
			return err
		}
		if err := fc.check(name); err != nil {
			return err
		}
		uid, rv := live.UID, live.ResourceVersion
		live = nil
		err := works.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}})
		switch {
		case err == nil:
			return nil
		case apierrors.IsNotFound(err):
			gone = true
			return nil
		case apierrors.IsConflict(err):
			return err
		}
		return err
	})
	return gone, err
}
