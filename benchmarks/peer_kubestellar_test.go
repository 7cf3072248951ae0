package benchmarks

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
)

// TestKubeStellarReferenceMatchesEngine: for every test WEC, KubeStellarRender produces
// exactly the object of the engine restricted to template expansion, and that object has
// the WEC's values where the templates were.
func TestKubeStellarReferenceMatchesEngine(t *testing.T) {
	p, err := EngineKubeStellar()
	require.NoError(t, err)
	prep := preparedPeerDeployment(t, p)
	for _, w := range peerWECs() {
		res := p.Render(context.Background(), prep, w)
		require.NoError(t, res.Err)
		got, err := KubeStellarRender(prep.Object(), w)
		require.NoError(t, err)
		require.Equal(t, asJSON(t, res.Object.Object), asJSON(t, got.Object), "wec %s", w.Name())

		env, _, _ := unstructured.NestedSlice(got.Object, "spec", "template", "spec", "containers")
		vars := env[0].(map[string]any)["env"].([]any)
		assert.Equal(t, w.Properties()["region"], vars[0].(map[string]any)["value"], "wec %s", w.Name())
		assert.Equal(t, w.Name(), vars[2].(map[string]any)["value"], "wec %s", w.Name())
		assert.Equal(t, w.Properties()["region"], got.GetAnnotations()["wecforge.io/region"], "wec %s", w.Name())
	}
}

// TestKubeStellarReferenceFailsLikeEngine: a WEC without the region property fails in both,
// and the reference names the leaf.
func TestKubeStellarReferenceFailsLikeEngine(t *testing.T) {
	p, err := EngineKubeStellar()
	require.NoError(t, err)
	prep := preparedPeerDeployment(t, p)
	w, err := customization.New("bare", nil, nil, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "bare", Namespace: customization.PropertiesNamespace},
		Data:       map[string]string{"logLevel": "debug"},
	})
	require.NoError(t, err)
	res := p.Render(context.Background(), prep, w)
	require.Error(t, res.Err)

	_, err = KubeStellarRender(prep.Object(), w)
	require.ErrorIs(t, err, ErrPeer)
	var pe *PeerError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "bare", pe.WEC)
	assert.Contains(t, []string{".metadata.annotations.wecforge.io/region", ".spec.template.spec.containers[0].env[0].value"}, pe.Field)
	assert.ErrorContains(t, err, "region")
}

// TestKubeStellarReferenceWithoutOptIn: an object without the opt-in annotation is copied,
// never expanded.
func TestKubeStellarReferenceWithoutOptIn(t *testing.T) {
	in := Deployment()
	ann := in.GetAnnotations()
	delete(ann, "control.kubestellar.io/expand-templates")
	in.SetAnnotations(ann)
	got, err := KubeStellarRender(in, WEC(1))
	require.NoError(t, err)
	require.Equal(t, asJSON(t, in.Object), asJSON(t, got.Object))
}

// BenchmarkPeerKubeStellar times KubeStellarRender for WEC 1 on the prepared Deployment.
func BenchmarkPeerKubeStellar(b *testing.B) {
	p, err := EngineKubeStellar()
	require.NoError(b, err)
	in, w := preparedPeerDeployment(b, p).Object(), WEC(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := KubeStellarRender(in, w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngineKubeStellar times the engine restricted to template expansion on the same
// pair (the WEC-independent stages and template parsing done once per object, outside).
func BenchmarkEngineKubeStellar(b *testing.B) {
	p, err := EngineKubeStellar()
	require.NoError(b, err)
	benchmarkRender(b, p, preparedPeerDeployment(b, p))
}
