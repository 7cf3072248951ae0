package resources_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/wecforge/wecforge/internal/testobj"
	"github.com/wecforge/wecforge/transform/resources"
)

var decode = testobj.FromYAML

func crd(group, kind, plural, scope string) string {
	return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ` + plural + `.` + group + `}
spec:
  group: ` + group + `
  scope: ` + scope + `
  names: {kind: ` + kind + `, plural: ` + plural + `, singular: x}
  versions: [{name: v1, served: true, storage: true}]
`
}

// TestBuiltinTable checks the table against client-go's scheme and the resource naming rules.
func TestBuiltinTable(t *testing.T) {
	known := map[schema.GroupKind]bool{}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		known[gvk.GroupKind()] = true
	}
	// Kinds whose plural is not the naive guess.
	irregular := map[string]bool{"Endpoints": true}
	notInClientGo := map[string]bool{"apiextensions.k8s.io": true, "apiregistration.k8s.io": true, "control.kubestellar.io": true}
	kinds := map[schema.GroupKind]bool{}
	res := map[schema.GroupResource]bool{}
	all := resources.Builtin().Mappings()
	require.Greater(t, len(all), 50)
	for _, mp := range all {
		t.Run(mp.Kind.String(), func(t *testing.T) {
			assert.False(t, kinds[mp.Kind], "kind listed twice")
			assert.False(t, res[mp.Resource], "resource listed twice")
			kinds[mp.Kind], res[mp.Resource] = true, true
			assert.Equal(t, mp.Kind.Group, mp.Resource.Group)
			assert.Equal(t, strings.ToLower(mp.Resource.Resource), mp.Resource.Resource)
			if !notInClientGo[mp.Kind.Group] {
				assert.True(t, known[mp.Kind], "client-go's scheme does not know %s", mp.Kind)
			}
			guess, _ := meta.UnsafeGuessKindToResource(mp.Kind.WithVersion("v1"))
			if !irregular[mp.Kind.Kind] {
				assert.Equal(t, guess.Resource, mp.Resource.Resource)
			}
		})
	}
	for _, g := range []string{"", "apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io", "policy",
		"autoscaling", "storage.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io",
		"coordination.k8s.io", "discovery.k8s.io", "scheduling.k8s.io", "certificates.k8s.io"} {
		found := false
		for gk := range kinds {
			found = found || gk.Group == g
		}
		assert.True(t, found, "group %q has no built-in kind", g)
	}
}

func TestResourceFor(t *testing.T) {
	m, err := resources.New(resources.Options{
		Objects: []*unstructured.Unstructured{
			decode(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}"),
			decode(t, crd("example.com", "Widget", "widgets", "Namespaced")),
			decode(t, crd("example.com", "Gadget", "gadgets", "Cluster")),
		},
		Extra: []resources.Mapping{{
			Kind:     schema.GroupKind{Group: "serving.knative.dev", Kind: "Service"},
			Resource: schema.GroupResource{Group: "serving.knative.dev", Resource: "services"},
		}},
	})
	require.NoError(t, err)
	tests := []struct {
		gk         schema.GroupKind
		want       string
		namespaced bool
		err        string
	}{
		{gk: schema.GroupKind{Group: "apps", Kind: "Deployment"}, want: "deployments.apps", namespaced: true},
		{gk: schema.GroupKind{Kind: "Service"}, want: "services", namespaced: true},
		{gk: schema.GroupKind{Kind: "Endpoints"}, want: "endpoints", namespaced: true},
		{gk: schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}, want: "ingresses.networking.k8s.io", namespaced: true},
		{gk: schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, want: "clusterroles.rbac.authorization.k8s.io"},
		{gk: schema.GroupKind{Group: "example.com", Kind: "Widget"}, want: "widgets.example.com", namespaced: true},
		{gk: schema.GroupKind{Group: "example.com", Kind: "Gadget"}, want: "gadgets.example.com"},
		{gk: schema.GroupKind{Group: "serving.knative.dev", Kind: "Service"}, want: "services.serving.knative.dev"},
		{gk: schema.GroupKind{Group: "example.com", Kind: "Gizmo"}, err: `unknown kind "Gizmo" in API group "example.com"`},
		{gk: schema.GroupKind{Kind: "Deployment"}, err: `unknown kind "Deployment" in API group ""`},
		{gk: schema.GroupKind{Group: "apps", Kind: "deployment"}, err: `unknown kind "deployment" in API group "apps"`},
	}
	for _, tc := range tests {
		t.Run(tc.gk.String(), func(t *testing.T) {
			mp, err := m.MappingFor(tc.gk)
			if tc.err != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, resources.ErrUnknownKind)
				var uk *resources.UnknownKindError
				require.True(t, errors.As(err, &uk))
				assert.Equal(t, tc.gk, uk.Kind)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, mp.Resource.String())
			assert.Equal(t, tc.namespaced, mp.Namespaced)
			back, ok := m.KindFor(mp.Resource)
			assert.True(t, ok)
			assert.Equal(t, tc.gk, back.Kind)
		})
	}
}

func TestNilMapperIsBuiltin(t *testing.T) {
	var m *resources.Mapper
	gr, err := m.ResourceFor(schema.GroupKind{Group: "batch", Kind: "CronJob"})
	require.NoError(t, err)
	assert.Equal(t, "cronjobs.batch", gr.String())
	_, ok := m.KindFor(schema.GroupResource{Group: "apps", Resource: "statefulsets"})
	assert.True(t, ok)
	assert.Equal(t, resources.Builtin().Mappings(), m.Mappings())
}

func TestNoBuiltins(t *testing.T) {
	m, err := resources.New(resources.Options{NoBuiltins: true, Objects: []*unstructured.Unstructured{decode(t, crd("example.com", "Widget", "widgets", "Namespaced"))}})
	require.NoError(t, err)
	_, err = m.ResourceFor(schema.GroupKind{Group: "apps", Kind: "Deployment"})
	assert.ErrorIs(t, err, resources.ErrUnknownKind)
	assert.Len(t, m.Mappings(), 1)
}

func TestOverrideBuiltin(t *testing.T) {
	// A CRD may deliberately shadow a built-in kind (for example a test double of a group).
	m, err := resources.New(resources.Options{Objects: []*unstructured.Unstructured{decode(t, crd("batch", "Job", "jobz", "Namespaced"))}})
	require.NoError(t, err)
	gr, err := m.ResourceFor(schema.GroupKind{Group: "batch", Kind: "Job"})
	require.NoError(t, err)
	assert.Equal(t, "jobz", gr.Resource)
	// The built-in one stays in the shared table.
	gr, err = resources.Builtin().ResourceFor(schema.GroupKind{Group: "batch", Kind: "Job"})
	require.NoError(t, err)
	assert.Equal(t, "jobs", gr.Resource)
}

func TestNewErrors(t *testing.T) {
	widget := crd("example.com", "Widget", "widgets", "Namespaced")
	tests := []struct {
		name string
		opts resources.Options
		errs []string
	}{
		{"missing plural", resources.Options{Objects: []*unstructured.Unstructured{decode(t, strings.Replace(widget, "plural: widgets, ", "", 1))}},
			[]string{`CustomResourceDefinition "widgets.example.com": spec.names.plural must be set`}},
		{"uppercase plural", resources.Options{Objects: []*unstructured.Unstructured{decode(t, crd("example.com", "Widget", "Widgets", "Namespaced"))}},
			[]string{`spec.names.plural "Widgets" must be lowercase`}},
		{"bad scope", resources.Options{Objects: []*unstructured.Unstructured{decode(t, crd("example.com", "Widget", "widgets", "Global"))}},
			[]string{`spec.scope "Global" must be Namespaced or Cluster`}},
		{"group not a string", resources.Options{Objects: []*unstructured.Unstructured{decode(t, strings.Replace(widget, "group: example.com", "group: [x]", 1))}},
			[]string{`spec.group: .spec.group accessor error`}},
		{"two CRDs disagree", resources.Options{Objects: []*unstructured.Unstructured{decode(t, widget), decode(t, crd("example.com", "Widget", "widgetz", "Namespaced"))}},
			[]string{`CustomResourceDefinition widgetz.example.com maps kind Widget.example.com to resource widgetz.example.com, but it is already mapped to widgets.example.com`}},
		{"two kinds one resource", resources.Options{Objects: []*unstructured.Unstructured{decode(t, widget), decode(t, crd("example.com", "Gadget", "widgets", "Namespaced"))}},
			[]string{`maps resource widgets.example.com to kind Gadget.example.com, but it already belongs to kind Widget.example.com`}},
		{"empty extra", resources.Options{Extra: []resources.Mapping{{}}}, []string{"extra mapping [0]: kind and resource must both be set"}},
		{"groups differ", resources.Options{Extra: []resources.Mapping{{
			Kind:     schema.GroupKind{Group: "a.io", Kind: "X"},
			Resource: schema.GroupResource{Group: "b.io", Resource: "xs"},
		}}}, []string{"extra mapping [0]: kind X.a.io and resource xs.b.io are in different API groups"}},
		{"v1beta1 CRD", resources.Options{Objects: []*unstructured.Unstructured{decode(t, strings.Replace(widget, "apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1", 1))}},
			[]string{`CustomResourceDefinition "widgets.example.com" is apiextensions.k8s.io/v1beta1; only apiextensions.k8s.io/v1 is supported`}},
		{"all problems at once", resources.Options{
			Extra:   []resources.Mapping{{}},
			Objects: []*unstructured.Unstructured{decode(t, crd("example.com", "Widget", "widgets", "Global"))},
		}, []string{"extra mapping [0]", `spec.scope "Global"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := resources.New(tc.opts)
			require.Error(t, err)
			assert.Nil(t, m)
			assert.ErrorIs(t, err, resources.ErrInvalidMapping)
			for _, want := range tc.errs {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
	t.Run("same CRD twice is fine", func(t *testing.T) {
		_, err := resources.New(resources.Options{Objects: []*unstructured.Unstructured{decode(t, widget), decode(t, widget)}})
		assert.NoError(t, err)
	})
	t.Run("FromCRD rejects other objects", func(t *testing.T) {
		_, err := resources.FromCRD(decode(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}"))
		assert.ErrorIs(t, err, resources.ErrInvalidMapping)
		_, err = resources.FromCRD(nil)
		assert.ErrorIs(t, err, resources.ErrInvalidMapping)
	})
}

func TestInputsNotModified(t *testing.T) {
	in := decode(t, crd("example.com", "Widget", "widgets", "Namespaced"))
	before := in.DeepCopy()
	_, err := resources.New(resources.Options{Objects: []*unstructured.Unstructured{in}})
	require.NoError(t, err)
	assert.Equal(t, before, in)
}

func TestConcurrentUse(t *testing.T) {
	m, err := resources.New(resources.Options{Objects: []*unstructured.Unstructured{decode(t, crd("example.com", "Widget", "widgets", "Namespaced"))}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				_, _ = m.ResourceFor(schema.GroupKind{Group: "example.com", Kind: "Widget"})
				_, _ = resources.Builtin().ResourceFor(schema.GroupKind{Group: "apps", Kind: "Deployment"})
				_ = m.Mappings()
			}
		})
	}
	wg.Wait()
}
