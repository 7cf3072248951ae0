package main

import (
	"maps"
	"reflect"
	"strings"

	"github.com/wecforge/wecforge/transform"
)

// Secret values never appear in --explain, --diff or report.json: the values of a Secret's
// data and stringData are replaced by these placeholders (the rendered objects themselves,
// on stdout or in DIR/<wec>.yaml, are the output and keep them).
const (
	masked        = "<masked>"
	maskedChanged = "<masked, changed>"
)

// isSecret reports whether ref names a core Secret.
func isSecret(ref transform.ObjectRef) bool { return ref.Group == "" && ref.Kind == "Secret" }

// secretFields are the fields of a Secret whose values are masked.
var secretFields = []string{"data", "stringData"}

// isSecretValuePath reports whether a trace path lies in a Secret's data or stringData.
func isSecretValuePath(path string) bool {
	for _, f := range secretFields {
		p := "." + f
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}

// maskChanges returns changes with the values of Secret data masked when ref is a Secret, and
// changes itself otherwise. The input is not modified.
func maskChanges(ref transform.ObjectRef, changes []transform.Change) []transform.Change {
	if !isSecret(ref) {
		return changes
	}
	out := make([]transform.Change, len(changes))
	for i, c := range changes {
		if isSecretValuePath(c.Path) {
			changed := c.Kind != transform.ChangeNoop && !reflect.DeepEqual(c.Old, c.New)
			c.Old, c.New = maskValue(c.Old), maskValue(c.New)
			if s, ok := c.New.(string); ok && changed && c.Old != nil && s == masked {
				c.New = maskedChanged
			}
		}
		out[i] = c
	}
	return out
}

// maskValue replaces a value (or, for a mapping, each of its values) by the placeholder; nil
// stays nil, so an addition or removal still reads as one.
func maskValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case map[string]any:
		m := make(map[string]any, len(x))
		for k := range x {
			m[k] = masked
		}
		return m
	}
	return masked
}

// maskedPair returns copies of a Secret's input and rendered objects for --diff, their data and
// stringData values masked: a value the render changed reads `<masked, changed>` after. Other
// objects are returned as they are. Neither input is modified.
func maskedPair(ref transform.ObjectRef, before, after map[string]any) (map[string]any, map[string]any) {
	if !isSecret(ref) {
		return before, after
	}
	b, a := maps.Clone(before), maps.Clone(after)
	for _, f := range secretFields {
		if v, ok := before[f]; ok {
			b[f] = maskValue(v)
		}
		bv, _ := before[f].(map[string]any)
		av, isMap := after[f].(map[string]any)
		if v, ok := after[f]; ok && !isMap {
			a[f] = maskValue(v) // not a mapping: the API server rejects it; show nothing of it
		}
		if isMap {
			m := make(map[string]any, len(av))
			for k, v := range av {
				m[k] = masked
				if old, ok := bv[k]; !ok || !reflect.DeepEqual(old, v) {
					m[k] = maskedChanged
				}
			}
			a[f] = m
		}
	}
	return b, a
}
