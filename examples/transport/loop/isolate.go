package loop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/transform"
)

// This file isolates failures: one object that fails to render for a WEC never holds back the
// WEC's other objects. The failing object keeps the version last delivered — the renderer's
// last good result, or after a restart the manifest in the WEC's current ManifestWorks — until
// it renders again.

// PairError is an (object, WEC) pair that currently fails to render.
type PairError struct {
	// WEC and Object name the pair.
	WEC    string
	Object transform.ObjectRef
	// Err is the render error (a *transform.RenderError).
	Err error
	// Kept reports whether the WEC keeps the object's last good version; false means the
	// object never rendered for this WEC and is not delivered there.
	Kept bool
}

// Error formats the pair and its error.
func (e PairError) Error() string {
	kept := "not delivered"
	if e.Kept {
		kept = "last good version kept"
	}
	return fmt.Sprintf("WEC %s, %s (%s): %v", e.WEC, e.Object, kept, e.Err)
}

// Unwrap returns the render error.
func (e PairError) Unwrap() error { return e.Err }

// ErrNoLastGood marks a delivery held back because a failing object has no last good version
// the loop can find (no [Config.Work] client to read it from the current ManifestWorks).
var ErrNoLastGood = errors.New("a failing object has no last good version to keep")

// Errors returns the pairs that currently fail to render, by WEC then object. The slice is the
// caller's.
func (c *Controller) Errors() []PairError {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []PairError
	for _, wec := range slices.Sorted(maps.Keys(c.failing)) {
		out = append(out, c.failing[wec]...)
	}
	return out
}

// setFailing records wec's failing pairs (none clears them) and updates the gauge.
func (c *Controller) setFailing(wec string, errs []PairError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(errs) == 0 {
		delete(c.failing, wec)
	} else {
		c.failing[wec] = errs
	}
	n := 0
	for _, e := range c.failing {
		n += len(e)
	}
	c.cfg.Metrics.failingPairs(n)
}

// deliverable turns wec's results into the objects to deliver: a failing pair contributes its
// last good version, from the renderer or else from the WEC's current ManifestWorks (read at
// most once per call), and is reported. An error means the current works could not be read:
// delivering without the failing objects would delete them from the WEC.
func (c *Controller) deliverable(ctx context.Context, wec string, results []transform.Result) ([]delivery.Object, []PairError, error) {
	objs := make([]delivery.Object, 0, len(results))
	var failed []PairError
	var held map[transform.ObjectRef]*unstructured.Unstructured
	for _, r := range results {
		obj := r.Object
		if r.Err != nil {
			pe := PairError{WEC: wec, Object: r.Ref, Err: r.Err}
			good, ok := c.renderer.LastGood(wec, r.Ref)
			if !ok {
				if held == nil {
					var err error
					if held, err = c.heldObjects(ctx, wec); err != nil {
						return nil, nil, err
					}
				}
				good, ok = held[identityOf(r.Ref)]
			}
			pe.Kept = ok
			failed = append(failed, pe)
			if !ok {
				continue
			}
			obj = good
		}
		objs = append(objs, delivery.Object{Object: obj, CreateOnly: c.cfg.CreateOnly != nil && c.cfg.CreateOnly(obj),
			Status: c.statusRequest(r.Ref, wec)})
	}
	return objs, failed, nil
}

// heldObjects reads the objects the WEC's current ManifestWorks of this source key hold, by
// identity (the first work by name wins). Without a Work client it returns ErrNoLastGood.
func (c *Controller) heldObjects(ctx context.Context, wec string) (map[transform.ObjectRef]*unstructured.Unstructured, error) {
	if c.cfg.Work == nil {
		return nil, fmt.Errorf("WEC %s: %w", wec, ErrNoLastGood)
	}
	list, err := c.cfg.Work.WorkV1().ManifestWorks(wec).List(ctx, metav1.ListOptions{
		LabelSelector: delivery.ManagedByLabel + "=" + delivery.ManagedByValue})
	if err != nil {
		return nil, fmt.Errorf("WEC %s: read the current ManifestWorks for the last good versions: %w", wec, err)
	}
	works := list.Items
	sort.Slice(works, func(i, j int) bool { return works[i].Name < works[j].Name })
	out := map[transform.ObjectRef]*unstructured.Unstructured{}
	for i := range works {
		if works[i].Annotations[delivery.SourceKeyAnnotation] != c.cfg.SourceKey {
			continue
		}
		for _, m := range works[i].Spec.Workload.Manifests {
			var obj map[string]any
			if json.Unmarshal(m.Raw, &obj) != nil || obj == nil {
				continue // not ours to judge; the deliverer ignores it too
			}
			id := identityOf(transform.RefOf(obj))
			if _, dup := out[id]; !dup && id.Kind != "" && id.Name != "" {
				out[id] = &unstructured.Unstructured{Object: obj}
			}
		}
	}
	return out, nil
}

// identityOf is ref without its version: what the work agent tracks an object by.
func identityOf(ref transform.ObjectRef) transform.ObjectRef {
	ref.Version = ""
	return ref
}
