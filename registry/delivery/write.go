package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	workclientv1 "open-cluster-management.io/api/client/work/clientset/versioned/typed/work/v1"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/transform"
)

// conflictBackoff retries an update that lost a race up to 10 times over about 5 seconds.
var conflictBackoff = wait.Backoff{Steps: 10, Duration: 10 * time.Millisecond, Factor: 2, Jitter: 0.5, Cap: 2 * time.Second}

// put makes the live ManifestWork carry want (cur is the work as listed, nil when absent) and
// returns its generation afterwards. A work that is already up to date is not written. A work
// deleted meanwhile is created again; one created meanwhile is updated.
//
// With a fence, want is written with its stamp, the Fencer is asked before every write, and a
// work read again (after a conflict, or a create that found it existing) that another owner or
// a later epoch holds stops the call with a [*FencedError].
func (d *Deliverer) put(ctx context.Context, log logr.Logger, fc *fence, cur, want *workv1.ManifestWork, rep *Report) (int64, error) {
	want = fc.annotate(want)
	if cur != nil && upToDate(cur, want) {
		if !slices.Contains(rep.Unchanged, want.Name) {
			rep.Unchanged = append(rep.Unchanged, want.Name)
		}
		return cur.Generation, nil
	}
	works := d.client.WorkV1().ManifestWorks(want.Namespace)
	if cur == nil {
		if err := fc.check(want.Name); err != nil {
			return 0, err
		}
		got, err := works.Create(ctx, want, metav1.CreateOptions{})
		switch {
		case err == nil:
			rep.Created = append(rep.Created, want.Name)
			log.V(1).Info("ManifestWork written", "work", want.Name, "action", "create", "generation", got.Generation)
			return got.Generation, nil
		case !apierrors.IsAlreadyExists(err):
			return 0, workError(want.Namespace, want.Name, "create", err)
		}
		// Created meanwhile (or not listed because its labels were edited): take it over.
	}
	var got *workv1.ManifestWork
	gone := false
	// The first attempt updates the work as listed, at its listed resourceVersion: in the
	// common case that is the only request (a fleet-wide change costs the hub one write per
	// WEC, no extra read). A conflict means it changed since: read it and retry.
	live := cur
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		if live == nil {
			var err error
			if live, gone, err = reread(ctx, works, want.Name); err != nil || gone {
				return err
			}
			if err := fc.held(log, live); err != nil {
				return err
			}
		}
		if err := fc.check(want.Name); err != nil {
			return err
		}
		next := live.DeepCopy()
		next.Spec = *want.Spec.DeepCopy()
		next.Labels = mergeMaps(live.Labels, want.Labels)
		next.Annotations = mergeMaps(live.Annotations, want.Annotations)
		live = nil
		var err error
		got, err = works.Update(ctx, next, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) {
			gone = true
			return nil
		}
		return err
	})
	var fenced *FencedError
	switch {
	case errors.As(err, &fenced):
		return 0, err
	case err != nil:
		return 0, workError(want.Namespace, want.Name, "update", err)
	}
	if gone {
		// Deleted by someone else since it was listed: write it again.
		log.Info("ManifestWork was deleted by someone else; creating it again", "work", want.Name)
		if err := fc.check(want.Name); err != nil {
			return 0, err
		}
		got, err = works.Create(ctx, want, metav1.CreateOptions{})
		if err != nil {
			return 0, workError(want.Namespace, want.Name, "create", err)
		}
		rep.Created = append(rep.Created, want.Name)
		log.V(1).Info("ManifestWork written", "work", want.Name, "action", "create", "generation", got.Generation)
		return got.Generation, nil
	}
	rep.Updated = append(rep.Updated, want.Name)
	log.V(1).Info("ManifestWork written", "work", want.Name, "action", "update", "generation", got.Generation)
	return got.Generation, nil
}

// confirm waits until every receiving work of the layout's moves is Applied for at least the
// generation in gen, reading them every MovePollInterval for at most MoveTimeout.
func (d *Deliverer) confirm(ctx context.Context, log logr.Logger, wec, key string, l layout, gen map[string]int64) error {
	waiting := map[string]int64{}
	objs := make([]transform.ObjectRef, 0, len(l.moves))
	for _, m := range l.moves {
		waiting[m.to] = gen[m.to]
		objs = append(objs, m.obj)
	}
	fail := func(err error) error {
		names := slices.Sorted(mapKeys(waiting))
		log.Info("move not confirmed: objects stay in both parts", "waiting", names, "objects", len(objs), "error", err.Error())
		return &MoveError{WEC: wec, Key: key, Waiting: names, Objects: objs, Err: err}
	}
	wctx, cancel := context.WithTimeout(ctx, d.opts.MoveTimeout)
	defer cancel()
	works := d.client.WorkV1().ManifestWorks(wec)
	var last error
	for {
		for _, name := range slices.Sorted(mapKeys(waiting)) {
			mw, err := works.Get(wctx, name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				return fail(fmt.Errorf("%w: %s", ErrWorkDeleted, name))
			case err != nil:
				last = workError(wec, name, "get", err)
				continue
			}
			if appliedFor(mw, waiting[name]) {
				delete(waiting, name)
			}
		}
		if len(waiting) == 0 {
			log.V(1).Info("move confirmed", "objects", len(objs))
			return nil
		}
		select {
		case <-wctx.Done():
			cause := ctx.Err()
			if cause == nil {
				cause = fmt.Errorf("no Applied condition for the written generation within %s", d.opts.MoveTimeout)
			}
			return fail(errors.Join(fmt.Errorf("%w: %w", ErrMoveUnconfirmed, cause), last))
		case <-time.After(d.opts.MovePollInterval):
		}
	}
}

// appliedFor reports whether the work agent has applied mw at generation g or later.
func appliedFor(mw *workv1.ManifestWork, g int64) bool {
	c := meta.FindStatusCondition(mw.Status.Conditions, workv1.WorkApplied)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration >= g && mw.DeletionTimestamp == nil
}

// workError wraps an API error of one call, adding [ErrNoNamespace] when the WEC's namespace is
// missing or terminating.
func workError(wec, work, action string, err error) error {
	nsGone := (action == "create" && apierrors.IsNotFound(err)) ||
		apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause)
	if nsGone {
		err = fmt.Errorf("%w %s: %w", ErrNoNamespace, wec, err)
	}
	return &WorkError{WEC: wec, Work: work, Action: action, Err: err}
}

// reread gets the ManifestWork name again (after a conflict, or to check it before a write).
// gone reports that it does not exist any more; live is then nil and err nil.
func reread(ctx context.Context, works workclientv1.ManifestWorkInterface, name string) (live *workv1.ManifestWork, gone bool, err error) {
	live, err = works.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, true, nil
	case err != nil:
		return nil, false, err
	}
	return live, false, nil
}
