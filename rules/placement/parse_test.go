package placement_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/rules/placement"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		binding   bool
		want      []string // each a line of the joined error
	}{{
		name: "no TypeMeta",
		doc:  "metadata: {name: p}\nspec: {}",
		want: []string{"bindingpolicy (without metadata.name): has no apiVersion and kind; give them in the document, or have the caller supply control.kubestellar.io/v1alpha1 BindingPolicy"},
	}, {
		name: "another kind",
		doc:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}",
		want: []string{`bindingpolicy (without metadata.name): is a document with apiVersion "v1" and kind "ConfigMap", not a control.kubestellar.io/v1alpha1 BindingPolicy`},
	}, {
		name: "kind of the wrong type",
		doc:  "apiVersion: control.kubestellar.io/v1alpha1\nkind: [BindingPolicy]",
		want: []string{`bindingpolicy (without metadata.name): is a document with apiVersion "control.kubestellar.io/v1alpha1" and kind of type a list, not a control.kubestellar.io/v1alpha1 BindingPolicy`},
	}, {
		name: "misspelled selector field",
		doc: policyHead + `metadata: {name: p}
spec:
  clusterSelector: [{}]
  downsync: [{objectSelector: [{matchLabels: {a: b}}]}]`,
		want: []string{
			"bindingpolicy p: spec.clusterSelector: unknown field (known: clusterSelectors, downsync, wantSingletonReportedState)",
			"bindingpolicy p: spec.downsync[0].objectSelector: unknown field (known: apiGroup, resources, namespaces, namespaceSelectors, objectNames, objectSelectors, createOnly, statusCollectors, wantSingletonReportedState, wantMultiWECReportedState)",
		},
	}, {
		name: "bad selectors and types",
		doc: policyHead + `metadata: {name: p}
spec:
  clusterSelectors: [{matchExpressions: [{key: a, operator: Foo}]}, 7]
  downsync: [{resources: deployments, createOnly: "yes", namespaces: [1]}, x]`,
		want: []string{
			`bindingpolicy p: spec.clusterSelectors[0]: "Foo" is not a valid label selector operator`,
			"bindingpolicy p: spec.clusterSelectors[1]: must be a label selector (a map), not a number",
			"bindingpolicy p: spec.downsync[0].resources: must be a list, not a string",
			"bindingpolicy p: spec.downsync[0].namespaces[0]: must be a string, not a number",
			"bindingpolicy p: spec.downsync[0].createOnly: must be true or false, not a string",
			"bindingpolicy p: spec.downsync[1]: must be a map (a downsync clause), not a string",
		},
	}, {
		name: "namespaced and nameless",
		doc:  policyHead + "metadata: {namespace: x}\nspec: []",
		want: []string{
			"bindingpolicy (without metadata.name): metadata.name: must be set",
			"bindingpolicy (without metadata.name): metadata.namespace: must not be set: a BindingPolicy is cluster-scoped",
			"bindingpolicy (without metadata.name): spec: must be a map, not a list",
		},
	}, {
		name:    "binding entries",
		binding: true,
		doc: `apiVersion: control.kubestellar.io/v1alpha1
kind: Binding
metadata: {name: b}
spec:
  workload:
    clusterScope: [{resource: namespaces}]
    namespaceScope: [{resource: configmaps, name: x, kind: ConfigMap}]
  destinations: [{}, cluster1]`,
		want: []string{
			"binding b: spec.workload.clusterScope[0].name: must be set",
			"binding b: spec.workload.namespaceScope[0].kind: unknown field (known: group, version, resource, name, resourceVersion, createOnly, statusCollectors, wantSingletonReportedState, wantMultiWECReportedState, namespace)",
			"binding b: spec.workload.namespaceScope[0].namespace: must be set for a namespaced object",
			"binding b: spec.destinations[0].clusterId: must be set",
			"binding b: spec.destinations[1]: must be a map with clusterId, not a string",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			doc := decodeAll(t, tc.doc)[0]
			var err error
			if tc.binding {
				var b *placement.Binding
				b, err = placement.ParseBinding(doc)
				assert.Nil(t, b)
			} else {
				var p *placement.Policy
				p, err = placement.ParseBindingPolicy(doc)
				assert.Nil(t, p)
			}
			require.Error(t, err)
			assert.Equal(t, tc.want, strings.Split(err.Error(), "\n"))
			assert.True(t, errors.Is(err, placement.ErrInvalid))
			var pe *placement.Error
			require.True(t, errors.As(err, &pe))
			assert.NotContains(t, err.Error(), "%!")
		})
	}
}

func TestParseLegacySingleton(t *testing.T) {
	ps, _ := parseDocs(t, policyHead+`metadata: {name: p}
spec:
  wantSingletonReportedState: true
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{resources: [configmaps]}]`)
	r, err := placement.Evaluate(placement.Input{Policies: ps, Clusters: fleet, Objects: []placement.Object{obj("configmaps", "a/b", "")}})
	require.NoError(t, err)
	assert.Equal(t, placement.StatusDecision{Action: placement.StatusCopy, WECs: []string{"cluster1"}}, r.Status(0).Decide(),
		"earlier KubeStellar releases put wantSingletonReportedState on the spec; it applies to every clause")
}

// FuzzParse feeds arbitrary JSON documents to both parsers: no panic, an error or a document,
// never both, and messages free of formatting debris.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"apiVersion":"control.kubestellar.io/v1alpha1","kind":"BindingPolicy","metadata":{"name":"p"},"spec":{"clusterSelectors":[{}],"downsync":[{"objectSelectors":[{"matchLabels":{"a":"b"}}]}]}}`,
		`{"apiVersion":"control.kubestellar.io/v1alpha1","kind":"BindingPolicy","metadata":{"name":"p"},"spec":{"clusterSelectors":[{"matchExpressions":[{"key":"a","operator":"In","values":[1]}]}]}}`,
		`{"apiVersion":"control.kubestellar.io/v1alpha1","kind":"Binding","metadata":{"name":"b"},"spec":{"workload":{"namespaceScope":[{"resource":"r","name":"n","namespace":"x"}]},"destinations":[{"clusterId":"c"}]}}`,
		`{"kind":7}`, `{}`, `{"spec":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc map[string]any
		if json.Unmarshal(data, &doc) != nil {
			return
		}
		for kind, parse := range map[string]func(map[string]any) (any, error){
			placement.BindingPolicyKind: func(m map[string]any) (any, error) { return placement.ParseBindingPolicy(m) },
			placement.BindingKind:       func(m map[string]any) (any, error) { return placement.ParseBinding(m) },
		} {
			if doc != nil {
				doc["kind"] = kind
			}
			v, err := parse(doc)
			if err != nil {
				assert.NotContains(t, err.Error(), "%!")
				assert.ErrorIs(t, err, placement.ErrInvalid)
				continue
			}
			assert.NotNil(t, v)
		}
	})
}
