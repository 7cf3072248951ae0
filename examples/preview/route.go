package main

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
)

// The API groups and kinds the tool routes by.
const (
	managedClusterGroup  = "cluster.open-cluster-management.io"
	managedClusterKind   = "ManagedCluster"
	customTransformGroup = "control.kubestellar.io"
	customTransformKind  = "CustomTransform"
	ruleGroup            = "wecforge.io"
	ruleKind             = "CustomizationRule"
	crdGroup             = "apiextensions.k8s.io"
	crdKind              = "CustomResourceDefinition"
)

// inputs are the routed documents, ready to build a pipeline from.
type inputs struct {
	// wecs are the WECs in name order.
	wecs []*customization.WEC
	// workloads are the objects to render, in input order.
	workloads []workload
	// customTransforms are the CustomTransform documents, in input order.
	customTransforms []document
	// rules are the CustomizationRule documents, in input order.
	rules []document
	// crds are the CustomResourceDefinitions among the workloads; they feed the kind→resource
	// mapping.
	crds []document
	// placement are the BindingPolicy and Binding documents, then StatusCollectors, in
	// input order: the engine's configuration besides the above.
	placement []document
	// returned are the ReturnedStatus documents (status.go), in input order.
	returned []document
}

// workload is one object to render.
type workload struct {
	doc document
	// ref names the object as given (a generateName stands in for a missing name), so that
	// messages name it even after generateName is removed.
	ref transform.ObjectRef
	obj *unstructured.Unstructured
}

// route sorts documents by kind (see the package documentation). It checks what it routes and
// returns every problem found, joined, each naming its document.
func route(docs []document) (*inputs, error) {
	in := &inputs{}
	var errs []error
	fail := func(d document, format string, args ...any) {
		errs = append(errs, &inputError{Where: d.where(), Err: fmt.Errorf(format, args...)})
	}
	type mc struct {
		doc document
		u   *unstructured.Unstructured
	}
	clusters := map[string]mc{}
	configMaps := map[string]document{}
	seen := map[transform.ObjectRef]document{}
	for _, d := range docs {
		u := &unstructured.Unstructured{Object: d.Object}
		gvk, err := typeOf(u)
		if err != nil {
			fail(d, "%w", err)
			continue
		}
		switch {
		case gvk.Kind == managedClusterKind:
			if gvk.Group != managedClusterGroup {
				fail(d, "ManagedCluster has apiVersion %q, want %s/v1", u.GetAPIVersion(), managedClusterGroup)
				continue
			}
			name := u.GetName()
			if name == "" {
				fail(d, "ManagedCluster has no metadata.name (the name is the WEC's name)")
				continue
			}
			if problems := validation.IsDNS1123Label(name); len(problems) > 0 {
				fail(d, "ManagedCluster name %q is not a DNS-1123 label (the name is the WEC's, its namespace on the hub and its file under -o): %s", clip(name), strings.Join(problems, "; "))
				continue
			}
			if prev, dup := clusters[name]; dup {
				fail(d, "ManagedCluster %q is defined twice (first in %s)", name, prev.doc.where())
				continue
			}
			clusters[name] = mc{doc: d, u: u}
		case gvk.Group == "" && gvk.Kind == "ConfigMap" && u.GetNamespace() == customization.PropertiesNamespace:
			name := u.GetName()
			if name == "" {
				fail(d, "properties ConfigMap in namespace %s has no metadata.name (it must be named after its WEC)", customization.PropertiesNamespace)
				continue
			}
			if prev, dup := configMaps[name]; dup {
				fail(d, "properties ConfigMap %s/%s is defined twice (first in %s)", customization.PropertiesNamespace, name, prev.where())
				continue
			}
			configMaps[name] = d
		case gvk.Kind == customTransformKind:
			if gvk.Group != customTransformGroup {
				fail(d, "CustomTransform has apiVersion %q, want %s/v1alpha1", u.GetAPIVersion(), customTransformGroup)
				continue
			}
			in.customTransforms = append(in.customTransforms, d)
		case gvk.Group == placement.Group && (gvk.Kind == placement.BindingPolicyKind || gvk.Kind == placement.BindingKind):
			// The placement compiler checks every field, naming the document.
			in.placement = append(in.placement, d)
		case isStatusCollector(gvk):
			in.placement = append(in.placement, d) // configuration for the engine (status.go)
		case engine.IsReturnedStatus(d.Object):
			in.returned = append(in.returned, d)
		case gvk.Kind == ruleKind:
			// The rule compiler checks apiVersion and every field, naming the document.
			in.rules = append(in.rules, d)
		default:
			ref := transform.RefOf(d.Object)
			if ref.Name == "" {
				fail(d, "%s has neither metadata.name nor metadata.generateName", gvk.Kind)
				continue
			}
			if prev, dup := seen[ref]; dup {
				fail(d, "%s is defined twice (first in %s)", ref, prev.where())
				continue
			}
			seen[ref] = d
			in.workloads = append(in.workloads, workload{doc: d, ref: ref, obj: u})
			if gvk.Group == crdGroup && gvk.Kind == crdKind {
				in.crds = append(in.crds, d)
			}
		}
	}
	for name, d := range configMaps {
		if _, ok := clusters[name]; !ok {
			fail(d, "properties ConfigMap %s/%s names no WEC: there is no ManagedCluster %q among the inputs", customization.PropertiesNamespace, name, name)
		}
	}
	for name, c := range clusters {
		var cm *corev1.ConfigMap
		if d, ok := configMaps[name]; ok {
			var err error
			if cm, err = propertiesConfigMap(d.Object); err != nil {
				fail(d, "properties ConfigMap %s/%s: %w", customization.PropertiesNamespace, name, err)
				continue
			}
		}
		w, err := customization.FromManagedCluster(c.u, cm)
		if err != nil {
			fail(c.doc, "%w", err)
			continue
		}
		in.wecs = append(in.wecs, w)
	}
	if err := joinSorted(errs); err != nil {
		return nil, err
	}
	slices.SortFunc(in.wecs, func(a, b *customization.WEC) int { return strings.Compare(a.Name(), b.Name()) })
	return in, nil
}

// clip shortens a name for a message to 70 characters.
func clip(s string) string {
	if r := []rune(s); len(r) > 70 {
		return string(r[:69]) + "…"
	}
	return s
}

// propertiesConfigMap converts a properties ConfigMap, first checking the mistake users make
// most (an unquoted number or boolean in data) so that the message names the key.
func propertiesConfigMap(obj map[string]any) (*corev1.ConfigMap, error) {
	if data, ok := obj["data"].(map[string]any); ok {
		keys := slices.Sorted(maps.Keys(data))
		for _, k := range keys {
			if _, isString := data[k].(string); !isString {
				return nil, fmt.Errorf("data.%s is %s, not a string: ConfigMap values are strings, quote it", k, describeJSON(data[k]))
			}
		}
	}
	cm := &corev1.ConfigMap{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj, cm, true); err != nil {
		return nil, err
	}
	return cm, nil
}

// describeJSON names a JSON value's type for messages, with the value when it is short.
func describeJSON(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case int64, float64:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// typeOf checks that a document is a Kubernetes object (string apiVersion and kind, metadata a
// mapping) and returns its group, version and kind.
func typeOf(u *unstructured.Unstructured) (schema.GroupVersionKind, error) {
	av, okAV := u.Object["apiVersion"].(string)
	kind, okKind := u.Object["kind"].(string)
	var missing []string
	if !okAV || av == "" {
		missing = append(missing, "apiVersion")
	}
	if !okKind || kind == "" {
		missing = append(missing, "kind")
	}
	if len(missing) > 0 {
		return schema.GroupVersionKind{}, fmt.Errorf("not a Kubernetes object: %s missing or not a string", strings.Join(missing, " and "))
	}
	gv, err := schema.ParseGroupVersion(av)
	if err != nil {
		return schema.GroupVersionKind{}, fmt.Errorf("apiVersion %q: %w", av, err)
	}
	if md, ok := u.Object["metadata"]; ok {
		if _, isMap := md.(map[string]any); !isMap {
			return schema.GroupVersionKind{}, fmt.Errorf("%s: metadata is not a mapping", kind)
		}
	}
	for _, f := range []string{"name", "namespace", "generateName"} {
		if v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "metadata", f); ok {
			if _, isString := v.(string); !isString {
				return schema.GroupVersionKind{}, fmt.Errorf("%s: metadata.%s is not a string", kind, f)
			}
		}
	}
	for _, f := range []string{"labels", "annotations"} {
		if _, _, err := unstructured.NestedStringMap(u.Object, "metadata", f); err != nil {
			return schema.GroupVersionKind{}, fmt.Errorf("%s: metadata.%s must map strings to strings", kind, f)
		}
	}
	return gv.WithKind(kind), nil
}

// joinSorted joins errors ordered by the document they name (file, then line), keeping the
// order in which they were found among errors of one document and putting errors that name
// no document last; problems found while iterating maps are thereby reported
// deterministically.
func joinSorted(errs []error) error {
	errs = slices.DeleteFunc(errs, func(e error) bool { return e == nil })
	slices.SortStableFunc(errs, func(a, b error) int { return compareWhere(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// compareWhere orders messages that start with `file#index (line N)` by file, then line
// (numerically), before all other messages; it returns 0 for messages of one document and
// for two messages naming no document.
func compareWhere(a, b string) int {
	fa, la, oka := splitWhere(a)
	fb, lb, okb := splitWhere(b)
	switch {
	case oka && okb:
		if c := strings.Compare(fa, fb); c != 0 {
			return c
		}
		return cmp.Compare(la, lb)
	case oka:
		return -1
	case okb:
		return 1
	}
	return 0
}

func splitWhere(msg string) (file string, line int, ok bool) {
	hash := strings.IndexByte(msg, '#')
	open := strings.Index(msg, " (line ")
	if hash < 0 || open < hash {
		return "", 0, false
	}
	if _, err := fmt.Sscanf(msg[open:], " (line %d)", &line); err != nil {
		return "", 0, false
	}
	return msg[:hash], line, true
}
