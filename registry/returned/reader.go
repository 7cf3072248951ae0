package returned

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/transform"
)

// feedbackSynced is the reason of a StatusFeedbackSynced condition whose rules were evaluated.
const feedbackSynced = "StatusFeedbackSynced"

// Key names one (source object, WEC) pair. Object carries group, kind, namespace and name
// (no version).
type Key struct {
	Object transform.ObjectRef
	WEC    string
}

// Returned is the status one WEC returned for one source object.
type Returned struct {
	Key
	// Delivered is the object as delivered to the WEC (its name may differ from the source's).
	Delivered transform.ObjectRef
	// Work is the ManifestWork carrying it.
	Work string
	// Reported is true once the WEC returned the object's status (a WEC may report an object
	// without status: then Status is empty and Reported true).
	Reported bool
	// Status is the returned `.status` (nil until reported). It is the caller's to keep.
	Status map[string]any
	// LastUpdated is when this reader first observed the current Status (see the package doc,
	// "Observation time"); zero until reported.
	LastUpdated time.Time
	// Err is a [*TooLargeError] when (part of) the status could not be returned, or a
	// [*FeedbackError] when a value did not decode; the rest of Status is still filled.
	Err error
}

// observation is what a Reader remembers of one key.
type observation struct {
	work string
	sum  [sha256.Size]byte
	at   time.Time
}

// Reader reads returned status from ManifestWorks and remembers, per key, when it first
// observed the current value. Its methods are safe for concurrent use; the works passed in
// are only read.
type Reader struct {
	now  func() time.Time
	mu   sync.Mutex
	seen map[Key]observation
}

// NewReader returns a Reader using the wall clock; now, when not nil, replaces it (tests).
func NewReader(now func() time.Time) *Reader {
	if now == nil {
		now = time.Now
	}
	return &Reader{now: now, seen: map[Key]observation{}}
}

// Read returns what works report for every object delivered with a status request, sorted by
// WEC then object. Works not written by package delivery, and manifests without a status
// request, give nothing. A work whose source annotation does not decode gives its objects
// under their delivered identity and an error naming the work in the result's Err. Entries
// the reader remembered for a work in works that no longer report a key are forgotten.
func (r *Reader) Read(works []*workv1.ManifestWork) []Returned {
	var out []Returned
	for _, mw := range works {
		out = append(out, r.readWork(mw)...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].WEC != out[j].WEC {
			return out[i].WEC < out[j].WEC
		}
		return out[i].Object.Less(out[j].Object)
	})
	return out
}

// Forget drops what the reader remembers for the ManifestWork wec/work (call it when the work
// is deleted).
func (r *Reader) Forget(wec, work string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, o := range r.seen {
		if k.WEC == wec && o.work == work {
			delete(r.seen, k)
		}
	}
}

func (r *Reader) readWork(mw *workv1.ManifestWork) []Returned {
	if mw == nil || mw.Labels[delivery.ManagedByLabel] != delivery.ManagedByValue {
		return nil
	}
	sources, srcErr := delivery.StatusSources(mw)
	var out []Returned
	for i := range mw.Status.ResourceStatus.Manifests {
		mc := &mw.Status.ResourceStatus.Manifests[i]
		rm := mc.ResourceMeta
		rid := delivery.ResourceID{Group: rm.Group, Resource: rm.Resource, Namespace: rm.Namespace, Name: rm.Name}
		cfg := configFor(mw, rid)
		whole, fields := delivery.FeedbackRequest(cfg)
		if !whole && len(fields) == 0 {
			continue
		}
		delivered := transform.ObjectRef{Group: rm.Group, Version: rm.Version, Kind: rm.Kind, Namespace: rm.Namespace, Name: rm.Name}
		src, ok := sources[rid]
		if !ok {
			src = delivered
			src.Version = ""
		}
		ret := decode(mc, whole, fields)
		ret.Key = Key{Object: src, WEC: mw.Namespace}
		ret.Delivered, ret.Work = delivered, mw.Name
		ret.Err = nameErr(ret.Err, ret.Key, mw.Name)
		if srcErr != nil && ret.Err == nil {
			ret.Err = srcErr
		}
		out = append(out, ret)
	}
	r.observe(mw, out)
	return out
}

// observe sets LastUpdated on out and forgets keys of mw it no longer reports.
func (r *Reader) observe(mw *workv1.ManifestWork, out []Returned) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	present := make(map[Key]bool, len(out))
	for i := range out {
		ret := &out[i]
		present[ret.Key] = true
		if !ret.Reported {
			delete(r.seen, ret.Key)
			continue
		}
		b, _ := json.Marshal(ret.Status) // decoded JSON: always encodes
		sum := sha256.Sum256(b)
		o, ok := r.seen[ret.Key]
		switch {
		case !ok:
			at := newestStatusWrite(mw)
			if at.IsZero() || at.After(now) {
				at = now
			}
			o = observation{at: at}
		case o.sum != sum:
			o.at = now
		}
		o.work, o.sum = mw.Name, sum
		r.seen[ret.Key] = o
		ret.LastUpdated = o.at
	}
	for k, o := range r.seen {
		if k.WEC == mw.Namespace && o.work == mw.Name && !present[k] {
			delete(r.seen, k)
		}
	}
}

// newestStatusWrite is the time of mw's newest managedFields entry for the status subresource.
func newestStatusWrite(mw *workv1.ManifestWork) time.Time {
	var t time.Time
	for _, f := range mw.ManagedFields {
		if f.Subresource == "status" && f.Time != nil && f.Time.After(t) {
			t = f.Time.Time
		}
	}
	return t
}

// configFor returns the manifest config of mw for rid, or nil.
func configFor(mw *workv1.ManifestWork, rid delivery.ResourceID) *workv1.ManifestConfigOption {
	for i := range mw.Spec.ManifestConfigs {
		c := &mw.Spec.ManifestConfigs[i]
		id := c.ResourceIdentifier
		if id.Group == rid.Group && id.Resource == rid.Resource && id.Namespace == rid.Namespace && id.Name == rid.Name {
			return c
		}
	}
	return nil
}

// decode reads the status of one manifest condition (Key, Delivered, Work left empty).
func decode(mc *workv1.ManifestCondition, whole bool, fields []string) Returned {
	var ret Returned
	cond := meta.FindStatusCondition(mc.Conditions, delivery.FeedbackConditionType)
	failed := cond != nil && cond.Status == metav1.ConditionFalse
	values := make(map[string]workv1.FieldValue, len(mc.StatusFeedbacks.Values))
	for _, v := range mc.StatusFeedbacks.Values {
		values[v.Name] = v.Value
	}
	if whole {
		v, ok := values[delivery.StatusRuleName]
		switch {
		case ok:
			ret.Reported = true
			st, err := valueOf(v)
			m, isMap := st.(map[string]any)
			if err == nil && !isMap {
				err = fmt.Errorf("`.status` is a %T, not an object", st)
			}
			if err != nil {
				ret.Err = &FeedbackError{Rule: delivery.StatusRuleName, Err: err}
			}
			ret.Status = m
		case failed:
			ret.Err = &TooLargeError{AgentMessage: cond.Message}
		case cond != nil && cond.Reason == feedbackSynced:
			ret.Reported, ret.Status = true, map[string]any{} // no .status on the WEC
		}
		if ret.Reported && ret.Status == nil {
			ret.Status = map[string]any{}
		}
		return ret
	}
	ret.Status = map[string]any{}
	var missing, named []string
	for _, f := range fields {
		rule := delivery.StatusFieldRulePrefix + f
		v, ok := values[rule]
		if !ok {
			missing = append(missing, f)
			if failed && strings.Contains(cond.Message, " "+rule+" ") {
				named = append(named, f)
			}
			continue
		}
		ret.Reported = true
		x, err := valueOf(v)
		if err != nil {
			ret.Err = &FeedbackError{Rule: rule, Err: err}
			continue
		}
		ret.Status[f] = x
	}
	if cond != nil && cond.Reason == feedbackSynced {
		ret.Reported = true
	}
	if failed && ret.Err == nil {
		if len(named) == 0 {
			named = missing
		}
		ret.Err = &TooLargeError{Fields: named, AgentMessage: cond.Message}
	}
	if !ret.Reported {
		ret.Status = nil
	}
	return ret
}

// valueOf converts one returned value to its JSON form (integers as int64).
func valueOf(v workv1.FieldValue) (any, error) {
	switch {
	case v.Type == workv1.Integer && v.Integer != nil:
		return *v.Integer, nil
	case v.Type == workv1.String && v.String != nil:
		return *v.String, nil
	case v.Type == workv1.Boolean && v.Boolean != nil:
		return *v.Boolean, nil
	case v.Type == workv1.JsonRaw && v.JsonRaw != nil:
		var x any
		if err := utiljson.Unmarshal([]byte(*v.JsonRaw), &x); err != nil {
			return nil, err
		}
		return x, nil
	}
	return nil, fmt.Errorf("value of type %q without its field", v.Type)
}

// nameErr fills in the key and work of a decode error.
func nameErr(err error, k Key, work string) error {
	switch e := err.(type) {
	case *TooLargeError:
		e.Object, e.WEC, e.Work = k.Object, k.WEC, work
	case *FeedbackError:
		e.Object, e.WEC, e.Work = k.Object, k.WEC, work
	}
	return err
}
