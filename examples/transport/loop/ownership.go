package loop

import (
	"context"
	"errors"
	"slices"

	"github.com/wecforge/wecforge/registry/delivery"
)

// This file lets several transport replicas share the fleet: each delivers only the WECs it
// owns, and only the leader writes status to the source API server.

// Ownership says which WECs this replica delivers and whether it writes to the source API
// server (a *sharding.Sharder of package registry/sharding satisfies it). Implementations must
// be safe for concurrent use and cheap: the loop asks before every delivery, deletion and status
// write.
type Ownership interface {
	// Owns reports whether this replica may deliver to the WEC now.
	Owns(wec string) bool
	// Leader reports whether this replica writes the placement and configuration documents'
	// status on the source API server now.
	Leader() bool
	// Changes returns a channel that receives (without blocking the sender; capacity 1) after
	// any change of the owned WECs or of leadership. The loop calls it once per Run.
	Changes() <-chan struct{}
}

// owns reports whether this replica delivers to wec: always without an Ownership.
func (c *Controller) owns(wec string) bool {
	return c.cfg.Ownership == nil || c.cfg.Ownership.Owns(wec)
}

// leader reports whether this replica writes to the source API server: always without an
// Ownership.
func (c *Controller) leader() bool {
	return c.cfg.Ownership == nil || c.cfg.Ownership.Leader()
}

// isFenced reports whether err says another replica owns the WEC (delivery's fencing): such a
// delivery is not retried; the next ownership change enqueues the WEC again.
func isFenced(err error) bool {
	return errors.Is(err, delivery.ErrFenced) || errors.Is(err, delivery.ErrNotOwner)
}

// ownershipState is what the loop last saw of its Ownership.
type ownershipState struct {
	// owned holds, for each WEC the loop asked about at the last change, whether it was owned.
	owned map[string]bool
	// leader is the leadership seen at the last change.
	leader bool
	// started is set once the first change was seen; gains after it count as takeovers.
	started bool
	// gen counts the ownership changes seen after the baseline; a delivery or deletion reads
	// it when it starts.
	gen uint64
	// fenced maps the WECs whose last write fencing stopped to the gen that write started
	// under: no write is tried for them while gen is still that value. A write that started
	// before a change and was fenced after it is thus not held against the new ownership
	// (the change queued the WEC again, and the retry must not be skipped).
	fenced map[string]uint64
}

// watchOwnership follows Ownership's changes until ctx is done. The first call of
// ownershipChanged sets the baseline.
func (c *Controller) watchOwnership(ctx context.Context) {
	if c.cfg.Ownership == nil {
		c.cfg.Metrics.ownership(0, true)
		return
	}
	ch := c.cfg.Ownership.Changes()
	c.ownershipChanged()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			c.ownershipChanged()
		}
	}
}

// ownershipChanged compares ownership and leadership with what was last seen. Every known WEC
// is queued again: a gained target WEC is rendered and delivered (that delivery stamps the new
// owner's epoch on its works: the takeover), a gained WEC that is not a target is found by a
// sweep and loses its works after the relabel grace, a lost target WEC leaves the renderer
// without any write (syncWEC), a lost WEC out of the target set is left to its owner. On gaining leadership the
// objects are processed again, which rewrites every placement and configuration document's
// status that differs.
func (c *Controller) ownershipChanged() {
	wecs := map[string]bool{}
	for _, w := range c.inv.List() {
		wecs[w.Name()] = true
	}
	c.mu.Lock()
	for w := range c.delivered {
		wecs[w] = true
	}
	for w := range c.own.owned {
		wecs[w] = true
	}
	c.mu.Unlock()
	names := slices.Sorted(func(yield func(string) bool) {
		for w := range wecs {
			if !yield(w) {
				return
			}
		}
	})
	now := make(map[string]bool, len(names))
	for _, w := range names {
		now[w] = c.owns(w)
	}
	leader := c.leader()
	target := make(map[string]bool, len(names))
	for _, w := range names {
		wec, ok := c.inv.Get(w)
		target[w] = ok && c.targeted(wec)
	}

	var gained, lost []string
	c.mu.Lock()
	for _, w := range names {
		was, known := c.own.owned[w]
		switch {
		case now[w] && (!known || !was):
			gained = append(gained, w)
			if known && c.own.started {
				c.cfg.Metrics.tookOver()
			}
			// Deliver a target afresh even if this replica delivered it before losing it: the
			// works must carry this owner's new epoch, and changes made meanwhile were not
			// written. (A gained WEC that is not a target keeps its mark: its works go after
			// the relabel grace.)
			if target[w] {
				delete(c.delivered, w)
			}
		case !now[w] && was:
			lost = append(lost, w)
			// Its relabel grace starts again if this replica owns it again.
			delete(c.leaving, w)
			delete(c.now, w)
			delete(c.shrinking, w)
		}
	}
	c.own.owned = now
	if c.own.started {
		// Whatever fenced a WEC may have been settled by this change: try again. Writes in
		// flight that are fenced later record the previous gen, which no longer holds.
		c.own.gen++
		clear(c.own.fenced)
	}
	gainedLead := leader && (!c.own.leader || !c.own.started)
	lostLead := !leader && c.own.leader
	c.own.leader = leader
	first := !c.own.started
	c.own.started = true
	owned := 0
	for _, ok := range now {
		if ok {
			owned++
		}
	}
	c.mu.Unlock()

	c.cfg.Metrics.ownership(owned, leader)
	if len(gained) > 0 || len(lost) > 0 || gainedLead || lostLead {
		c.cfg.Log.Info("ownership changed", "ownedWECs", owned, "gained", len(gained), "lost", len(lost),
			"leader", leader, "initial", first)
	}
	for _, w := range names {
		if _, inv := c.inv.Get(w); inv || c.isDelivered(w) {
			c.queue.Add(prefixWEC + w)
		}
	}
	if len(gained) > 0 && !first {
		c.queue.Add(keySweep)
	}
	if gainedLead && c.loaded.Load() {
		c.queue.Add(keyObjects)
	}
}

// ownershipGen returns the current ownership generation; a delivery or deletion reads it
// before it consults ownership and hands it to fenced.
func (c *Controller) ownershipGen() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.own.gen
}

// isFencedWEC reports whether fencing stopped wec's last write and no ownership change came
// since that write started.
func (c *Controller) isFencedWEC(wec string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	gen, ok := c.own.fenced[wec]
	return ok && gen == c.own.gen
}

// Owned returns the WECs this replica owned at the last ownership change, sorted; every known
// WEC without an Ownership.
func (c *Controller) Owned() []string {
	var out []string
	if c.cfg.Ownership == nil {
		for _, w := range c.inv.List() {
			out = append(out, w.Name())
		}
	} else {
		c.mu.Lock()
		for w, ok := range c.own.owned {
			if ok {
				out = append(out, w)
			}
		}
		c.mu.Unlock()
	}
	slices.Sort(out)
	return out
}
