package benchmarks

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKustomizeReferenceMatchesEngine: for every test WEC, KustomizeRender with that WEC's
// overlay produces exactly the object of the engine restricted to what an overlay does, and
// the edits are there.
func TestKustomizeReferenceMatchesEngine(t *testing.T) {
	_, full := preparedDeployment(t, 3)
	vals := peerValuesOf(t, full.Object(), peerWECs())
	p, err := EngineKustomize(vals)
	require.NoError(t, err)
	prep := preparedPeerDeployment(t, p)
	base := kyamlBase(t, prep.Object())
	for i, w := range peerWECs() {
		res := p.Render(context.Background(), prep, w)
		require.NoError(t, res.Err)
		rn, err := KustomizeRender(base, w.Name(), KustomizeOverlayFor(vals[i]))
		require.NoError(t, err)
		got, err := rn.Map()
		require.NoError(t, err)
		require.Equal(t, asJSON(t, res.Object.Object), asJSON(t, got), "wec %s", w.Name())

		image, err := rn.GetString("spec.template.spec.containers.[name=app].image")
		require.NoError(t, err)
		assert.Equal(t, vals[i].Registry+"/shop/web:"+vals[i].Tag, image)
		logLevel, err := rn.GetString("spec.template.spec.containers.[name=app].env.[name=LOG_LEVEL].value")
		require.NoError(t, err)
		assert.Equal(t, vals[i].LogLevel, logLevel)
		assert.Equal(t, vals[i].Owner, rn.GetLabels()["owner"])
	}
}

func TestKustomizeReferenceErrors(t *testing.T) {
	base := kyamlBase(t, Deployment())
	before := base.MustString()
	_, err := KustomizeRender(base, "wec-x", &KustomizeOverlay{Sets: []KustomizeSet{
		{Path: []string{"spec", "template", "spec", "containers", "[name=nope]"}, Field: "image", Value: "x", Tag: "!!str"},
	}})
	require.ErrorIs(t, err, ErrPeer)
	var pe *PeerError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "kustomize", pe.Peer)
	assert.Equal(t, "spec.template.spec.containers.[name=nope].image", pe.Field)
	assert.Equal(t, before, base.MustString())
}

// TestKustomizeImagesMatchByName: only images whose name matches are rewritten; a missing tag
// is kept as missing unless a new tag is given.
func TestKustomizeImagesMatchByName(t *testing.T) {
	base := kyamlBase(t, Deployment())
	rn, err := KustomizeRender(base, "wec-x", &KustomizeOverlay{Images: []KustomizeImage{
		{Name: "envoyproxy/envoy", NewName: "mirror.example/envoy"},
		{Name: "ghcr.io/shop/other", NewTag: "9"},
	}})
	require.NoError(t, err)
	app, err := rn.GetString("spec.template.spec.containers.[name=app].image")
	require.NoError(t, err)
	assert.Equal(t, "ghcr.io/shop/web:1.4.2", app)
	sidecar, err := rn.GetString("spec.template.spec.containers.[name=sidecar].image")
	require.NoError(t, err)
	assert.Equal(t, "mirror.example/envoy:v1.31.0", sidecar)
}

// BenchmarkPeerKustomize times KustomizeRender for WEC 1 with WEC 1's overlay, on a kyaml node
// parsed once from the prepared Deployment.
func BenchmarkPeerKustomize(b *testing.B) {
	_, full := preparedDeployment(b, 3)
	v, err := PeerValuesFor(full.Object(), WEC(1))
	require.NoError(b, err)
	base, o := kyamlBase(b, full.Object()), KustomizeOverlayFor(v)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := KustomizeRender(base, v.WEC, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngineKustomize times the engine restricted to what an overlay does on the same
// pair; it holds the rules of every test WEC and picks WEC 1's by cluster name.
func BenchmarkEngineKustomize(b *testing.B) {
	_, full := preparedDeployment(b, 3)
	p, err := EngineKustomize(peerValuesOf(b, full.Object(), peerWECs()))
	require.NoError(b, err)
	benchmarkRender(b, p, preparedPeerDeployment(b, p))
}
