package validate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/transform/validate"
)

const widgetCRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              port: {x-kubernetes-int-or-string: true}
              tags: {type: array, items: {type: string}}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
  - name: v2
    served: true
    storage: false
`

const widget = `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: ns, labels: {a: b}, annotations: {x: y}}
spec: {size: 3, port: http, tags: [a, b], extra: {anything: [1, {deep: true}]}}
`

func TestValidateCRD(t *testing.T) {
	crd := &unstructured.Unstructured{Object: decode(t, widgetCRD)}
	before := crd.DeepCopy()
	v, err := validate.New(validate.Options{CRDs: []*unstructured.Unstructured{crd}})
	require.NoError(t, err)
	assert.Equal(t, before, crd, "the CRD must not be modified")
	assert.True(t, v.Known(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}))
	assert.False(t, v.Known(schema.GroupVersionKind{Group: "example.com", Version: "v2", Kind: "Widget"}), "a version without a schema is not validated")

	require.NoError(t, v.Validate(decode(t, widget), nil), "metadata, int-or-string and preserved fields pass")
	port := decode(t, widget)
	port["spec"].(map[string]any)["port"] = int64(8080)
	require.NoError(t, v.Validate(port, nil), "int-or-string takes an integer too")

	for _, tc := range []struct {
		name, path, message string
		edit                func(spec map[string]any)
	}{
		{"string in an integer", ".spec.size", `expected numeric (int or float), got a string: "3"`, func(s map[string]any) { s["size"] = "3" }},
		{"undeclared field", ".spec.colour", "field not declared in schema", func(s map[string]any) { s["colour"] = "red" }},
		{"number in a string list", ".spec.tags[1]", "expected string, got a number: 7", func(s map[string]any) { s["tags"].([]any)[1] = int64(7) }},
		{"map where a list belongs", ".spec.tags", "expected list, got a map", func(s map[string]any) { s["tags"] = map[string]any{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := decode(t, widget)
			tc.edit(obj["spec"].(map[string]any))
			var ve *validate.Error
			require.ErrorAs(t, v.Validate(obj, nil), &ve)
			require.Len(t, ve.Violations, 1)
			assert.Equal(t, tc.path, ve.Violations[0].Path)
			assert.Equal(t, tc.message, ve.Violations[0].Message)
		})
	}
}

func TestBadCRDs(t *testing.T) {
	bad := decode(t, `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets}
  versions:
  - {name: v1, schema: {openAPIV3Schema: {type: object, properties: {spec: {type: [1, 2]}}}}}
  - {schema: {openAPIV3Schema: {type: object}}}
  - {name: v3, schema: {openAPIV3Schema: "not a map"}}
  - {name: v4, schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {n: {type: integer}}}}}}}
`)
	noGroup := decode(t, `{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, metadata: {name: x}, spec: {names: {kind: X, plural: xs}, scope: Cluster}}`)
	notCRD := decode(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}`)
	v, err := validate.New(validate.Options{CRDs: []*unstructured.Unstructured{{Object: bad}, {Object: noGroup}, {Object: notCRD}, nil}})
	require.NotNil(t, v)
	require.Error(t, err)
	assert.ErrorIs(t, err, validate.ErrSchema)
	var se *validate.SchemaError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, err.Error(), "CustomResourceDefinition gadgets.example.com version v1: schema.openAPIV3Schema")
	assert.Contains(t, err.Error(), "CustomResourceDefinition gadgets.example.com: spec.versions[1].name must be set")
	assert.Contains(t, err.Error(), "CustomResourceDefinition gadgets.example.com version v3: schema.openAPIV3Schema")
	assert.Contains(t, err.Error(), "CustomResourceDefinition x: ")
	assert.ErrorIs(t, v.Validate(decode(t, `{apiVersion: example.com/v1, kind: Gadget, spec: {}}`), nil), validate.ErrNoSchema, "an unusable version is treated as having no schema")
	assert.ErrorIs(t, v.Validate(decode(t, `{apiVersion: example.com/v4, kind: Gadget, spec: {n: x}}`), nil), validate.ErrInvalid, "the good versions of a CRD still count")
}
