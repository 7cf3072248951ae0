package customization

import (
	"bytes"
	"slices"
	"sort"
)

// Delta lists the keys that changed between two snapshots of one WEC. Every list is sorted and
// holds each key once. A key counts as changed when it was added, removed or given a new value.
type Delta struct {
	// Labels are the changed ManagedCluster label keys.
	Labels []string `json:"labels,omitempty"`
	// Annotations are the changed ManagedCluster annotation keys.
	Annotations []string `json:"annotations,omitempty"`
	// ConfigMap are the changed keys of the properties ConfigMap (data and binaryData).
	ConfigMap []string `json:"configMap,omitempty"`
	// Properties are the merged property keys whose value changed.
	Properties []string `json:"properties,omitempty"`
}

// Empty reports whether nothing changed.
func (d Delta) Empty() bool {
	return len(d.Labels) == 0 && len(d.Annotations) == 0 && len(d.ConfigMap) == 0 && len(d.Properties) == 0
}

// Diff returns what changed from old to new. Either may be nil (a WEC that appears or
// disappears): then every key of the other counts as changed.
func Diff(old, new *WEC) Delta {
	o, n := old, new
	if o == nil {
		o = &WEC{}
	}
	if n == nil {
		n = &WEC{}
	}
	cm := changedKeys(o.cmData, n.cmData, func(a, b string) bool { return a == b })
	cm = append(cm, changedKeys(o.cmBinary, n.cmBinary, bytes.Equal)...)
	sort.Strings(cm)
	return Delta{
		Labels:      changedKeys(o.labels, n.labels, eqString),
		Annotations: changedKeys(o.annotations, n.annotations, eqString),
		ConfigMap:   slices.Compact(cm),
		Properties:  changedKeys(o.properties, n.properties, eqString),
	}
}

func eqString(a, b string) bool { return a == b }

func changedKeys[V any](a, b map[string]V, eq func(V, V) bool) []string {
	var out []string
	for k, va := range a {
		if vb, ok := b[k]; !ok || !eq(va, vb) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
