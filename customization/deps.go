package customization

import (
	"slices"
	"sort"
)

// Dependencies records which inputs of a WEC a render read. A controller keeps it per (object,
// WEC) pair and re-renders the pair only when [Dependencies.Affected] says a change touches it.
//
// The zero value records nothing. A Dependencies is not safe for concurrent mutation; after a
// render it is read-only and may be shared.
type Dependencies struct {
	// AllProperties is set when the render read the property map as a whole (for example a
	// template that ranges over it, or CEL that iterates properties).
	AllProperties bool `json:"allProperties,omitempty"`
	// AllLabels is set when the render read the label map as a whole.
	AllLabels bool `json:"allLabels,omitempty"`
	// AllAnnotations is set when the render read the annotation map as a whole.
	AllAnnotations bool `json:"allAnnotations,omitempty"`
	// AllConfigMap is set when the render read the raw ConfigMap data as a whole.
	AllConfigMap bool `json:"allConfigMap,omitempty"`
	// Properties are property keys read through the merged map.
	Properties []string `json:"properties,omitempty"`
	// Labels are label keys read directly (selectors, cluster.labels[...]).
	Labels []string `json:"labels,omitempty"`
	// Annotations are annotation keys read directly.
	Annotations []string `json:"annotations,omitempty"`
	// ConfigMap are raw ConfigMap keys read directly.
	ConfigMap []string `json:"configMap,omitempty"`
}

// AddProperty records that property key was read.
func (d *Dependencies) AddProperty(key string) { d.Properties = addKey(d.Properties, key) }

// AddLabel records that label key was read.
func (d *Dependencies) AddLabel(key string) { d.Labels = addKey(d.Labels, key) }

// AddAnnotation records that annotation key was read.
func (d *Dependencies) AddAnnotation(key string) { d.Annotations = addKey(d.Annotations, key) }

// AddConfigMap records that raw ConfigMap key was read.
func (d *Dependencies) AddConfigMap(key string) { d.ConfigMap = addKey(d.ConfigMap, key) }

// Merge adds everything other records to d.
func (d *Dependencies) Merge(other Dependencies) {
	d.AllProperties = d.AllProperties || other.AllProperties
	d.AllLabels = d.AllLabels || other.AllLabels
	d.AllAnnotations = d.AllAnnotations || other.AllAnnotations
	d.AllConfigMap = d.AllConfigMap || other.AllConfigMap
	for _, k := range other.Properties {
		d.AddProperty(k)
	}
	for _, k := range other.Labels {
		d.AddLabel(k)
	}
	for _, k := range other.Annotations {
		d.AddAnnotation(k)
	}
	for _, k := range other.ConfigMap {
		d.AddConfigMap(k)
	}
}

// Empty reports whether the render read nothing of the WEC.
func (d Dependencies) Empty() bool {
	return !d.AllProperties && !d.AllLabels && !d.AllAnnotations && !d.AllConfigMap &&
		len(d.Properties) == 0 && len(d.Labels) == 0 && len(d.Annotations) == 0 && len(d.ConfigMap) == 0
}

// Affected reports whether a render with these dependencies may give a different result after
// the change described by delta. It is exact for keyed reads and conservative for whole-map
// reads.
func (d Dependencies) Affected(delta Delta) bool {
	switch {
	case d.AllProperties && len(delta.Properties) > 0,
		d.AllLabels && len(delta.Labels) > 0,
		d.AllAnnotations && len(delta.Annotations) > 0,
		d.AllConfigMap && len(delta.ConfigMap) > 0:
		return true
	}
	return intersects(d.Properties, delta.Properties) || intersects(d.Labels, delta.Labels) ||
		intersects(d.Annotations, delta.Annotations) || intersects(d.ConfigMap, delta.ConfigMap)
}

func addKey(keys []string, key string) []string {
	i, found := slices.BinarySearch(keys, key)
	if found {
		return keys
	}
	return slices.Insert(keys, i, key)
}

// intersects reports whether two sorted lists share a key.
func intersects(a, b []string) bool {
	if !sort.StringsAreSorted(a) || !sort.StringsAreSorted(b) {
		for _, x := range a {
			if slices.Contains(b, x) {
				return true
			}
		}
		return false
	}
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}
