package benchmarks

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

// peerWECs are the WECs the equality tests cover (four regions, three tiers, several
// replica counts and tags); the benchmarks render WEC 1.
func peerWECs() []*customization.WEC {
	var out []*customization.WEC
	for _, i := range []int{0, 1, 2, 3, 7} {
		out = append(out, WEC(i))
	}
	return out
}

// preparedPeerDeployment prepares the benchmark Deployment on p, once per object as in
// production; every reference starts from its Object.
func preparedPeerDeployment(tb testing.TB, p *transform.Pipeline) *transform.Prepared {
	tb.Helper()
	prep := p.Prepare(context.Background(), Deployment())
	require.NoError(tb, prep.Err)
	return prep
}

// peerValuesOf reads every WEC's constants for the Karmada and kustomize comparisons.
func peerValuesOf(tb testing.TB, prepared *unstructured.Unstructured, wecs []*customization.WEC) []PeerValues {
	tb.Helper()
	vals := make([]PeerValues, len(wecs))
	for i, w := range wecs {
		v, err := PeerValuesFor(prepared, w)
		require.NoError(tb, err)
		vals[i] = v
	}
	return vals
}

// kyamlBase parses the prepared object into a kyaml node once, as a kustomize run reads its
// resources once.
func kyamlBase(tb testing.TB, prepared *unstructured.Unstructured) *kyaml.RNode {
	tb.Helper()
	js, err := prepared.MarshalJSON()
	require.NoError(tb, err)
	rn, err := kyaml.Parse(string(js))
	require.NoError(tb, err)
	return rn
}

// asJSON is the comparison form: the JSON of an object's unstructured content (map keys
// sorted, numbers as JSON numbers whatever their Go type).
func asJSON(tb testing.TB, content map[string]any) string {
	tb.Helper()
	b, err := json.Marshal(content)
	require.NoError(tb, err)
	return string(b)
}

// TestPeersStartFromTheSameObject: the production engine and the three restricted engines
// prepare the Deployment identically, so every reference and engine starts from one object.
func TestPeersStartFromTheSameObject(t *testing.T) {
	_, want := preparedDeployment(t, 3)
	ks, err := EngineKubeStellar()
	require.NoError(t, err)
	vals := peerValuesOf(t, want.Object(), peerWECs())
	ka, err := EngineKarmada(vals)
	require.NoError(t, err)
	ku, err := EngineKustomize(vals)
	require.NoError(t, err)
	for name, p := range map[string]*transform.Pipeline{"kubestellar": ks, "karmada": ka, "kustomize": ku} {
		got := preparedPeerDeployment(t, p)
		require.Equal(t, asJSON(t, want.Object().Object), asJSON(t, got.Object().Object), name)
	}
	require.NotContains(t, want.Object().Object, "status", "the WEC-independent stages ran")
}

// TestPeerReferencesDoNotModifyInputs: the prepared object (shared and read-only in the
// engine), the kyaml base node and the overriders and overlays are left as they were.
func TestPeerReferencesDoNotModifyInputs(t *testing.T) {
	_, prep := preparedDeployment(t, 3)
	in := prep.Object()
	before := asJSON(t, in.Object)
	base := kyamlBase(t, in)
	baseBefore := base.MustString()
	for _, w := range peerWECs() {
		_, err := KubeStellarRender(in, w)
		require.NoError(t, err)
		v, err := PeerValuesFor(in, w)
		require.NoError(t, err)
		o := KarmadaOverridersFor(v)
		oBefore := *KarmadaOverridersFor(v)
		_, err = KarmadaRender(in, w.Name(), o)
		require.NoError(t, err)
		require.Equal(t, oBefore, *o)
		ov := KustomizeOverlayFor(v)
		ovBefore := *KustomizeOverlayFor(v)
		_, err = KustomizeRender(base, w.Name(), ov)
		require.NoError(t, err)
		require.Equal(t, ovBefore, *ov)
	}
	require.Equal(t, before, asJSON(t, in.Object))
	require.Equal(t, baseBefore, base.MustString())
}

func TestPeerValuesForErrors(t *testing.T) {
	_, prep := preparedDeployment(t, 3)
	bare, err := customization.New("bare", nil, nil, nil)
	require.NoError(t, err)
	noEnv := prep.Object().DeepCopy()
	require.NoError(t, unstructured.SetNestedSlice(noEnv.Object, []any{map[string]any{"name": "app", "image": "x"}},
		"spec", "template", "spec", "containers"))
	for _, tc := range []struct {
		name, field string
		obj         *unstructured.Unstructured
		wec         *customization.WEC
	}{
		{"no replicas property", "properties.replicas", prep.Object(), bare},
		{"no LOG_LEVEL variable", ".spec.template.spec.containers", noEnv, WEC(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PeerValuesFor(tc.obj, tc.wec)
			require.ErrorIs(t, err, ErrPeer)
			var pe *PeerError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.field, pe.Field)
			require.Equal(t, tc.wec.Name(), pe.WEC)
		})
	}
}
