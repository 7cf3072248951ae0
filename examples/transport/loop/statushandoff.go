package loop

import (
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/examples/transport/statusloop"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/resources"
)

// This file hands each placement to the status loop (Config.Status) in the policies and
// bindings modes: which objects ask for singleton or multi-WEC reported state, and which
// policies deliver them where with StatusCollectors. The status loop writes status back into
// the source; those writes change only what the WEC-independent stages remove (status,
// resourceVersion, managedFields), so they render nothing.

// handOffStatus tells Config.Status the status placement of every placed object (objs[i] is
// the object of in.Objects[i]) and forgets the objects that no longer ask for anything. It
// returns the WECs whose status requests changed: their deliveries change feedback rules even
// when no rendered object does. Callers hold placeMu.
func (c *Controller) handOffStatus(objs []*unstructured.Unstructured, r *placement.Result) []string {
	if c.cfg.Status == nil || r == nil {
		return nil
	}
	uids := map[string]string{} // "Kind/name" → metadata.uid of the placement documents
	for _, list := range [][]*unstructured.Unstructured{c.cfg.PlacementDocuments, objs} {
		for _, u := range list {
			if u.GroupVersionKind().Group == placement.Group {
				uids[u.GetKind()+"/"+u.GetName()] = string(u.GetUID())
			}
		}
	}
	docs := r.Documents()
	docsOf := map[int][]int{}
	for di, d := range docs {
		for _, i := range d.Objects {
			docsOf[i] = append(docsOf[i], di)
		}
	}
	next := map[transform.ObjectRef]map[string]bool{}
	for i, o := range objs {
		req := r.Status(i)
		var pols []combine.Policy
		for _, di := range docsOf[i] {
			d := docs[di]
			if len(d.WECs) == 0 {
				continue
			}
			pl, _ := r.Delivered(i, d.WECs[0])
			for _, by := range pl.By {
				if by.Kind == d.Kind && by.Name == d.Name && len(by.Modulation.StatusCollectors) > 0 {
					pols = append(pols, combine.Policy{Name: d.Name, UID: uids[d.Kind+"/"+d.Name],
						WECs: d.WECs, Collectors: by.Modulation.StatusCollectors})
				}
			}
		}
		labels := o.GetLabels()
		marked := labels[combine.SingletonStatusLabel] != "" || labels[combine.MultiWECStatusLabel] != ""
		if !req.Singleton && !req.MultiWEC && len(pols) == 0 && !marked {
			continue
		}
		// An object carrying a status label but asking for nothing any more is handed over
		// too: its status is cleared and the label removed.
		ref := transform.RefOf(o.Object)
		ref.Version = ""
		next[ref] = statusWECs(req, pols)
		if err := c.cfg.Status.SetPlacement(statusloop.ObjectPlacement{Object: o, Request: req, Policies: pols}); err != nil {
			c.cfg.Log.Error(err, "status placement")
		}
	}
	changed := map[string]bool{}
	for ref, old := range c.statusPlaced {
		if _, ok := next[ref]; !ok {
			c.cfg.Status.DeletePlacement(ref)
		}
		for w := range old {
			if !next[ref][w] {
				changed[w] = true
			}
		}
	}
	for ref, wecs := range next {
		for w := range wecs {
			if !c.statusPlaced[ref][w] {
				changed[w] = true
			}
		}
	}
	c.statusPlaced = next
	return slices.Sorted(maps.Keys(changed))
}

// statusWECs are the WECs whose status of an object is wanted: S, M and the WECs of the
// policies naming collectors.
func statusWECs(req placement.StatusRequest, pols []combine.Policy) map[string]bool {
	out := map[string]bool{}
	if req.Singleton {
		for _, w := range req.S {
			out[w] = true
		}
	}
	if req.MultiWEC {
		for _, w := range req.M {
			out[w] = true
		}
	}
	for _, p := range pols {
		for _, w := range p.WECs {
			out[w] = true
		}
	}
	return out
}

// statusRequest is the status request of ref's delivery to wec (nil without Config.Status).
func (c *Controller) statusRequest(ref transform.ObjectRef, wec string) *delivery.StatusRequest {
	if c.cfg.Status == nil {
		return nil
	}
	return c.cfg.Status.StatusRequest(ref, wec)
}

// Redeliver queues a delivery of wec's current results (no rendering): the status loop
// calls it when a WEC could not return an object's whole status, so that the next delivery
// asks for it field by field (statusloop.Options.Redeliver). Safe for concurrent use.
func (c *Controller) Redeliver(wec string) { c.queue.Add(prefixRetry + wec) }

// sourceMapper maps kinds to resources the way the transport places them: the source's
// discovery first, then a fallback mapper (the engine's).
type sourceMapper struct {
	src      Source
	fallback *resources.Mapper
}

// ResourceMapper returns a delivery.ResourceMapper (and statusloop's) over the source's
// discovery ([ResourceSource]) with fallback — the engine's Mapper: built-in kinds and the
// configuration's CRDs — for kinds discovery does not know.
func ResourceMapper(src Source, fallback *resources.Mapper) delivery.ResourceMapper {
	return sourceMapper{src: src, fallback: fallback}
}

// ResourceFor implements delivery.ResourceMapper.
func (m sourceMapper) ResourceFor(gk schema.GroupKind) (schema.GroupResource, error) {
	if rs, ok := m.src.(ResourceSource); ok {
		if gr, ok := rs.Resource(gk); ok {
			return gr, nil
		}
	}
	return m.fallback.ResourceFor(gk)
}
