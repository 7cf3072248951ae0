package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/wecforge/wecforge/customization"
)

// The functionConfig's type.
const (
	configAPIVersion = "fn.wecforge.io/v1alpha1"
	configKind       = "WECVariant"
)

// specFields are the fields of a WECVariant's spec, sorted.
var specFields = []string{"annotations", "labels", "properties", "wec"}

// variant is a decoded WECVariant: which WEC to render for and, optionally, the WEC itself.
type variant struct {
	// wec is the WEC's name (spec.wec).
	wec string
	// labels, annotations and properties are the WEC's, when the functionConfig gives them;
	// each is nil when absent or empty.
	labels, annotations, properties map[string]string
}

// inline reports whether the functionConfig describes the WEC itself (any non-empty labels,
// annotations or properties) rather than naming a ManagedCluster among the items.
func (v *variant) inline() bool {
	return len(v.labels)+len(v.annotations)+len(v.properties) > 0
}

// parseConfig decodes and checks the functionConfig. Every problem is a *configError naming
// the field; a missing functionConfig, spec or spec.wec also wraps errNoWEC. fc is read, never
// modified.
func parseConfig(fc *yaml.RNode) (*variant, error) {
	if fc == nil || fc.YNode() == nil || yaml.IsMissingOrNull(fc) {
		return nil, &configError{Err: fmt.Errorf("%w: the ResourceList has no functionConfig; give a %s (%s) whose spec.wec names the WEC to render for", errNoWEC, configKind, configAPIVersion)}
	}
	if fc.YNode().Kind != yaml.MappingNode {
		return nil, &configError{Err: errors.New("not a mapping")}
	}
	doc, err := fc.Map()
	if err != nil {
		return nil, &configError{Err: err}
	}
	av, _ := doc["apiVersion"].(string)
	kind, _ := doc["kind"].(string)
	if av != configAPIVersion || kind != configKind {
		return nil, &configError{Err: fmt.Errorf("apiVersion is %s, kind is %s: want apiVersion %s, kind %s", describeValue(doc["apiVersion"]), describeValue(doc["kind"]), configAPIVersion, configKind)}
	}
	rawSpec, ok := doc["spec"]
	if !ok || rawSpec == nil {
		return nil, &configError{Field: "spec", Err: fmt.Errorf("%w: spec.wec is required", errNoWEC)}
	}
	spec, ok := rawSpec.(map[string]any)
	if !ok {
		return nil, &configError{Field: "spec", Err: fmt.Errorf("is %s, not a mapping", describeValue(rawSpec))}
	}
	for _, k := range slices.Sorted(maps.Keys(spec)) {
		if !slices.Contains(specFields, k) {
			return nil, &configError{Field: "spec." + clip(k), Err: fmt.Errorf("unknown field (known: %s)", strings.Join(specFields, ", "))}
		}
	}
	v := &variant{}
	switch name := spec["wec"].(type) {
	case nil:
		return nil, &configError{Field: "spec.wec", Err: fmt.Errorf("%w: spec.wec is required", errNoWEC)}
	case string:
		if name == "" {
			return nil, &configError{Field: "spec.wec", Err: fmt.Errorf("%w: spec.wec is empty", errNoWEC)}
		}
		if problems := validation.IsDNS1123Subdomain(name); len(problems) > 0 {
			return nil, &configError{Field: "spec.wec", Err: fmt.Errorf("%q is not a valid WEC name: %s", clip(name), strings.Join(problems, "; "))}
		}
		v.wec = name
	default:
		return nil, &configError{Field: "spec.wec", Err: fmt.Errorf("%w: spec.wec is %s, not a string", errNoWEC, describeValue(name))}
	}
	if v.labels, err = stringMap(spec, "labels", checkLabel); err != nil {
		return nil, err
	}
	if v.annotations, err = stringMap(spec, "annotations", checkAnnotation); err != nil {
		return nil, err
	}
	if v.properties, err = stringMap(spec, "properties", checkProperty); err != nil {
		return nil, err
	}
	return v, nil
}

// stringMap reads spec[field] as a map of strings, checking each entry; it returns nil for an
// absent, null or empty map.
func stringMap(spec map[string]any, field string, check func(k, v string) error) (map[string]string, error) {
	raw, ok := spec[field]
	if !ok || raw == nil {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, &configError{Field: "spec." + field, Err: fmt.Errorf("is %s, not a mapping of strings", describeValue(raw))}
	}
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s, ok := m[k].(string)
		if !ok {
			return nil, &configError{Field: "spec." + field + "." + clip(k), Err: fmt.Errorf("is %s, not a string: quote it", describeValue(m[k]))}
		}
		if err := check(k, s); err != nil {
			return nil, &configError{Field: "spec." + field + "." + clip(k), Err: err}
		}
		out[k] = s
	}
	return out, nil
}

// checkLabel checks a label as the API server would on a ManagedCluster.
func checkLabel(k, v string) error {
	if problems := validation.IsQualifiedName(k); len(problems) > 0 {
		return fmt.Errorf("invalid label key: %s", strings.Join(problems, "; "))
	}
	if problems := validation.IsValidLabelValue(v); len(problems) > 0 {
		return fmt.Errorf("invalid label value %q: %s", clip(v), strings.Join(problems, "; "))
	}
	return nil
}

// checkAnnotation checks an annotation key as the API server would.
func checkAnnotation(k, _ string) error {
	if problems := validation.IsQualifiedName(strings.ToLower(k)); len(problems) > 0 {
		return fmt.Errorf("invalid annotation key: %s", strings.Join(problems, "; "))
	}
	return nil
}

// checkProperty rejects keys that could never be read as a property, which would otherwise be
// dropped without a word.
func checkProperty(k, _ string) error {
	if !customization.IsPropertyKey(k) {
		return errors.New("not a property key: properties are named by Go identifiers (so that {{ .key }} works in templates)")
	}
	return nil
}

// describeValue names a decoded YAML value's type for messages, with the value when short.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case int, int64, uint64, float64:
		return fmt.Sprintf("the number %v", x)
	case string:
		return fmt.Sprintf("the string %q", clip(x))
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// clip shortens a user-supplied string for a message to 70 characters.
func clip(s string) string {
	if r := []rune(s); len(r) > 70 {
		return string(r[:69]) + "…"
	}
	return s
}
