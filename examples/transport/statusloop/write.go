package statusloop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/wecforge/wecforge/examples/transport/statusback"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/transform"
)

// processNext processes one queued item; false once the queue is shut down.
func (c *Controller) processNext(ctx context.Context) bool {
	it, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	c.processing.Add(1)
	defer c.processing.Add(-1)
	defer c.queue.Done(it)
	err := c.process(ctx, it)
	switch {
	case err == nil:
		c.queue.Forget(it)
	case c.queue.NumRequeues(it) < maxRetries:
		c.stats.failures.Add(1)
		c.opts.Log.Error(err, "status write failed; retrying")
		c.queue.AddRateLimited(it)
	default:
		c.stats.failures.Add(1)
		c.opts.Log.Error(err, "status write failed; giving up until the next change", "retries", maxRetries)
		c.queue.Forget(it)
	}
	return true
}

func (c *Controller) process(ctx context.Context, it item) error {
	switch it.kind {
	case itemWork:
		c.readWork(workKey{namespace: it.namespace, name: it.name})
		return nil
	case itemStatus:
		return c.writeStatus(ctx, it.ref)
	case itemCombined:
		return c.writeCombined(ctx, csKey{ref: it.ref, policy: it.name})
	case itemCollector:
		return c.writeCollector(ctx, it.name)
	}
	return fmt.Errorf("statusloop: unknown item kind %d", it.kind)
}

// writeStatus writes an object's singleton or multi-WEC reported state as the combiner has
// it now.
func (c *Controller) writeStatus(ctx context.Context, ref transform.ObjectRef) error {
	c.mu.Lock()
	pl := c.placed[ref]
	var out combine.Outcome
	ok := false
	if pl != nil {
		out, ok = c.combiner.Status(pl.key)
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}
	var sce *combine.SingletonCountError
	errors.As(out.Err, &sce)
	c.setSingleton(ref, sce)
	if !out.Write {
		return nil
	}
	if !c.leader() {
		return nil // the leader writes; gaining leadership queues this again
	}
	in := statusback.ObjectStatus{Resource: pl.resource, Namespace: ref.Namespace, Name: ref.Name,
		Status: out.Status, ClearLabels: out.RemoveLabels}
	if out.SetLabel != "" {
		in.SetLabels = map[string]string{out.SetLabel: "true"}
	}
	wrote, err := c.writer.WriteStatus(ctx, in)
	if wrote {
		c.stats.status.Add(1)
	}
	if apierrors.IsNotFound(err) {
		return nil // deleted: the transport forgets it
	}
	return err
}

// writeCombined makes the WDS hold the CombinedStatus of one (object, policy) as the
// combiner has it now, deleting it when there is none.
func (c *Controller) writeCombined(ctx context.Context, k csKey) error {
	c.mu.Lock()
	var cs *combine.CombinedStatus
	if pl := c.placed[k.ref]; pl != nil {
		cs = c.combiner.CombinedStatusFor(pl.key, k.policy)
	}
	loc, had := c.written[k]
	c.mu.Unlock()
	if !c.leader() {
		return nil // the leader writes; gaining leadership queues this again
	}
	var want [2]string
	if cs != nil {
		want = [2]string{cs.Metadata.Namespace, cs.Metadata.Name}
	}
	if had && loc != want {
		deleted, err := c.writer.DeleteCombinedStatus(ctx, loc[0], loc[1])
		if err != nil {
			return err
		}
		if deleted {
			c.stats.deletes.Add(1)
		}
		c.mu.Lock()
		delete(c.written, k)
		c.mu.Unlock()
	}
	if cs == nil {
		return nil
	}
	if len(cs.Metadata.OwnerReferences) == 0 {
		return fmt.Errorf("statusloop: CombinedStatus %s/%s of %s: the object has no UID to own it", want[0], want[1], k.ref)
	}
	if !c.leader() {
		return nil
	}
	results := make([]map[string]any, 0, len(cs.Results))
	for _, r := range cs.Results {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("statusloop: CombinedStatus %s/%s result %s: %w", want[0], want[1], r.Name, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("statusloop: CombinedStatus %s/%s result %s: %w", want[0], want[1], r.Name, err)
		}
		results = append(results, m)
	}
	wrote, err := c.writer.ApplyCombinedStatus(ctx, statusback.CombinedStatus{
		Name: want[1], Namespace: want[0], Owner: cs.Metadata.OwnerReferences[0],
		Labels: cs.Metadata.Labels, Results: results,
	})
	if wrote {
		c.stats.applies.Add(1)
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.written[k] = want
	c.mu.Unlock()
	return nil
}

// writeCollector writes a StatusCollector's errors.
func (c *Controller) writeCollector(ctx context.Context, name string) error {
	c.mu.Lock()
	s, ok := c.collectors[name]
	c.mu.Unlock()
	if !ok || !c.leader() {
		return nil
	}
	wrote, err := c.writer.SetCollectorErrors(ctx, s.Name, s.Generation, s.Errors)
	if wrote {
		c.stats.collectors.Add(1)
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// setSingleton records an object's singleton-count error and reports a change.
func (c *Controller) setSingleton(ref transform.ObjectRef, err *combine.SingletonCountError) {
	c.mu.Lock()
	old := c.singleton[ref]
	if err == nil {
		delete(c.singleton, ref)
	} else {
		c.singleton[ref] = err
	}
	c.mu.Unlock()
	if reflect.DeepEqual(old, err) {
		return
	}
	if c.opts.OnSingletonError != nil {
		c.opts.OnSingletonError(ref, err)
	}
}
