package customization

import (
	"errors"
	"fmt"
	"go/token"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// PropertiesNamespace is the ITS namespace that holds one properties ConfigMap per WEC, named
// after the WEC.
const PropertiesNamespace = "customization-properties"

// ClusterNameProperty is the built-in property holding the WEC's name. Labels, annotations and
// the properties ConfigMap may override it.
const ClusterNameProperty = "clusterName"

// ErrInvalidWEC is wrapped by every error that rejects the inputs of a WEC.
var ErrInvalidWEC = errors.New("invalid WEC")

// WEC is one Workload Execution Cluster as rendering sees it: its name, its ManagedCluster's
// labels and annotations, its properties ConfigMap and the merged properties.
//
// A WEC is immutable and safe for concurrent use. The zero value is not usable; build one with
// [New] or [FromManagedCluster]. The accessors of a nil *WEC return zero values (no name, no
// labels, no properties) instead of panicking. Maps returned by its methods are shared and must not be modified.
type WEC struct {
	name        string
	labels      map[string]string
	annotations map[string]string
	cmData      map[string]string
	cmBinary    map[string][]byte
	hasCM       bool
	properties  map[string]string
	source      map[string]Source
	memo        sync.Map // Memo's derived values
}

// Source names where a property's value came from.
type Source uint8

// The sources of a property, lowest precedence first.
const (
	SourceBuiltin Source = iota
	SourceLabel
	SourceAnnotation
	SourceConfigMapBinary
	SourceConfigMap
)

// String returns the source as used in explanations: builtin, label, annotation,
// configMap.binaryData or configMap.data.
func (s Source) String() string {
	switch s {
	case SourceLabel:
		return "label"
	case SourceAnnotation:
		return "annotation"
	case SourceConfigMapBinary:
		return "configMap.binaryData"
	case SourceConfigMap:
		return "configMap.data"
	default:
		return "builtin"
	}
}

// New builds a WEC from its parts. labels, annotations and cm may be nil; they are copied, so the
// caller keeps ownership of what it passes. cm, when given, must be named after the WEC and live
// in [PropertiesNamespace] (an empty namespace is accepted for offline use).
func New(name string, labels, annotations map[string]string, cm *corev1.ConfigMap) (*WEC, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: the ManagedCluster has no name", ErrInvalidWEC)
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return nil, fmt.Errorf("%w: name %q: %s", ErrInvalidWEC, name, strings.Join(errs, "; "))
	}
	w := &WEC{
		name:        name,
		labels:      cloneOrEmpty(labels),
		annotations: cloneOrEmpty(annotations),
		cmData:      map[string]string{},
		cmBinary:    map[string][]byte{},
	}
	if cm != nil {
		if cm.Name != name {
			return nil, fmt.Errorf("%w: properties ConfigMap %s/%s is not named after WEC %q", ErrInvalidWEC, cm.Namespace, cm.Name, name)
		}
		if cm.Namespace != "" && cm.Namespace != PropertiesNamespace {
			return nil, fmt.Errorf("%w: properties ConfigMap %s/%s is not in namespace %s", ErrInvalidWEC, cm.Namespace, cm.Name, PropertiesNamespace)
		}
		w.hasCM = true
		w.cmData = cloneOrEmpty(cm.Data)
		for k, v := range cm.BinaryData {
			w.cmBinary[k] = slices.Clone(v)
		}
	}
	w.merge()
	return w, nil
}

// FromManagedCluster builds a WEC from a ManagedCluster (typed or unstructured; only its name,
// labels and annotations are read) and its optional properties ConfigMap (nil when it has none).
//
// A nil mc, including a typed nil such as a nil *ManagedCluster inside the interface, is an
// error wrapping [ErrInvalidWEC], never a panic.
func FromManagedCluster(mc metav1.Object, cm *corev1.ConfigMap) (*WEC, error) {
	if isNil(mc) {
		return nil, fmt.Errorf("%w: nil ManagedCluster", ErrInvalidWEC)
	}
	return New(mc.GetName(), mc.GetLabels(), mc.GetAnnotations(), cm)
}

// merge computes the properties map with KubeStellar's precedence, lowest first, so that later
// writes win.
func (w *WEC) merge() {
	props := make(map[string]string, 1+len(w.labels)+len(w.annotations)+len(w.cmData)+len(w.cmBinary))
	src := make(map[string]Source, 1+len(w.labels)+len(w.annotations)+len(w.cmData)+len(w.cmBinary))
	put := func(k, v string, s Source) {
		if IsPropertyKey(k) {
			props[k] = v
			src[k] = s
		}
	}
	put(ClusterNameProperty, w.name, SourceBuiltin)
	for k, v := range w.labels {
		put(k, v, SourceLabel)
	}
	for k, v := range w.annotations {
		put(k, v, SourceAnnotation)
	}
	for k, v := range w.cmBinary {
		put(k, string(v), SourceConfigMapBinary)
	}
	for k, v := range w.cmData {
		put(k, v, SourceConfigMap)
	}
	w.properties, w.source = props, src
}

// IsPropertyKey reports whether key may become a property: a valid Go identifier that is not a
// Go keyword (so that {{ .key }} works in a template).
func IsPropertyKey(key string) bool {
	return token.IsIdentifier(key)
}

// Name returns the WEC's name (the ManagedCluster's name).
func (w *WEC) Name() string {
	if w == nil {
		return ""
	}
	return w.name
}

// Labels returns the ManagedCluster's labels, unfiltered. Shared: do not modify.
func (w *WEC) Labels() map[string]string {
	if w == nil {
		return nil
	}
	return w.labels
}

// Annotations returns the ManagedCluster's annotations, unfiltered. Shared: do not modify.
func (w *WEC) Annotations() map[string]string {
	if w == nil {
		return nil
	}
	return w.annotations
}

// HasConfigMap reports whether the WEC has a properties ConfigMap.
func (w *WEC) HasConfigMap() bool { return w != nil && w.hasCM }

// ConfigMapData returns the properties ConfigMap's data, unfiltered (empty when there is no
// ConfigMap). Shared: do not modify.
func (w *WEC) ConfigMapData() map[string]string {
	if w == nil {
		return nil
	}
	return w.cmData
}

// ConfigMapBinaryData returns the properties ConfigMap's binaryData, unfiltered. Shared: do not
// modify.
func (w *WEC) ConfigMapBinaryData() map[string][]byte {
	if w == nil {
		return nil
	}
	return w.cmBinary
}

// Properties returns the merged properties that templates and rules see. Shared: do not modify.
func (w *WEC) Properties() map[string]string {
	if w == nil {
		return nil
	}
	return w.properties
}

// Memo returns the value derived from w under key, calling build on first use. A WEC is an
// immutable snapshot, so what is derived from it stays valid as long as it does: an engine
// builds its own view of a WEC (say, the WEC's properties as a CEL value) once per WEC instead
// of once per object. key must be comparable; use an unexported type to avoid clashes. Safe for
// concurrent use: concurrent first calls may each run build, and all get the value stored
// first, so build must be pure and its result safe for concurrent use.
func (w *WEC) Memo(key any, build func() any) any {
	if w == nil {
		return build()
	}
	if v, ok := w.memo.Load(key); ok {
		return v
	}
	v, _ := w.memo.LoadOrStore(key, build())
	return v
}

// Lookup returns the property key with KubeStellar's precedence, and whether it exists.
func (w *WEC) Lookup(key string) (string, bool) {
	if w == nil {
		return "", false
	}
	v, ok := w.properties[key]
	return v, ok
}

// SourceOf returns where property key came from, and whether it exists.
func (w *WEC) SourceOf(key string) (Source, bool) {
	if w == nil {
		return 0, false
	}
	s, ok := w.source[key]
	return s, ok
}

// String returns the WEC's name.
func (w *WEC) String() string { return w.Name() }

// isNil reports whether v is nil or an interface holding a nil pointer, map, slice or func.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

func cloneOrEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}
