package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform/customtransform"
	"github.com/wecforge/wecforge/transform/resources"
)

// The groups of the kinds the function consumes as configuration.
const (
	managedClusterGroup  = "cluster.open-cluster-management.io"
	managedClusterKind   = "ManagedCluster"
	customTransformGroup = "control.kubestellar.io"
	ruleGroup            = "wecforge.io"
	crdGroup             = "apiextensions.k8s.io"
)

// routed is the ResourceList's items sorted by role.
type routed struct {
	// documents are the configuration documents for engine.Compile: CustomTransforms,
	// CustomizationRules, BindingPolicies, Bindings and CustomResourceDefinitions.
	documents []engine.Document
	// workloads are the items to render, in input order (CustomResourceDefinitions included).
	workloads []decoded
	// clusters are the ManagedClusters and configMaps the properties ConfigMaps, by name.
	clusters, configMaps map[string]decoded
}

// route sorts items by kind. Configuration items (ManagedCluster, properties ConfigMap,
// CustomTransform, CustomizationRule, BindingPolicy, Binding) are consumed; everything else is
// a workload. It returns one *itemError per item it cannot route.
func route(items []decoded) (*routed, []error) {
	r := &routed{clusters: map[string]decoded{}, configMaps: map[string]decoded{}}
	var errs []error
	fail := func(d decoded, format string, args ...any) {
		errs = append(errs, &itemError{Item: d.item, Err: fmt.Errorf(format, args...)})
	}
	for _, d := range items {
		gv, err := schema.ParseGroupVersion(d.id.APIVersion)
		if err != nil {
			fail(d, "apiVersion %q: %w", clip(d.id.APIVersion), err)
			continue
		}
		gvk := gv.WithKind(d.id.Kind)
		// wantGroup checks the group of a configuration kind, which a typo would otherwise
		// turn into a workload delivered to the WEC.
		wantGroup := func(group, version string) bool {
			if gvk.Group == group {
				return true
			}
			fail(d, "%s has apiVersion %q, want %s/%s", gvk.Kind, clip(d.id.APIVersion), group, version)
			return false
		}
		doc := engine.Document{Source: d.source, Object: d.obj}
		switch {
		case gvk.Kind == managedClusterKind:
			if !wantGroup(managedClusterGroup, "v1") {
				continue
			}
			if d.id.Name == "" {
				fail(d, "a ManagedCluster needs metadata.name (the name is the WEC's name)")
				continue
			}
			if prev, dup := r.clusters[d.id.Name]; dup {
				fail(d, "ManagedCluster %q is also in %s", d.id.Name, prev.source)
				continue
			}
			r.clusters[d.id.Name] = d
		case gvk.Group == "" && gvk.Kind == "ConfigMap" && d.id.Namespace == customization.PropertiesNamespace:
			if d.id.Name == "" {
				fail(d, "a properties ConfigMap needs metadata.name (it is named after its WEC)")
				continue
			}
			if prev, dup := r.configMaps[d.id.Name]; dup {
				fail(d, "properties ConfigMap %s/%s is also in %s", customization.PropertiesNamespace, d.id.Name, prev.source)
				continue
			}
			r.configMaps[d.id.Name] = d
		case gvk.Kind == customtransform.Kind:
			if wantGroup(customTransformGroup, "v1alpha1") {
				r.documents = append(r.documents, doc)
			}
		case gvk.Kind == rules.Kind:
			if wantGroup(ruleGroup, "v1alpha1") {
				r.documents = append(r.documents, doc)
			}
		case gvk.Kind == placement.BindingPolicyKind || gvk.Kind == placement.BindingKind:
			if wantGroup(placement.Group, "v1alpha1") {
				r.documents = append(r.documents, doc)
			}
		case gvk.Group == crdGroup && gvk.Kind == resources.CRDKind:
			// A CRD is delivered like any workload and also teaches the mapper its kind.
			r.documents = append(r.documents, doc)
			r.workloads = append(r.workloads, d)
		default:
			r.workloads = append(r.workloads, d)
		}
	}
	return r, errs
}

// fleet builds the WEC the function renders for and every WEC of the inventory (placement is
// judged on the whole fleet). The target comes from the functionConfig (when it gives labels,
// annotations or properties) or from the ManagedCluster spec.wec names; its properties are
// spec.properties or the properties ConfigMap named after it. Each problem is an error naming
// the item or the functionConfig field; a spec.wec that names no WEC wraps errNoWEC.
func (r *routed) fleet(v *variant) (*customization.WEC, []*customization.WEC, []error) {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(r.configMaps)) {
		if _, ok := r.clusters[name]; !ok && name != v.wec {
			errs = append(errs, &itemError{Item: r.configMaps[name].item, Err: fmt.Errorf("properties ConfigMap names no WEC: there is no ManagedCluster %q among the items and the functionConfig's spec.wec is %q", clip(name), v.wec)})
		}
	}
	var target *customization.WEC
	var wecs []*customization.WEC
	for _, name := range slices.Sorted(maps.Keys(r.clusters)) {
		mc := r.clusters[name]
		if name == v.wec && v.inline() {
			errs = append(errs, &itemError{Item: mc.item, Err: fmt.Errorf("the functionConfig describes WEC %q itself (spec.labels, annotations or properties) and this ManagedCluster describes it too: give one of them", name)})
			continue
		}
		cm, err := r.properties(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		w, err := customization.FromManagedCluster(&unstructured.Unstructured{Object: mc.obj}, cm)
		if err != nil {
			errs = append(errs, &itemError{Item: mc.item, Err: err})
			continue
		}
		wecs = append(wecs, w)
		if name == v.wec {
			target = w
		}
	}
	switch _, named := r.clusters[v.wec]; {
	case named:
		// Built above, or its problem is reported.
	case v.inline() || len(r.clusters) == 0:
		// The functionConfig describes the WEC, or the items hold no inventory: the WEC is
		// the functionConfig's (a bare name when it gives nothing else).
		cm, err := r.inlineProperties(v)
		if err != nil {
			errs = append(errs, err)
			break
		}
		w, err := customization.New(v.wec, v.labels, v.annotations, cm)
		if err != nil {
			errs = append(errs, &configError{Field: "spec.wec", Err: err})
			break
		}
		target = w
		wecs = append(wecs, w)
		slices.SortFunc(wecs, func(a, b *customization.WEC) int { return strings.Compare(a.Name(), b.Name()) })
	default:
		errs = append(errs, &configError{Field: "spec.wec", Err: fmt.Errorf("%w: there is no ManagedCluster %q among the items (they hold %s), and the functionConfig gives no labels, annotations or properties for it", errNoWEC, v.wec, listNames(slices.Sorted(maps.Keys(r.clusters))))})
	}
	return target, wecs, errs
}

// properties returns the properties ConfigMap of WEC name among the items, nil when there is
// none.
func (r *routed) properties(name string) (*corev1.ConfigMap, error) {
	d, ok := r.configMaps[name]
	if !ok {
		return nil, nil
	}
	if data, ok := d.obj["data"].(map[string]any); ok {
		for _, k := range slices.Sorted(maps.Keys(data)) {
			if _, isString := data[k].(string); !isString {
				return nil, &itemError{Item: d.item, Err: fmt.Errorf("data.%s is %s, not a string: ConfigMap values are strings, quote it", clip(k), describeValue(data[k]))}
			}
		}
	}
	cm := &corev1.ConfigMap{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(d.obj, cm, true); err != nil {
		return nil, &itemError{Item: d.item, Err: err}
	}
	return cm, nil
}

// inlineProperties returns the properties of a WEC the functionConfig describes: spec.properties,
// or the properties ConfigMap among the items; both is an error.
func (r *routed) inlineProperties(v *variant) (*corev1.ConfigMap, error) {
	if v.properties == nil {
		return r.properties(v.wec)
	}
	if d, ok := r.configMaps[v.wec]; ok {
		return nil, &itemError{Item: d.item, Err: fmt.Errorf("the functionConfig's spec.properties gives WEC %q its properties and this ConfigMap does too: give one of them", v.wec)}
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: v.wec, Namespace: customization.PropertiesNamespace},
		Data:       v.properties,
	}, nil
}

// listNames formats at most 10 names for a message.
func listNames(names []string) string {
	const most = 10
	if len(names) > most {
		return strings.Join(names[:most], ", ") + fmt.Sprintf(" and %d more", len(names)-most)
	}
	return strings.Join(names, ", ")
}
