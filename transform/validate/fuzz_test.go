package validate_test

import (
	"encoding/json"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/validate"
)

// FuzzValidate feeds arbitrary JSON objects, with a trace naming some of their paths: Validate
// must never panic, must not modify the object, and must return nil, a *NoSchemaError or an
// *Error with at least one violation.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":"3"}}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":[{"name":"a","image":5},{"name":"a"}]}}}}`,
		`{"apiVersion":"v1","kind":"Service","spec":{"ports":[{"port":80,"protocol":"TCP"},{"port":"x"}]}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"annotations":{"a.b/c[d]":1}},"data":{"x":[]}}`,
		`{"apiVersion":"example.com/v1","kind":"Widget","spec":{"size":"x","tags":{"a":1}}}`,
		`{"apiVersion":7,"kind":["x"]}`,
		`{"apiVersion":"v1","kind":"Pod","spec":{"containers":"x"}}`,
	} {
		f.Add(s, ".spec.replicas")
	}
	v, err := validate.New(validate.Options{CRDs: []*unstructured.Unstructured{{Object: decode(f, widgetCRD)}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data, path string) {
		u := &unstructured.Unstructured{}
		if u.UnmarshalJSON([]byte(data)) != nil {
			var m map[string]any
			if json.Unmarshal([]byte(data), &m) != nil || m == nil {
				return
			}
			u.Object = m
		}
		before := u.DeepCopy()
		err := v.Validate(u.Object, transform.Trace{{Path: path, By: "fuzz", Kind: transform.ChangeSet}})
		if !transform.Equal(before.Object, u.Object) {
			t.Fatal("the object was modified")
		}
		var ve *validate.Error
		switch {
		case err == nil, errors.Is(err, validate.ErrNoSchema):
		case errors.As(err, &ve):
			if len(ve.Violations) == 0 {
				t.Fatal("an *Error without violations")
			}
		default:
			t.Fatalf("unexpected error %T: %v", err, err)
		}
	})
}
