package loop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/transform/fleet"
)

func (c *Controller) processNext(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)
	start := time.Now()
	rec := Record{Cause: strings.Replace(key, "/", " ", 1)}
	switch {
	case key == keyObjects:
		rec.Err = c.syncObjects(ctx, &rec)
	case key == keySweep:
		rec.Err = c.sweep(ctx)
	case strings.HasPrefix(key, prefixWEC):
		rec.Err = c.syncWEC(ctx, strings.TrimPrefix(key, prefixWEC), &rec)
	case strings.HasPrefix(key, prefixRetry):
		rec.Err = c.deliver(ctx, strings.TrimPrefix(key, prefixRetry), &rec)
	}
	rec.At = time.Now()
	rec.Duration = rec.At.Sub(start)
	c.cfg.Metrics.rendered(rec.Rendered, rec.Skipped)
	c.cfg.Metrics.processed(rec.Duration)
	switch {
	case rec.Err != nil && errors.Is(rec.Err, errHandled):
		c.cfg.Log.Error(rec.Err, "sync incomplete", "cause", rec.Cause)
	case rec.Err != nil && ctx.Err() == nil:
		c.cfg.Log.Error(rec.Err, "sync failed; will retry", "cause", rec.Cause)
		c.queue.AddRateLimited(key)
	default:
		c.queue.Forget(key)
	}
	c.cfg.Log.V(1).Info("synced", "cause", rec.Cause, "rendered", rec.Rendered, "skipped", rec.Skipped,
		"writes", rec.Writes, "duration", rec.Duration)
	c.mu.Lock()
	if len(c.history) >= MaxHistory {
		c.history = slices.Delete(c.history, 0, len(c.history)-MaxHistory+1)
	}
	c.history = append(c.history, rec)
	c.mu.Unlock()
	return true
}

// syncObjects re-reads the source, renders the new or changed objects for every target WEC and
// delivers the WECs whose results changed, Workers at a time.
func (c *Controller) syncObjects(ctx context.Context, rec *Record) error {
	objs, err := c.cfg.Source.Objects()
	if err != nil {
		return err
	}
	var reconfigured []string
	if c.live != nil {
		if objs, reconfigured, err = c.applyConfig(ctx, objs, rec); err != nil {
			return err
		}
	}
	c.observe(objs)
	// Make sure every rendered WEC (a target this replica owns) is known to the renderer before
	// the first delivery, and render nothing for a WEC lost since.
	for _, w := range c.inv.List() {
		if c.targeted(w) && c.owns(w.Name()) && !c.renderer.Has(w.Name()) {
			st := c.renderer.SetWEC(ctx, w)
			rec.Rendered += st.Rendered
		}
	}
	if c.cfg.Ownership != nil {
		for _, w := range c.renderer.WECs() {
			if !c.owns(w) {
				c.disown(w)
			}
		}
	}
	var placed []string
	if c.placing() {
		pst, err := c.place(ctx, objs)
		if err != nil {
			return err
		}
		rec.Rendered += pst.Rendered
		placed = pst.Changed
	}
	st, err := c.renderer.SetObjects(ctx, objs)
	if err != nil {
		return err
	}
	rec.Rendered += st.Rendered
	c.loaded.Store(true)
	changed := make(map[string]bool, len(st.Changed)+len(placed))
	for _, w := range slices.Concat(st.Changed, placed, reconfigured) {
		changed[w] = true
	}
	var todo []string
	for _, w := range c.renderer.WECs() {
		if c.isDelivered(w) && !changed[w] {
			continue
		}
		todo = append(todo, w)
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.cfg.Workers)
	for _, w := range todo {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var r Record
			err := c.deliver(ctx, w, &r)
			mu.Lock()
			defer mu.Unlock()
			rec.Writes += r.Writes
			rec.Refused += r.Refused
			errs = append(errs, err)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// syncWEC reacts to one WEC's change: a target WEC this replica owns has only the pairs that
// read what changed rendered again, and is delivered when a result changed or it was never
// delivered; a target WEC it does not own leaves the renderer (nothing is written: its owner
// delivers it) but still takes part in placement; a WEC out of the target set (or gone) loses
// its works once that has lasted RelabelGrace.
func (c *Controller) syncWEC(ctx context.Context, name string, rec *Record) error {
	w, ok := c.inv.Get(name)
	if !ok || !c.targeted(w) {
		return c.leave(ctx, name, ok, rec)
	}
	c.stay(name)
	owned := c.owns(name)
	var st fleet.Stats
	if owned {
		st = c.renderer.SetWEC(ctx, w)
		rec.Rendered += st.Rendered
		rec.Skipped += st.Skipped
	} else {
		c.disown(name)
	}
	if !c.loaded.Load() {
		// Before the objects are known, delivering would empty the WEC's works.
		return nil
	}
	if c.placing() {
		// The WEC's labels may change what the policies send it, and which status the status
		// loop gathers from it (for every WEC, owned or not).
		pst, err := c.place(ctx, nil)
		if err != nil {
			return err
		}
		rec.Rendered += pst.Rendered
		st.Changed = append(st.Changed, pst.Changed...)
	}
	if !owned || c.isDelivered(name) && !slices.Contains(st.Changed, name) {
		return nil
	}
	return c.deliver(ctx, name, rec)
}

// disown forgets the rendered state of a target WEC this replica does not own (any more): it
// leaves the renderer, and counts as not delivered so that gaining it renders and delivers it
// afresh. Nothing is written to the hub and nothing of the leaving, shrink or relabel state
// starts: the WEC is not dropped, only delivered by another replica.
func (c *Controller) disown(wec string) {
	lock := c.wecLock(wec)
	lock.Lock()
	defer lock.Unlock()
	if c.renderer.DeleteWEC(wec) {
		c.cfg.Log.V(1).Info("WEC not owned by this replica; its rendered state is dropped", "wec", wec)
	}
	c.setDelivered(wec, false)
}

// deliver writes one WEC's current results. An object that fails to render for the WEC keeps
// its last good version (see Errors) while every other object is delivered as rendered; only
// when that version cannot be found is the WEC held back (retrying cannot help then: the next
// change renders again). A refused shrink is confirmed at once when every object it would
// remove was seen deleted from the source, else once it has persisted for ShrinkConfirmAfter.
func (c *Controller) deliver(ctx context.Context, wec string, rec *Record) error {
	lock := c.wecLock(wec)
	lock.Lock()
	defer lock.Unlock()
	if !c.renderer.Has(wec) {
		return nil // left the target set meanwhile; syncWEC handles it
	}
	gen := c.ownershipGen()
	if !c.owns(wec) || c.isFencedWEC(wec) {
		// Another replica delivers it (ownershipChanged queues it when that changes; syncWEC
		// then drops it from the renderer, or renders it when gained).
		c.setDelivered(wec, false)
		c.cfg.Log.V(1).Info("WEC not owned by this replica; delivery skipped", "wec", wec)
		return nil
	}
	objs, failed, err := c.deliverable(ctx, wec, c.renderer.Results(wec))
	if err != nil {
		c.cfg.Metrics.failed(ErrorRender)
		if errors.Is(err, ErrNoLastGood) {
			return fmt.Errorf("%w: %w", errHandled, err)
		}
		return err // reading the works failed: retry
	}
	c.setFailing(wec, failed)
	for _, f := range failed {
		c.cfg.Metrics.failed(ErrorRender)
		c.cfg.Log.Error(f.Err, "object fails to render for a WEC", "wec", wec, "object", f.Object.String(), "lastGoodKept", f.Kept)
	}
	start := time.Now()
	defer func() { c.cfg.Metrics.delivered(time.Since(start)) }()
	rep, err := c.cfg.Deliverer.Apply(ctx, wec, c.cfg.SourceKey, objs, delivery.ApplyOptions{})
	rec.Writes += rep.Writes()
	c.cfg.Metrics.wrote(rep)
	var refused *delivery.ShrinkRefusedError
	if errors.As(err, &refused) {
		confirm, wait := c.shrinkCause(wec, refused)
		if !confirm {
			rec.Refused += len(refused.Removed)
			c.setDelivered(wec, true)
			c.queue.AddAfter(prefixRetry+wec, wait)
			return nil
		}
		rep, err = c.cfg.Deliverer.Apply(ctx, wec, c.cfg.SourceKey, objs, delivery.ApplyOptions{ConfirmShrink: true})
		rec.Writes += rep.Writes()
		c.cfg.Metrics.wrote(rep)
	}
	if err != nil && isFenced(err) {
		c.fenced(wec, gen, "delivery", err)
		return nil
	}
	if err != nil {
		c.cfg.Metrics.failed(ErrorDelivery)
		if errors.Is(err, delivery.ErrNoNamespace) {
			c.cfg.Log.Info("WEC namespace missing on the hub; delivery waits for it", "wec", wec, "error", err.Error())
		}
		// Retry the delivery alone; rendering is done.
		c.queue.AddRateLimited(prefixRetry + wec)
		return fmt.Errorf("%w: deliver to %s (retrying): %w", errHandled, wec, err)
	}
	c.shrunk(wec)
	c.setDelivered(wec, true)
	if rep.Writes() > 0 {
		c.cfg.Log.Info("delivered", "wec", wec, "objects", len(objs), "created", rep.Created,
			"updated", rep.Updated, "deleted", rep.Deleted, "unchanged", len(rep.Unchanged))
	}
	return nil
}

func (c *Controller) targeted(w *customization.WEC) bool {
	c.mu.Lock()
	sel := c.cfg.Clusters
	c.mu.Unlock()
	return sel.Matches(labels.Set(w.Labels()))
}

func (c *Controller) wecLock(wec string) *sync.Mutex {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.wecLocks[wec]
	if !ok {
		l = &sync.Mutex{}
		c.wecLocks[wec] = l
	}
	return l
}

func (c *Controller) isDelivered(wec string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.delivered[wec]
}

func (c *Controller) setDelivered(wec string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.delivered[wec] = true
	} else {
		delete(c.delivered, wec)
	}
}

// fenced records that fencing stopped a write to wec (another replica owns it, or this one's
// hold lapsed) that started under ownership generation gen: nothing more is written to it and
// it is not retried; the next ownership change queues it again, and a delivery then starts
// afresh. When a change came while the write was in flight (gen is no longer current), that
// change already queued the WEC and the record does not hold it back.
func (c *Controller) fenced(wec string, gen uint64, what string, err error) {
	c.cfg.Metrics.fence()
	c.setDelivered(wec, false)
	c.mu.Lock()
	if c.own.fenced == nil {
		c.own.fenced = map[string]uint64{}
	}
	c.own.fenced[wec] = gen
	c.mu.Unlock()
	reason := "not the owner"
	if errors.Is(err, delivery.ErrFenced) {
		reason = "held by another owner"
	}
	kv := []any{"wec", wec, "write", what, "reason", reason}
	if fe := (*delivery.FencedError)(nil); errors.As(err, &fe) {
		kv = append(kv, "work", fe.Work, "owner", fe.Owner, "epoch", fe.Epoch, "heldBy", fe.HeldBy, "heldEpoch", fe.HeldEpoch)
	} else {
		kv = append(kv, "error", err.Error())
	}
	c.cfg.Log.Info("WEC fenced: this replica stops writing to it until ownership changes", kv...)
}
