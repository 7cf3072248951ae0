package engine_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform/customtransform"
	"github.com/wecforge/wecforge/transform/kubestellar"
	"github.com/wecforge/wecforge/transform/resources"
)

// docs decodes multi-document YAML into engine documents named `name#i`.
func docs(t testing.TB, name, s string) []engine.Document {
	t.Helper()
	var out []engine.Document
	for i, part := range strings.Split(s, "\n---\n") {
		var m map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(part), &m))
		out = append(out, engine.Document{Source: name + "#" + strconv.Itoa(i), Object: m})
	}
	return out
}

func objects(t testing.TB, s string) []engine.Object {
	t.Helper()
	var out []engine.Object
	for _, d := range docs(t, "objects", s) {
		out = append(out, engine.Object{Source: d.Source, Object: &unstructured.Unstructured{Object: d.Object}})
	}
	return out
}

func wec(t testing.TB, name string, labels map[string]string) *customization.WEC {
	t.Helper()
	w, err := customization.New(name, labels, nil, nil)
	require.NoError(t, err)
	return w
}

func TestStageNamesAgree(t *testing.T) {
	assert.Equal(t, templates.StageName, kubestellar.ExpanderStageName, "the guard looks for the expander by this name")
	assert.Equal(t, templates.ExpandAnnotation, kubestellar.ExpandAnnotation)
}

// TestCompileKeepsValidDocuments: every valid document is compiled, every invalid one is one
// typed error naming its source, and the messages say what is wrong in words.
func TestCompileKeepsValidDocuments(t *testing.T) {
	in := docs(t, "config.yaml", `apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: good}
spec:
  match: {resources: [{group: "", kind: ConfigMap}]}
  actions: [{labels: {add: {ruled: "yes"}}}]
---
apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: bad}
spec:
  actions: [{set: {path: "$.x", value: "1 +"}}]
---
apiVersion: control.kubestellar.io/v1alpha1
kind: CustomTransform
metadata: {name: strip}
spec: {resource: configmaps, remove: ["$.data.secret", "$"]}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: bad-policy}
spec: {clusterSelectors: [{matchLabels: 7}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-config}
---
metadata: {name: no-type}
spec: {resource: configmaps}`)
	typed := engine.Document{Source: "typed#0", Type: schema.GroupVersionKind{Group: "control.kubestellar.io", Version: "v1alpha1", Kind: "BindingPolicy"},
		Object: map[string]any{"metadata": map[string]any{"name": "all"}, "spec": map[string]any{
			"clusterSelectors": []any{map[string]any{}}, "downsync": []any{map[string]any{"resources": []any{"configmaps"}}}}}}
	before := typed.Object["metadata"]
	e, err := engine.Compile(engine.Config{Documents: append(in, typed)})
	require.NotNil(t, e)
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 5, "%s", err)
	assert.True(t, strings.HasPrefix(lines[0], "config.yaml#1: rule bad: spec.actions[0].set.value: "), lines[0])
	assert.Equal(t, "config.yaml#2: customtransform strip: spec.remove[1]: "+lines[1][len("config.yaml#2: customtransform strip: spec.remove[1]: "):], lines[1])
	assert.True(t, strings.HasPrefix(lines[2], "config.yaml#3: bindingpolicy bad-policy: spec.clusterSelectors[0]: not a label selector"), lines[2])
	assert.Equal(t, "config.yaml#4: "+engine.ErrNotConfiguration.Error(), lines[3])
	assert.Equal(t, "config.yaml#5: "+engine.ErrNoTypeMeta.Error()+" (missing: apiVersion and kind)", lines[4])
	for _, l := range lines {
		assert.NotContains(t, l, "%!")
		assert.NotContains(t, l, "  ")
	}
	var de *engine.DocumentError
	require.True(t, errors.As(err, &de))
	assert.ErrorIs(t, err, engine.ErrDocument)
	assert.ErrorIs(t, err, customtransform.ErrInvalid)
	assert.ErrorIs(t, err, placement.ErrInvalid)
	var ce *rules.CompileError
	assert.True(t, errors.As(err, &ce))

	assert.Equal(t, []string{"good"}, e.Rules())
	assert.Equal(t, []string{"strip"}, e.CustomTransforms())
	assert.True(t, e.HasPlacement(), "the typed BindingPolicy compiled")
	assert.Equal(t, before, typed.Object["metadata"])
	assert.Nil(t, typed.Object["kind"], "the caller's document is not modified")

	objs, err := e.Resolve(objects(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata: {secret: s, keep: k}"))
	require.NoError(t, err)
	pl, err := e.Place(objs, []*customization.WEC{wec(t, "w1", nil)})
	require.NoError(t, err)
	d := pl.ForWEC("w1")
	require.Len(t, d, 1)
	assert.Equal(t, "bindingpolicy/all", d[0].By[0].String())
	prep := e.Pipeline().Prepare(context.Background(), d[0].Object.Object)
	res := e.Pipeline().Render(context.Background(), prep, wec(t, "w1", nil))
	require.NoError(t, res.Err)
	assert.Equal(t, map[string]any{"keep": "k"}, res.Object.Object["data"], "the valid entry of the partly invalid CustomTransform applies")
	assert.Equal(t, "yes", res.Object.GetLabels()["ruled"], "the valid rule applies")
}

// TestCustomTransformOnCRDKind: a CustomTransform aimed at a CRD's resource (KubeStellar's own
// documented example targets clusterlogforwarders) applies when the CRD is among the documents;
// the transport once lacked this mapper and failed every such object with "unknown kind".
func TestCustomTransformOnCRDKind(t *testing.T) {
	e, err := engine.Compile(engine.Config{Documents: docs(t, "c", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusterlogforwarders.logging.openshift.io}
spec:
  group: logging.openshift.io
  scope: Namespaced
  names: {kind: ClusterLogForwarder, plural: clusterlogforwarders, singular: clusterlogforwarder}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: control.kubestellar.io/v1alpha1
kind: CustomTransform
metadata: {name: clf}
spec: {apiGroup: logging.openshift.io, resource: clusterlogforwarders, remove: [$.spec.serviceAccountName]}`)})
	require.NoError(t, err)
	objs, err := e.Resolve(objects(t, "apiVersion: logging.openshift.io/v1\nkind: ClusterLogForwarder\nmetadata: {name: instance, namespace: openshift-logging}\nspec: {serviceAccountName: x, outputs: []}"))
	require.NoError(t, err)
	assert.Equal(t, schema.GroupResource{Group: "logging.openshift.io", Resource: "clusterlogforwarders"}, objs[0].Resource)
	prep := e.Pipeline().Prepare(context.Background(), objs[0].Object)
	require.NoError(t, prep.Err)
	assert.Equal(t, map[string]any{"outputs": []any{}}, prep.Object().Object["spec"])
}

func TestDiscoveryMappings(t *testing.T) {
	disco := engine.Discovery{{
		Group: metav1.APIGroup{Name: "example.com", PreferredVersion: metav1.GroupVersionForDiscovery{Version: "v1"},
			Versions: []metav1.GroupVersionForDiscovery{{Version: "v1"}, {Version: "v1beta1"}}},
		VersionedResources: map[string][]metav1.APIResource{
			"v1":      {{Name: "widgets", Kind: "Widget", Namespaced: true}, {Name: "widgets/status", Kind: "Widget"}},
			"v1beta1": {{Name: "widgets", Kind: "Widget", Namespaced: true}, {Name: "gadgets", Kind: "Gadget"}},
		},
	}, nil}
	var _ []*restmapper.APIGroupResources = disco
	assert.Equal(t, []resources.Mapping{
		{Kind: schema.GroupKind{Group: "example.com", Kind: "Widget"}, Resource: schema.GroupResource{Group: "example.com", Resource: "widgets"}, Namespaced: true},
		{Kind: schema.GroupKind{Group: "example.com", Kind: "Gadget"}, Resource: schema.GroupResource{Group: "example.com", Resource: "gadgets"}},
	}, disco.Mappings())
	e, err := engine.Compile(engine.Config{Mapper: disco, Documents: docs(t, "c", `apiVersion: control.kubestellar.io/v1alpha1
kind: CustomTransform
metadata: {name: w}
spec: {apiGroup: example.com, resource: widgets, remove: [$.spec.x]}`)})
	require.NoError(t, err)
	assert.Empty(t, e.Warnings(), "the discovered resource is known")
	gr, err := e.Mapper().ResourceFor(schema.GroupKind{Group: "apps", Kind: "Deployment"})
	require.NoError(t, err)
	assert.Equal(t, "deployments", gr.Resource, "the built-in table stays underneath")
}

func TestResolve(t *testing.T) {
	e, err := engine.Compile(engine.Config{})
	require.NoError(t, err)
	bare := map[string]any{"metadata": map[string]any{"name": "web", "namespace": "n"}, "spec": map[string]any{"replicas": int64(1)}}
	deploy := schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	in := []engine.Object{
		{Source: "a#0", Object: &unstructured.Unstructured{Object: bare}},
		{Source: "a#1", Object: &unstructured.Unstructured{Object: bare}, Type: deploy},
		{Source: "a#2", Object: &unstructured.Unstructured{Object: bare}, Type: deploy},
		{Source: "a#3", Object: &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}}},
			Resource: schema.GroupResource{Resource: "secrets"}},
		{Source: "a#4", Object: &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "d"}}}, Type: deploy},
		{Source: "a#5", Object: &unstructured.Unstructured{Object: map[string]any{"apiVersion": "x.io/v1", "kind": "Thing", "metadata": map[string]any{"name": "t"}}}},
		{Source: "a#6", Object: &unstructured.Unstructured{Object: map[string]any{"apiVersion": "x.io/v1", "kind": "Thing", "metadata": map[string]any{"name": "u"}}},
			Resource: schema.GroupResource{Group: "x.io", Resource: "things"}},
	}
	got, err := e.Resolve(in)
	require.Error(t, err)
	assert.Equal(t, []string{
		"a#0: object n/web: " + engine.ErrNoTypeMeta.Error() + " (missing: apiVersion and kind)",
		"a#2: Deployment.apps n/web: duplicate object: also in a#1; only the first is used",
		"a#3: ConfigMap c: the supplied type contradicts the document: the caller says resource secrets, but kind ConfigMap maps to configmaps",
		"a#4: ConfigMap d: the supplied type contradicts the document: the caller says apps/v1 Deployment, the document says v1 ConfigMap",
	}, strings.Split(err.Error(), "\n"))
	assert.ErrorIs(t, err, engine.ErrNoTypeMeta)
	assert.ErrorIs(t, err, engine.ErrDuplicate)
	require.Len(t, got, 3)
	assert.Equal(t, "Deployment", got[0].Object.GetKind(), "the caller's type is filled in")
	assert.Nil(t, bare["kind"], "on a copy")
	assert.Equal(t, "deployments", got[0].Resource.Resource)
	assert.ErrorIs(t, got[1].ResourceErr, resources.ErrUnknownKind)
	assert.Equal(t, "things", got[2].Resource.Resource, "the caller's resource serves a kind no mapping knows")

	// Placement needs the resource: without a policy the unknown kind goes everywhere; with
	// one it is reported.
	pl, err := e.Place(got, []*customization.WEC{wec(t, "w", nil)})
	require.NoError(t, err)
	assert.True(t, pl.Everywhere())
	assert.Len(t, pl.ForWEC("w"), 3)
	assert.Empty(t, pl.ForWEC("nope"))

	e2, err := engine.Compile(engine.Config{Documents: docs(t, "p", `apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: things}
spec: {clusterSelectors: [{}], downsync: [{apiGroup: x.io}]}`)})
	require.NoError(t, err)
	pl, err = e2.Place(got, []*customization.WEC{wec(t, "w", nil)})
	require.Error(t, err)
	assert.ErrorIs(t, err, engine.ErrUnknownResource)
	assert.ErrorIs(t, err, resources.ErrUnknownKind)
	assert.Contains(t, err.Error(), "a#5: Thing.x.io t: unknown resource: cannot place it: unknown kind")
	d := pl.ForWEC("w")
	require.Len(t, d, 1)
	assert.Equal(t, "u", d[0].Object.Ref.Name)

	nameless, err := e2.Resolve([]engine.Object{{Source: "n#0", Object: &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "x.io/v1", "kind": "Thing", "metadata": map[string]any{}}}, Resource: schema.GroupResource{Group: "x.io", Resource: "things"}}})
	require.NoError(t, err)
	pl, err = e2.Place(append(nameless, got[2]), []*customization.WEC{wec(t, "w", nil)})
	require.NotNil(t, pl, "one nameless object does not stop placement of the others")
	assert.EqualError(t, err, "n#0: Thing.x.io (without metadata.name): cannot be placed: BindingPolicies and Bindings match objects by name")
	assert.Len(t, pl.ForWEC("w"), 1)
}

// TestTemplatesAlwaysExpand: the engine's pipeline always expands templates.
func TestTemplatesAlwaysExpand(t *testing.T) {
	e, err := engine.Compile(engine.Config{})
	require.NoError(t, err)
	objs, err := e.Resolve(objects(t, `apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: n, annotations: {control.kubestellar.io/expand-templates: "true"}}
data: {wec: "{{ .clusterName }}"}`))
	require.NoError(t, err)
	prep := e.Pipeline().Prepare(context.Background(), objs[0].Object)
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b", "c", "d"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := e.Pipeline().Render(context.Background(), prep, wec(t, name, nil))
			assert.NoError(t, res.Err)
			assert.Equal(t, name, res.Object.Object["data"].(map[string]any)["wec"])
		}()
	}
	wg.Wait()
}

// TestPlaceConcurrentAndNamespaceLabels: namespaceSelectors read labels the caller supplies
// for Namespaces it does not place, and a Placement serves many goroutines at once.
func TestPlaceConcurrentAndNamespaceLabels(t *testing.T) {
	e, err := engine.Compile(engine.Config{Documents: docs(t, "p", `apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: team-a}
spec:
  clusterSelectors: [{matchLabels: {tier: edge}}]
  downsync: [{namespaceSelectors: [{matchLabels: {team: a}}], wantSingletonReportedState: true}]`)})
	require.NoError(t, err)
	objs, err := e.Resolve(objects(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: other}"))
	require.NoError(t, err)
	wecs := []*customization.WEC{wec(t, "e1", map[string]string{"tier": "edge"}), wec(t, "c1", map[string]string{"tier": "core"})}
	nsLabels := map[string]map[string]string{"shop": {"team": "a"}, "other": {"team": "b"}}
	placed, err := e.Place(objs, wecs, engine.NamespaceLabels(nsLabels))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := placed.ForWEC("e1")
			if assert.Len(t, d, 1) {
				assert.Equal(t, "shop", d[0].Object.Ref.Namespace)
			}
			assert.Empty(t, placed.ForWEC("c1"))
			assert.Equal(t, placement.StatusCopy, placed.Result().Status(0).Decide().Action)
			assert.Len(t, placed.Result().Warnings(), 2, "the other ConfigMap is unbound; shop is not delivered to e1")
		}()
	}
	wg.Wait()

	bare, err := engine.Compile(engine.Config{})
	require.NoError(t, err)
	everywhere, err := bare.Place(objs, wecs)
	require.NoError(t, err)
	assert.True(t, everywhere.Everywhere())
	assert.Len(t, everywhere.ForWEC("c1"), 2)
	assert.Nil(t, everywhere.Result())
	assert.Equal(t, "no BindingPolicy or Binding among the inputs: every object goes to every WEC", engine.NoPlacementNotice)
}
