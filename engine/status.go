package engine

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/transform"
)

// The ReturnedStatus input document: what one WEC returned for one object, for offline
// evaluation of status return (`apiVersion: wecforge.io/v1alpha1, kind: ReturnedStatus`).
const (
	ReturnedStatusAPIVersion = "wecforge.io/v1alpha1"
	ReturnedStatusKind       = "ReturnedStatus"
)

// ErrReturnedStatus is wrapped by the *[DocumentError] of a ReturnedStatus document that is
// malformed or names no placed object delivered to its WEC.
var ErrReturnedStatus = errors.New("invalid ReturnedStatus")

// IsReturnedStatus reports whether a document is a ReturnedStatus.
func IsReturnedStatus(doc map[string]any) bool {
	gvk := (&unstructured.Unstructured{Object: doc}).GroupVersionKind()
	return gvk.GroupKind() == schema.GroupKind{Group: "wecforge.io", Kind: ReturnedStatusKind}
}

// ReturnedStatus is one WEC's returned status for one object.
type ReturnedStatus struct {
	// Source names the document in errors.
	Source string
	// WEC is the WEC that returned it.
	WEC string
	// Object names the object by group, kind, namespace and name (the version is ignored).
	Object transform.ObjectRef
	// Status is the object's `.status` on the WEC; read, never modified.
	Status map[string]any
	// LastUpdated is when the value was observed; zero when the document gives none.
	LastUpdated time.Time
}

// ParseReturnedStatus reads a ReturnedStatus document:
//
//	apiVersion: wecforge.io/v1alpha1
//	kind: ReturnedStatus
//	spec:
//	  wec: east
//	  object: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: web}
//	  status: {...}              # the object's .status on that WEC
//	  lastUpdated: "2026-12-02T10:00:00Z"   # optional, RFC 3339
//
// A problem is a *[DocumentError] wrapping [ErrReturnedStatus]. doc is read, never modified;
// the result shares doc's status map.
func ParseReturnedStatus(source string, doc map[string]any) (ReturnedStatus, error) {
	rs := ReturnedStatus{Source: source}
	bad := func(format string, args ...any) (ReturnedStatus, error) {
		name, _, _ := unstructured.NestedString(doc, "metadata", "name")
		return ReturnedStatus{}, &DocumentError{Source: source, Kind: ReturnedStatusKind, Name: name,
			Err: fmt.Errorf("%w: %s", ErrReturnedStatus, fmt.Sprintf(format, args...))}
	}
	if v, _ := doc["apiVersion"].(string); v != ReturnedStatusAPIVersion || doc["kind"] != ReturnedStatusKind {
		return bad("must be apiVersion %s, kind %s", ReturnedStatusAPIVersion, ReturnedStatusKind)
	}
	spec, ok := doc["spec"].(map[string]any)
	if !ok {
		return bad("spec must be a map")
	}
	for k := range spec {
		switch k {
		case "wec", "object", "status", "lastUpdated":
		default:
			return bad("spec.%s: unknown field", k)
		}
	}
	if rs.WEC, _ = spec["wec"].(string); rs.WEC == "" {
		return bad("spec.wec must be a non-empty string")
	}
	obj, ok := spec["object"].(map[string]any)
	if !ok {
		return bad("spec.object must be a map with apiVersion, kind, namespace and name")
	}
	str := func(k string) string { s, _ := obj[k].(string); return s }
	gv, err := schema.ParseGroupVersion(str("apiVersion"))
	if err != nil || str("apiVersion") == "" || str("kind") == "" || str("name") == "" {
		return bad("spec.object needs apiVersion, kind and name (namespace for namespaced objects)")
	}
	rs.Object = transform.ObjectRef{Group: gv.Group, Version: gv.Version, Kind: str("kind"), Namespace: str("namespace"), Name: str("name")}
	switch st := spec["status"].(type) {
	case map[string]any:
		rs.Status = st
	case nil:
		rs.Status = map[string]any{}
	default:
		return bad("spec.status must be a map")
	}
	if lu, ok := spec["lastUpdated"]; ok && lu != nil {
		s, _ := lu.(string)
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return bad("spec.lastUpdated must be an RFC 3339 time: %v", lu)
		}
		rs.LastUpdated = t
	}
	return rs, nil
}

// statusConfig is the status part of a compiled engine.
type statusConfig struct {
	collectors []*combine.Collector
	// uids maps "Kind/name" of placement documents to metadata.uid.
	uids map[string]string
}

// compileStatus compiles the StatusCollector documents and records the placement documents'
// UIDs (CombinedStatus names are made of them).
func (e *Engine) compileStatus(placementDocs, collectorDocs []Document) []error {
	var errs []error
	e.status = &statusConfig{uids: map[string]string{}}
	for _, d := range placementDocs {
		u := unstructured.Unstructured{Object: d.Object}
		e.status.uids[u.GetKind()+"/"+u.GetName()] = string(u.GetUID())
	}
	seen := map[string]string{}
	for _, d := range collectorDocs {
		c, err := combine.ParseCollector(d.Object)
		if err == nil && seen[c.Name()] != "" {
			err = fmt.Errorf("statuscollector %s is also defined in %s", c.Name(), seen[c.Name()])
		}
		if err != nil {
			errs = append(errs, &DocumentError{Source: d.Source, Kind: combine.Kind, Name: nameOf(d.Object), Err: err})
			continue
		}
		seen[c.Name()] = d.Source
		e.status.collectors = append(e.status.collectors, c)
	}
	return errs
}

// policyUID returns the metadata.uid of a placement document ("" when unknown).
func (e *Engine) policyUID(kind, name string) string {
	if e.status == nil {
		return ""
	}
	return e.status.uids[kind+"/"+name]
}

// Collectors returns the compiled StatusCollectors, in input order. The slice is fresh; the
// collectors are immutable.
func (e *Engine) Collectors() []*combine.Collector {
	if e.status == nil {
		return []*combine.Collector{}
	}
	return slices.Clone(e.status.collectors)
}

// NewCombiner returns a [combine.Combiner] over the engine's StatusCollectors, for a
// controller that feeds returned statuses as they arrive.
func (e *Engine) NewCombiner() *combine.Combiner { return combine.NewCombiner(e.Collectors()) }
