package loop

import (
	"context"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/transform"
)

// This file holds the loop's rules for deleting: only with an observed cause, or after the
// situation has lasted long enough to be believed.

// leave handles a WEC out of the target set (exists false: its ManagedCluster is gone). Its
// works are deleted once it has been out for RelabelGrace, or at once after a selector edit; a
// WEC back within the grace keeps its works untouched (see stay).
func (c *Controller) leave(ctx context.Context, name string, exists bool, rec *Record) error {
	c.renderer.DeleteWEC(name)
	if !c.isDelivered(name) {
		return nil
	}
	if !c.owns(name) {
		// Another replica owns it: it decides, and deletes. This replica's grace starts only
		// once it owns the WEC.
		c.mu.Lock()
		delete(c.leaving, name)
		delete(c.now, name)
		c.mu.Unlock()
		return nil
	}
	c.mu.Lock()
	since, ok := c.leaving[name]
	if !ok {
		since = time.Now()
		c.leaving[name] = since
	}
	immediate := c.now[name]
	c.mu.Unlock()
	if wait := c.cfg.RelabelGrace - time.Since(since); wait > 0 && !immediate {
		if !ok {
			c.cfg.Log.Info("WEC left the target set; its works stay for the grace period", "wec", name,
				"managedClusterExists", exists, "grace", c.cfg.RelabelGrace)
		}
		c.queue.AddAfter(prefixWEC+name, wait)
		return nil
	}
	lock := c.wecLock(name)
	lock.Lock()
	defer lock.Unlock()
	start := time.Now()
	gen := c.ownershipGen()
	if !c.owns(name) || c.isFencedWEC(name) {
		return nil // lost during the grace, or fenced: the owner decides
	}
	rep, err := c.cfg.Deliverer.Delete(ctx, name, c.cfg.SourceKey)
	c.cfg.Metrics.delivered(time.Since(start))
	rec.Writes += rep.Writes()
	c.cfg.Metrics.wrote(rep)
	if err != nil && isFenced(err) {
		c.fenced(name, gen, "deletion", err)
		c.stay(name)
		return nil
	}
	if err != nil {
		c.cfg.Metrics.failed(ErrorDelivery)
		return err
	}
	c.setDelivered(name, false)
	c.setFailing(name, nil)
	c.stay(name)
	c.shrunk(name)
	c.cfg.Log.Info("WEC no longer targeted: works deleted", "wec", name, "deleted", rep.Deleted,
		"cause", map[bool]string{true: "selector edited", false: "out of the target set past the grace"}[immediate])
	return nil
}

// stay forgets that a WEC was leaving.
func (c *Controller) stay(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.leaving, name)
	delete(c.now, name)
}

// SetClusters replaces the label selector of the target WECs. A selector edit is an observed
// cause: WECs it drops lose their works at once, without the relabel grace. Safe for
// concurrent use with Run; nil means every WEC.
func (c *Controller) SetClusters(sel labels.Selector) {
	if sel == nil {
		sel = labels.Everything()
	}
	c.mu.Lock()
	old := c.cfg.Clusters
	c.cfg.Clusters = sel
	c.mu.Unlock()
	for _, w := range c.inv.List() {
		set := labels.Set(w.Labels())
		if old.Matches(set) && !sel.Matches(set) {
			c.mu.Lock()
			c.now[w.Name()] = true
			c.mu.Unlock()
		}
		c.queue.Add(prefixWEC + w.Name())
	}
}

// shrinkCause decides a refused shrink: confirm now when every object it would remove was seen
// deleted from the source or unplaced from the WEC by a placement change, or when refusals for this WEC have lasted ShrinkConfirmAfter;
// otherwise it returns how long to wait before trying again.
func (c *Controller) shrinkCause(wec string, refused *delivery.ShrinkRefusedError) (bool, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	caused := true
	for _, r := range refused.Removed {
		if _, ok := c.gone[r]; !ok && !c.unplacedLocked(wec, r) {
			caused = false
			break
		}
	}
	if caused {
		c.cfg.Log.Info("shrink confirmed: the removed objects were deleted from the source", "wec", wec,
			"removed", len(refused.Removed))
		return true, 0
	}
	since, ok := c.shrinking[wec]
	if !ok {
		since = time.Now()
		c.shrinking[wec] = since
	}
	if wait := c.cfg.ShrinkConfirmAfter - time.Since(since); wait > 0 {
		c.cfg.Log.Info("shrink refused: objects kept until it persists or has a cause", "wec", wec,
			"current", refused.Current, "desired", refused.Desired, "kept", len(refused.Removed), "confirmAfter", wait.Round(time.Second))
		return false, min(wait, c.cfg.ShrinkConfirmAfter/4+time.Millisecond)
	}
	c.cfg.Log.Info("shrink confirmed: it persisted", "wec", wec, "since", since, "removed", len(refused.Removed))
	return true, 0
}

// shrunk forgets a WEC's pending shrink.
func (c *Controller) shrunk(wec string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.shrinking, wec)
}

// observe records which objects vanished from the source since its last successful read: the
// source's contract is that a missing object was deleted. Records older than
// ShrinkConfirmAfter are dropped (a shrink pending that long is confirmed anyway).
func (c *Controller) observe(objs []*unstructured.Unstructured) {
	now := time.Now()
	cur := make(map[transform.ObjectRef]bool, len(objs))
	for _, o := range objs {
		r := transform.RefOf(o.Object)
		r.Version = ""
		cur[r] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for r := range c.seen {
		if !cur[r] {
			c.gone[r] = now
		}
	}
	for r, at := range c.gone {
		if cur[r] || now.Sub(at) > c.cfg.ShrinkConfirmAfter {
			delete(c.gone, r)
		}
	}
	c.seen = cur
}

// sweep finds the WECs holding works of this source key that are not targets (left by an
// earlier run, or relabelled while the loop was down) and schedules their removal after the
// relabel grace. With an Ownership only owned WECs are looked at (it runs again when WECs are
// gained).
func (c *Controller) sweep(ctx context.Context) error {
	wecs, err := c.cfg.Deliverer.WECs(ctx, c.cfg.SourceKey)
	if err != nil {
		return fmt.Errorf("sweep for works of %q: %w", c.cfg.SourceKey, err)
	}
	var stale []string
	for _, name := range wecs {
		w, ok := c.inv.Get(name)
		if ok && c.targeted(w) || !c.owns(name) {
			continue
		}
		stale = append(stale, name)
		c.setDelivered(name, true)
		c.queue.Add(prefixWEC + name)
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		c.cfg.Log.Info("works of this source found in WECs that are not targets; removing them after the grace",
			"wecs", stale, "grace", c.cfg.RelabelGrace)
	}
	return nil
}
