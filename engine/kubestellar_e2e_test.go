package engine_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/rules/placement"
)

// TestKubeStellarUseScript replays KubeStellar's test/e2e/bash/use-kubestellar.sh: the two
// edge WECs (and not a third, core one) receive the Namespace and the Deployment, and the
// Deployment's customization-test annotation expands to exactly what that script checks on
// each WEC. The WECs carry what the script's setup gives them: labels location-group=edge and
// a region, and a clusterURL property.
func TestKubeStellarUseScript(t *testing.T) {
	data, err := os.ReadFile("testdata/use-kubestellar.yaml")
	require.NoError(t, err)
	all := docs(t, "use-kubestellar.yaml", string(data))
	e, err := engine.Compile(engine.Config{Documents: all[:1]})
	require.NoError(t, err)
	var in []engine.Object
	for _, d := range all[1:] {
		in = append(in, engine.Object{Source: d.Source, Object: &unstructured.Unstructured{Object: d.Object}})
	}
	objs, err := e.Resolve(in)
	require.NoError(t, err)

	mk := func(name, region, url, group string) *customization.WEC {
		w, err := customization.New(name, map[string]string{"name": name, "location-group": group, "region": region}, nil,
			&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"clusterURL": url}})
		require.NoError(t, err)
		return w
	}
	wecs := []*customization.WEC{
		mk("cluster1", "east", "https://my.clusters/1001-abcd", "edge"),
		mk("cluster2", "west", "https://my.clusters/2002-cdef", "edge"),
		mk("cluster3", "north", "https://my.clusters/3003-0000", "core"),
	}
	placed, err := e.Place(objs, wecs)
	require.NoError(t, err)
	assert.False(t, placed.Everywhere())
	assert.Empty(t, placed.Result().Warnings(), "the Namespace is bound with the Deployment: nothing to warn about")

	want := map[string]string{
		"cluster1": "cluster cluster1 URL is https://my.clusters/1001-abcd, region is east",
		"cluster2": "cluster cluster2 URL is https://my.clusters/2002-cdef, region is west",
	}
	ctx := context.Background()
	for _, w := range wecs {
		got := placed.ForWEC(w.Name())
		if _, edge := want[w.Name()]; !edge {
			assert.Empty(t, got, "%s is not an edge WEC", w.Name())
			continue
		}
		require.Len(t, got, 2, w.Name())
		assert.Equal(t, "Namespace nginx", got[0].Object.Ref.String(), "sorted by group: core first")
		assert.Equal(t, "Deployment.apps nginx/nginx-deployment", got[1].Object.Ref.String())
		assert.Equal(t, []placement.By{{Kind: "BindingPolicy", Name: "nginx-bindingpolicy", Clauses: []int{0}}}, got[1].By)
		res := e.Pipeline().Render(ctx, e.Pipeline().Prepare(ctx, got[1].Object.Object), w)
		require.NoError(t, res.Err)
		assert.Equal(t, want[w.Name()], res.Object.GetAnnotations()["customization-test"])
	}
}
