package main

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/internal/workers"
	"github.com/wecforge/wecforge/transform/validate"
)

// validateFlagUsage is the help text of --validate.
const validateFlagUsage = "check every rendered object against its kind's schema (built-in kinds, and CRDs among the inputs); an object that does not match fails its pair and is left out (exit 1); --validate=false turns the check off"

// checkSchemas validates every rendered pair of r against the schema of its kind: the built-in
// kinds client-go knows, and the kinds of the CustomResourceDefinitions among the inputs
// (r.crds). A
// pair whose object does not match fails (its object is left out and the run exits 1), its
// error naming the field path, the expected type and the rule or template that wrote the
// value. Violations that all came with the input are a warning, once per object, not a
// failure: the render did not cause them. Each kind without a schema gets one notice; a CRD whose schema cannot be used is a
// warning (its kind then has no schema). WECs are checked in parallel; the outcome does not
// depend on the scheduling.
func checkSchemas(r *rendered) {
	crds := r.crds
	objs := make([]*unstructured.Unstructured, len(crds))
	for i, d := range crds {
		objs[i] = &unstructured.Unstructured{Object: d.Object}
	}
	v, err := validate.New(validate.Options{CRDs: objs})
	for _, e := range problems(err) {
		var se *validate.SchemaError
		if errors.As(e, &se) {
			e = &inputError{Where: crdWhere(crds, se.CRD), Err: e}
		}
		r.warnings = append(r.warnings, "not validated: "+e.Error())
	}
	unknown := make([]map[schema.GroupVersionKind]bool, len(r.wecs))
	failed := make([]int, len(r.wecs))
	fromInput := make([][]inputViolation, len(r.wecs))
	workers.Do(len(r.wecs), func(k int) {
		wo := &r.wecs[k]
		unknown[k] = map[schema.GroupVersionKind]bool{}
		for i := range wo.pairs {
			p := &wo.pairs[i]
			if p.err != nil || p.res.Object == nil {
				continue
			}
			if err := v.Result(&p.res); err != nil {
				var ve *validate.Error
				if errors.As(err, &ve) && ve.FromInput() {
					fromInput[k] = append(fromInput[k], inputViolation{p.w, ve})
					continue
				}
				p.err = pairError(err, wo.wec.Name(), p.w.ref)
				failed[k]++
				continue
			}
			if gvk := p.res.Object.GroupVersionKind(); !v.Known(gvk) {
				unknown[k][gvk] = true
			}
		}
	})
	var kinds []schema.GroupVersionKind
	said := map[*workload]bool{}
	for k := range r.wecs {
		r.failed += failed[k]
		for _, iv := range fromInput[k] {
			if !said[iv.w] {
				said[iv.w] = true
				r.warnings = append(r.warnings, fmt.Sprintf("%s (%s): the input %s; an API server would not accept it, so it is delivered as given", iv.w.ref, iv.w.doc.where(), iv.err))
			}
		}
		for gvk := range unknown[k] {
			if !slices.Contains(kinds, gvk) {
				kinds = append(kinds, gvk)
			}
		}
	}
	slices.SortFunc(kinds, func(a, b schema.GroupVersionKind) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Version, b.Version))
	})
	for _, gvk := range kinds {
		r.notices = append(r.notices, (&validate.NoSchemaError{GVK: gvk}).Error())
	}
}

// inputViolation is a workload whose schema violations all came with the input: no rule or
// template wrote them, so the pair is not failed for them (a WDS, being an API server, would
// have refused the object); the run warns once per object instead.
type inputViolation struct {
	w   *workload
	err *validate.Error
}

// crdWhere names the input document of the CustomResourceDefinition called name.
func crdWhere(crds []document, name string) string {
	for _, d := range crds {
		if (&unstructured.Unstructured{Object: d.Object}).GetName() == name {
			return d.where()
		}
	}
	return "CustomResourceDefinition " + name
}
