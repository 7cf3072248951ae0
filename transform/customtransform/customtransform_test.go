package customtransform_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/internal/testobj"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/customtransform"
	"github.com/wecforge/wecforge/transform/jsonpath"
	"github.com/wecforge/wecforge/transform/resources"
)

var decode = testobj.FromYAML

// ct builds a CustomTransform; remove is a YAML flow list.
func ct(t testing.TB, name, group, resource, remove string) *unstructured.Unstructured {
	return decode(t, fmt.Sprintf(`apiVersion: control.kubestellar.io/v1alpha1
kind: CustomTransform
metadata: {name: %s}
spec: {apiGroup: %q, resource: %q, remove: %s}
`, name, group, resource, remove))
}

func prepare(t *testing.T, s *customtransform.Stage, in *unstructured.Unstructured) *transform.Prepared {
	t.Helper()
	before := in.DeepCopy()
	prep := transform.NewPipeline([]transform.Stage{transform.Named(customtransform.StageName, s)}, nil).Prepare(context.Background(), in)
	require.Equal(t, before, in, "the input must never be modified")
	return prep
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		docs   []*unstructured.Unstructured
		errs   []string
		usable []string
	}{{
		name: "invalid entries are reported with index and position; valid ones stay",
		docs: []*unstructured.Unstructured{ct(t, "strip", "apps", "deployments",
			`["$.spec.replicas", "$", "$.spec[", 7, "$..image", "$.status"]`)},
		errs: []string{
			`customtransform strip: spec.remove[1]: invalid JSONPath "$" at position 0: $ alone identifies the whole object; name a field below it`,
			`customtransform strip: spec.remove[2]: invalid JSONPath "$.spec[" at position 6: unclosed [`,
			`customtransform strip: spec.remove[3]: must be a string (a JSONPath query), not a number`,
			`customtransform strip: spec.remove[4]: invalid JSONPath "$..image" at position 1: descendant segments (..) are not supported`,
		},
		usable: []string{"strip"},
	}, {
		name: "whole-object problems",
		docs: []*unstructured.Unstructured{
			decode(t, "apiVersion: control.kubestellar.io/v1alpha1\nkind: CustomTransform\nmetadata: {name: a-nospec}"),
			ct(t, "b-kind", "apps", "Deployment", `[]`),
			ct(t, "c-dotted", "", "deployments.apps", `[]`),
			ct(t, "d-empty", "apps", "", `[]`),
			decode(t, "apiVersion: control.kubestellar.io/v1alpha1\nkind: CustomTransform\nmetadata: {name: e-group}\nspec: {apiGroup: 1, resource: pods}"),
			decode(t, "apiVersion: control.kubestellar.io/v1alpha1\nkind: CustomTransform\nmetadata: {name: f-remove}\nspec: {resource: pods, remove: $.spec}"),
			decode(t, "apiVersion: control.kubestellar.io/v1alpha2\nkind: CustomTransform\nmetadata: {name: g-version}\nspec: {resource: pods}"),
			decode(t, "apiVersion: control.kubestellar.io/v1alpha1\nkind: CustomTransform\nmetadata: {generateName: h-}\nspec: {resource: pods}"),
			nil,
			{Object: map[string]any{"metadata": map[string]any{"name": "i-notype"}, "spec": map[string]any{"resource": "pods"}}},
			{Object: map[string]any{"apiVersion": int64(7), "metadata": map[string]any{"name": "j-badtype"}, "spec": map[string]any{"resource": "pods"}}},
			ct(t, "ok", "", "pods", `["$.spec.nodeName"]`),
			ct(t, "ok", "", "pods", `["$.spec.hostname"]`),
		},
		errs: []string{
			"customtransform a-nospec: spec: must be set to a map",
			`customtransform b-kind: spec.resource: "Deployment" must be a lowercase plural resource name (for example deployments), not a kind`,
			`customtransform c-dotted: spec.resource: "deployments.apps" must be a plain resource name; put the group in spec.apiGroup`,
			"customtransform customtransforms[7]: metadata.name: must be set",
			"customtransform customtransforms[8]: is nil",
			"customtransform d-empty: spec.resource: must be set (the lowercase plural resource, for example deployments)",
			"customtransform e-group: spec.apiGroup: must be a string, not a number",
			"customtransform f-remove: spec.remove: must be a list of JSONPath queries, not a string",
			"customtransform g-version: is a control.kubestellar.io/v1alpha2 CustomTransform, not a control.kubestellar.io/v1alpha1 CustomTransform",
			"customtransform i-notype: is a document without apiVersion and kind (a caller that knows the type must set them), not a control.kubestellar.io/v1alpha1 CustomTransform",
			"customtransform j-badtype: is a document with apiVersion of type a number and no kind, not a control.kubestellar.io/v1alpha1 CustomTransform",
			"customtransform ok: appears more than once; CustomTransform names are unique",
		},
		usable: []string{"ok"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := customtransform.New(tc.docs, nil)
			require.NotNil(t, s, "the stage is usable even with problems")
			require.Error(t, err)
			assert.ErrorIs(t, err, customtransform.ErrInvalid)
			assert.Equal(t, tc.errs, strings.Split(err.Error(), "\n"))
			assert.Equal(t, tc.usable, s.Names())
			var ce *customtransform.Error
			require.True(t, errors.As(err, &ce))
		})
	}
	t.Run("parse errors keep their position", func(t *testing.T) {
		_, err := customtransform.New([]*unstructured.Unstructured{ct(t, "x", "", "pods", `["$.a[1:2]"]`)}, nil)
		var pe *jsonpath.ParseError
		require.True(t, errors.As(err, &pe))
		assert.Equal(t, 5, pe.Pos)
		assert.ErrorIs(t, err, jsonpath.ErrSyntax)
	})
	t.Run("valid entries of a partly invalid CustomTransform apply", func(t *testing.T) {
		s, err := customtransform.New([]*unstructured.Unstructured{ct(t, "strip", "apps", "deployments", `["$.spec.replicas", "$"]`)}, nil)
		require.Error(t, err)
		prep := prepare(t, s, decode(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 3, paused: true}"))
		require.NoError(t, prep.Err)
		assert.Equal(t, map[string]any{"paused": true}, prep.Object().Object["spec"])
	})
}

func TestWarnings(t *testing.T) {
	docs := []*unstructured.Unstructured{
		ct(t, "zeta", "apps", "deployments", `["$.spec.paused"]`),
		ct(t, "alpha", "apps", "deployments", `["$.spec.replicas"]`),
		ct(t, "mid", "apps", "deployments", `["$.spec.minReadySeconds"]`),
		ct(t, "other", "", "services", `["$.spec.type"]`),
		ct(t, "typo", "apps", "deploymentz", `["$.spec"]`),
		ct(t, "empty", "", "pods", `[]`),
		ct(t, "singular", "networking.k8s.io", "networkpolicy", `["$.spec"]`),
		ct(t, "core-spelled", "core", "services", `["$.spec"]`),
	}
	s, err := customtransform.New(docs, nil)
	require.NoError(t, err)
	want := []string{
		"customtransform alpha: resource deployments.apps is also transformed by customtransform mid, zeta; all apply, in name order",
		`customtransform core-spelled: no known kind has resource services.core (did you mean the core group, spelled "", where Service has it?); add its CustomResourceDefinition or an explicit mapping, or objects of that kind fail`,
		"customtransform empty: removes nothing (spec.remove has no valid query)",
		"customtransform mid: resource deployments.apps is also transformed by customtransform alpha, zeta; all apply, in name order",
		"customtransform singular: no known kind has resource networkpolicy.networking.k8s.io (did you mean networkpolicies, the resource of kind NetworkPolicy?); add its CustomResourceDefinition or an explicit mapping, or objects of that kind fail",
		"customtransform typo: no known kind has resource deploymentz.apps; add its CustomResourceDefinition or an explicit mapping, or objects of that kind fail",
		"customtransform zeta: resource deployments.apps is also transformed by customtransform alpha, mid; all apply, in name order",
	}
	assert.Equal(t, want, s.Warnings())
	// Deterministic regardless of input order.
	rev := make([]*unstructured.Unstructured, len(docs))
	for i, d := range docs {
		rev[len(docs)-1-i] = d
	}
	s2, err := customtransform.New(rev, nil)
	require.NoError(t, err)
	assert.Equal(t, want, s2.Warnings())

	// All three apply, in name order.
	prep := prepare(t, s, decode(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec: {replicas: 1, paused: false, minReadySeconds: 5, strategy: {}}`))
	require.NoError(t, prep.Err)
	assert.Equal(t, map[string]any{"strategy": map[string]any{}}, prep.Object().Object["spec"])
	var by []string
	for _, c := range prep.Trace() {
		by = append(by, c.By+" "+c.Path)
	}
	assert.Equal(t, []string{
		"customtransform alpha: spec.remove[0] .spec.replicas",
		"customtransform mid: spec.remove[0] .spec.minReadySeconds",
		"customtransform zeta: spec.remove[0] .spec.paused",
	}, by)
}

func TestMatching(t *testing.T) {
	mapper, err := resources.New(resources.Options{Objects: []*unstructured.Unstructured{decode(t, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: services.serving.knative.dev}
spec: {group: serving.knative.dev, scope: Namespaced, names: {kind: Service, plural: services}}`)}})
	require.NoError(t, err)
	s, err := customtransform.New([]*unstructured.Unstructured{
		ct(t, "deploy", "apps", "deployments", `["$.spec.replicas"]`),
		ct(t, "svc", "", "services", `["$.spec.type"]`),
		ct(t, "widgets", "example.com", "widgets", `["$.spec.size"]`),
	}, mapper)
	require.NoError(t, err)
	tests := []struct {
		name    string
		doc     string
		removed []string
		err     string
	}{
		{"apps/v1 Deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}", []string{".spec.replicas"}, ""},
		{"version ignored", "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}", []string{".spec.replicas"}, ""},
		{"other resource of the group", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: d}\nspec: {replicas: 1}", nil, ""},
		{"core Service", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ClusterIP}", []string{".spec.type"}, ""},
		{"Knative Service is another group", "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: s}\nspec: {type: x}", nil, ""},
		{"untargeted group with unknown kind passes", "apiVersion: other.io/v1\nkind: Thing\nmetadata: {name: t}\nspec: {type: x}", nil, ""},
		{"targeted group with unknown kind fails", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\nspec: {size: 1}", nil,
			`Widget.example.com shop/w: customtransform: cannot tell whether customtransform widgets applies: unknown kind "Widget" in API group "example.com"`},
		{"unknown core kind fails", "apiVersion: v1\nkind: Frobnicator\nmetadata: {name: f}", nil,
			`customtransform: cannot tell whether customtransform svc applies: unknown kind "Frobnicator" in API group ""`},
		{"missing kind in a targeted group fails", "apiVersion: apps/v1\nmetadata: {name: f}", nil,
			`customtransform: .kind: missing: customtransform deploy targets API group "apps", so the kind must be known`},
		{"nothing matched is a no-op", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js, err := yaml.YAMLToJSON([]byte(tc.doc))
			require.NoError(t, err)
			in := &unstructured.Unstructured{}
			require.NoError(t, json.Unmarshal(js, &in.Object), "kind-less objects need the plain decoder")
			prep := prepare(t, s, in)
			if tc.err != "" {
				require.Error(t, prep.Err)
				assert.Contains(t, prep.Err.Error(), tc.err)
				assert.ErrorIs(t, prep.Err, transform.ErrRender)
				if strings.Contains(tc.err, "unknown kind") {
					assert.ErrorIs(t, prep.Err, resources.ErrUnknownKind)
				}
				return
			}
			require.NoError(t, prep.Err)
			assert.Equal(t, tc.removed, prep.Trace().Paths())
		})
	}
}

func TestNoCustomTransforms(t *testing.T) {
	s, err := customtransform.New(nil, nil)
	require.NoError(t, err)
	assert.Empty(t, s.Warnings())
	assert.Empty(t, s.Names())
	prep := prepare(t, s, decode(t, "apiVersion: v1\nkind: Frobnicator\nmetadata: {name: f}"))
	assert.NoError(t, prep.Err, "without CustomTransforms no kind needs to be known")
}

func TestInputsNotModified(t *testing.T) {
	docs := []*unstructured.Unstructured{ct(t, "a", "apps", "deployments", `["$.spec.replicas", "$"]`)}
	before := docs[0].DeepCopy()
	_, _ = customtransform.New(docs, nil)
	assert.Equal(t, before, docs[0])
}
