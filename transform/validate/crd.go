package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/wecforge/wecforge/transform/resources"
)

// fromCRD builds one converter per version of crd that has a schema. A version whose schema
// cannot be used is a *SchemaError and is left out; the others still count. crd is read, never
// modified.
func fromCRD(crd *unstructured.Unstructured) (map[schema.GroupVersionKind]managedfields.TypeConverter, []error) {
	if !resources.IsCRD(crd) {
		return nil, nil
	}
	name := crd.GetName()
	m, err := resources.FromCRD(crd)
	if err != nil {
		return nil, []error{&SchemaError{CRD: name, Err: err}}
	}
	versions, _, err := unstructured.NestedSlice(crd.Object, "spec", "versions")
	if err != nil {
		return nil, []error{&SchemaError{CRD: name, Err: fmt.Errorf("spec.versions: %w", err)}}
	}
	out := map[schema.GroupVersionKind]managedfields.TypeConverter{}
	var errs []error
	for i, raw := range versions {
		ver, _ := raw.(map[string]any)
		vname, _ := ver["name"].(string)
		if vname == "" {
			errs = append(errs, &SchemaError{CRD: name, Err: fmt.Errorf("spec.versions[%d].name must be set", i)})
			continue
		}
		root, found, err := unstructured.NestedMap(ver, "schema", "openAPIV3Schema")
		if err != nil {
			errs = append(errs, &SchemaError{CRD: name, Version: vname, Err: fmt.Errorf("schema.openAPIV3Schema: %w", err)})
			continue
		}
		if !found {
			continue // no schema: the kind is not validated at this version
		}
		gvk := schema.GroupVersionKind{Group: m.Kind.Group, Version: vname, Kind: m.Kind.Kind}
		c, err := converter(gvk, root)
		if err != nil {
			errs = append(errs, &SchemaError{CRD: name, Version: vname, Err: err})
			continue
		}
		out[gvk] = c
	}
	return out, errs
}

// converter builds a type converter for one kind from its CRD schema. The schema is completed
// the way an API server completes a CRD's: apiVersion and kind are strings; metadata is an
// object whose fields are not checked here (an API server checks them for every kind).
func converter(gvk schema.GroupVersionKind, root map[string]any) (managedfields.TypeConverter, error) {
	js, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("schema.openAPIV3Schema: %w", err)
	}
	s := &spec.Schema{}
	if err := json.Unmarshal(js, s); err != nil {
		return nil, schemaDecodeError(err)
	}
	if s.Properties == nil {
		s.Properties = map[string]spec.Schema{}
	}
	str := spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"string"}}}
	s.Properties["apiVersion"] = str
	s.Properties["kind"] = str
	meta := spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"}}}
	meta.AddExtension("x-kubernetes-preserve-unknown-fields", true)
	s.Properties["metadata"] = meta
	s.AddExtension("x-kubernetes-group-version-kind", []any{map[string]any{
		"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind,
	}})
	name := gvk.Group + "." + gvk.Version + "." + gvk.Kind
	c, err := managedfields.NewTypeConverter(map[string]*spec.Schema{name: s}, false)
	if err != nil {
		return nil, errors.Join(errors.New("schema.openAPIV3Schema cannot be used"), err)
	}
	return c, nil
}

// schemaDecodeError words a failure to read a CRD schema as an OpenAPI schema. kube-openapi
// decodes through one of two JSON implementations, chosen by process-wide state, whose messages
// differ in wording; when the cause names the offending location (JSON pointer), the message
// gives that location alone so it is the same whichever decoder ran. The cause stays wrapped.
func schemaDecodeError(err error) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, ` within "`); i >= 0 {
		return &schemaError{at: strings.TrimSuffix(msg[i+len(` within "`):], `"`), err: err}
	}
	return fmt.Errorf("schema.openAPIV3Schema: %w", err)
}

// schemaError is a CRD schema value of the wrong JSON type at a JSON pointer.
type schemaError struct {
	at  string
	err error
}

func (e *schemaError) Error() string {
	return fmt.Sprintf("schema.openAPIV3Schema: a value of the wrong JSON type at %q", e.at)
}

func (e *schemaError) Unwrap() error { return e.err }
