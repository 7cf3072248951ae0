package benchmarks

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestKarmadaReferenceMatchesEngine: for every test WEC, KarmadaRender with that WEC's
// override rule produces exactly the object of the engine restricted to Karmada's overriders,
// and the edits are there.
func TestKarmadaReferenceMatchesEngine(t *testing.T) {
	_, full := preparedDeployment(t, 3)
	vals := peerValuesOf(t, full.Object(), peerWECs())
	p, err := EngineKarmada(vals)
	require.NoError(t, err)
	prep := preparedPeerDeployment(t, p)
	for i, w := range peerWECs() {
		res := p.Render(context.Background(), prep, w)
		require.NoError(t, res.Err)
		got, err := KarmadaRender(prep.Object(), w.Name(), KarmadaOverridersFor(vals[i]))
		require.NoError(t, err)
		require.Equal(t, asJSON(t, res.Object.Object), asJSON(t, got.Object), "wec %s", w.Name())

		containers, _, _ := unstructured.NestedSlice(got.Object, "spec", "template", "spec", "containers")
		assert.Equal(t, vals[i].Registry+"/shop/web:"+vals[i].Tag, containers[0].(map[string]any)["image"])
		assert.Equal(t, "envoyproxy/envoy:v1.31.0", containers[1].(map[string]any)["image"])
		assert.Equal(t, vals[i].Region, got.GetLabels()["region"])
		n, _, _ := unstructured.NestedInt64(got.Object, "spec", "minReadySeconds")
		assert.Equal(t, vals[i].MinReady, n)
	}
}

func TestKarmadaReferenceErrors(t *testing.T) {
	in := Deployment()
	for _, tc := range []struct {
		name, field string
		o           KarmadaOverriders
		unsupported bool
	}{
		{name: "image remove is left out", field: "imageOverrider[0] /spec/template/spec/containers/0/image", unsupported: true,
			o: KarmadaOverriders{Images: []KarmadaImageOverrider{{Path: "/spec/template/spec/containers/0/image", Component: "Tag", Operator: "remove"}}}},
		{name: "predicate path outside the list", field: "imageOverrider[0] /spec/template/spec/containers/5/image",
			o: KarmadaOverriders{Images: []KarmadaImageOverrider{{Path: "/spec/template/spec/containers/5/image", Component: "Tag", Operator: "replace", Value: "2"}}}},
		{name: "predicate path to a map", field: "imageOverrider[0] /spec/template",
			o: KarmadaOverriders{Images: []KarmadaImageOverrider{{Path: "/spec/template", Component: "Tag", Operator: "replace", Value: "2"}}}},
		{name: "unknown label operator", field: "labelsOverrider[0]", unsupported: true,
			o: KarmadaOverriders{Labels: []KarmadaMetaOverrider{{Operator: "merge", Value: map[string]string{"a": "b"}}}}},
		{name: "replace of a missing field", field: "plaintext",
			o: KarmadaOverriders{Plaintext: []KarmadaPatchOp{{Op: "replace", Path: "/spec/nothing/here", Value: []byte(`1`)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := asJSON(t, in.Object)
			_, err := KarmadaRender(in, "wec-x", &tc.o)
			require.ErrorIs(t, err, ErrPeer)
			var pe *PeerError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, "karmada", pe.Peer)
			assert.Equal(t, "wec-x", pe.WEC)
			assert.Equal(t, tc.field, pe.Field)
			assert.Equal(t, tc.unsupported, errors.Is(err, errUnsupported))
			assert.Equal(t, before, asJSON(t, in.Object))
		})
	}
}

func TestKarmadaLabelOverriders(t *testing.T) {
	in := Deployment()
	got, err := KarmadaRender(in, "wec-x", &KarmadaOverriders{
		Labels: []KarmadaMetaOverrider{
			{Operator: "replace", Value: map[string]string{"app": "web2", "absent": "x"}},
			{Operator: "remove", Value: map[string]string{"tier": "", "absent": ""}},
		},
		Annotations: []KarmadaMetaOverrider{{Operator: "add", Value: map[string]string{"a/b~c": "v"}}},
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"app": "web2", "team": "shop"}, got.GetLabels())
	assert.Equal(t, "v", got.GetAnnotations()["a/b~c"])
}

func TestSplitImage(t *testing.T) {
	for _, tc := range []struct{ in, host, repo, suffix string }{
		{"ghcr.io/shop/web:1.4.2", "ghcr.io", "shop/web", ":1.4.2"},
		{"envoyproxy/envoy:v1.31.0", "", "envoyproxy/envoy", ":v1.31.0"},
		{"localhost:5000/a/b@sha256:abc", "localhost:5000", "a/b", "@sha256:abc"},
		{"localhost/a", "localhost", "a", ""},
		{"nginx", "", "nginx", ""},
		{"registry.example:5000/x", "registry.example:5000", "x", ""},
	} {
		h, r, s := splitImage(tc.in)
		assert.Equal(t, []string{tc.host, tc.repo, tc.suffix}, []string{h, r, s}, tc.in)
	}
}

// BenchmarkPeerKarmada times KarmadaRender for WEC 1 with WEC 1's override rule.
func BenchmarkPeerKarmada(b *testing.B) {
	_, full := preparedDeployment(b, 3)
	in := full.Object()
	v, err := PeerValuesFor(in, WEC(1))
	require.NoError(b, err)
	o := KarmadaOverridersFor(v)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := KarmadaRender(in, v.WEC, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngineKarmada times the engine restricted to Karmada's overriders on the same pair;
// it holds the rules of every test WEC and picks WEC 1's by cluster name.
func BenchmarkEngineKarmada(b *testing.B) {
	_, full := preparedDeployment(b, 3)
	p, err := EngineKarmada(peerValuesOf(b, full.Object(), peerWECs()))
	require.NoError(b, err)
	benchmarkRender(b, p, preparedPeerDeployment(b, p))
}
