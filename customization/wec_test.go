package customization_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	"github.com/wecforge/wecforge/customization"
)

func cm(name string, data map[string]string, binary map[string][]byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: customization.PropertiesNamespace},
		Data:       data,
		BinaryData: binary,
	}
}

func TestPrecedence(t *testing.T) {
	w, err := customization.New("edge-1",
		map[string]string{"a": "label", "b": "label", "c": "label", "d": "label"},
		map[string]string{"b": "annotation", "c": "annotation", "d": "annotation"},
		cm("edge-1", map[string]string{"d": "data"}, map[string][]byte{"c": []byte("binary"), "d": []byte("binary")}))
	require.NoError(t, err)
	tests := []struct {
		key, want string
		source    customization.Source
	}{
		{"a", "label", customization.SourceLabel},
		{"b", "annotation", customization.SourceAnnotation},
		{"c", "binary", customization.SourceConfigMapBinary},
		{"d", "data", customization.SourceConfigMap},
		{"clusterName", "edge-1", customization.SourceBuiltin},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			v, ok := w.Lookup(tc.key)
			require.True(t, ok)
			assert.Equal(t, tc.want, v)
			s, ok := w.SourceOf(tc.key)
			require.True(t, ok)
			assert.Equal(t, tc.source, s)
		})
	}
	_, ok := w.Lookup("missing")
	assert.False(t, ok)
	_, ok = w.SourceOf("missing")
	assert.False(t, ok)
	assert.Len(t, w.Properties(), 5)
	assert.True(t, w.HasConfigMap())
}

func TestSourceString(t *testing.T) {
	assert.Equal(t, "builtin", customization.SourceBuiltin.String())
	assert.Equal(t, "label", customization.SourceLabel.String())
	assert.Equal(t, "annotation", customization.SourceAnnotation.String())
	assert.Equal(t, "configMap.binaryData", customization.SourceConfigMapBinary.String())
	assert.Equal(t, "configMap.data", customization.SourceConfigMap.String())
}

func TestClusterNameOverridable(t *testing.T) {
	tests := []struct {
		name        string
		labels      map[string]string
		annotations map[string]string
		cm          *corev1.ConfigMap
		want        string
		source      customization.Source
	}{
		{"builtin", nil, nil, nil, "w1", customization.SourceBuiltin},
		{"label", map[string]string{"clusterName": "L"}, nil, nil, "L", customization.SourceLabel},
		{"annotation", map[string]string{"clusterName": "L"}, map[string]string{"clusterName": "A"}, nil, "A", customization.SourceAnnotation},
		{"configmap", nil, map[string]string{"clusterName": "A"}, cm("w1", map[string]string{"clusterName": "C"}, nil), "C", customization.SourceConfigMap},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := customization.New("w1", tc.labels, tc.annotations, tc.cm)
			require.NoError(t, err)
			v, _ := w.Lookup(customization.ClusterNameProperty)
			assert.Equal(t, tc.want, v)
			s, _ := w.SourceOf(customization.ClusterNameProperty)
			assert.Equal(t, tc.source, s)
			assert.Equal(t, "w1", w.Name(), "the name itself never changes")
			assert.Equal(t, "w1", w.String())
		})
	}
}

func TestIdentifierFilter(t *testing.T) {
	labels := map[string]string{"region": "eu", "location-group": "edge", "cluster.open-cluster-management.io/clusterset": "default", "func": "kw", "_x1": "u", "1abc": "d"}
	w, err := customization.New("w1", labels, map[string]string{"a.b": "x"}, cm("w1", map[string]string{"x-y": "1", "ok": "2"}, map[string][]byte{"b-in": []byte("3")}))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"region": "eu", "_x1": "u", "ok": "2", "clusterName": "w1"}, w.Properties())
	assert.Equal(t, labels, w.Labels(), "raw labels keep every key")
	assert.Equal(t, map[string]string{"a.b": "x"}, w.Annotations())
	assert.Equal(t, map[string]string{"x-y": "1", "ok": "2"}, w.ConfigMapData())
	assert.Equal(t, map[string][]byte{"b-in": []byte("3")}, w.ConfigMapBinaryData())
	_, ok := w.Lookup("location-group")
	assert.False(t, ok)

	for key, want := range map[string]bool{"region": true, "_": true, "ä": true, "x9": true, "": false, "9x": false, "a-b": false, "a.b": false, "func": false, "range": false} {
		assert.Equal(t, want, customization.IsPropertyKey(key), key)
	}
}

func TestInputsAreCopied(t *testing.T) {
	labels := map[string]string{"a": "1"}
	c := cm("w1", map[string]string{"d": "1"}, map[string][]byte{"b": []byte("1")})
	w, err := customization.New("w1", labels, nil, c)
	require.NoError(t, err)
	labels["a"] = "changed"
	c.Data["d"] = "changed"
	c.BinaryData["b"][0] = 'X'
	v, _ := w.Lookup("a")
	assert.Equal(t, "1", v)
	v, _ = w.Lookup("d")
	assert.Equal(t, "1", v)
	v, _ = w.Lookup("b")
	assert.Equal(t, "1", v)
	assert.NotNil(t, w.Annotations(), "nil maps become empty maps")
	assert.False(t, (func() bool { x, _ := customization.New("w2", nil, nil, nil); return x.HasConfigMap() })())
}

func TestBadInputs(t *testing.T) {
	tests := []struct {
		name string
		wec  string
		cm   *corev1.ConfigMap
		msg  string
	}{
		{"empty name", "", nil, "the ManagedCluster has no name"},
		{"not DNS", "Edge_1", nil, `name "Edge_1"`},
		{"configmap of another WEC", "w1", cm("w2", nil, nil), "properties ConfigMap customization-properties/w2 is not named after WEC \"w1\""},
		{"configmap in another namespace", "w1", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "w1", Namespace: "default"}}, "is not in namespace customization-properties"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := customization.New(tc.wec, nil, nil, tc.cm)
			require.Error(t, err)
			assert.Nil(t, w)
			assert.ErrorIs(t, err, customization.ErrInvalidWEC)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	t.Run("offline configmap without namespace", func(t *testing.T) {
		_, err := customization.New("w1", nil, nil, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "w1"}})
		assert.NoError(t, err)
	})
	t.Run("nil ManagedCluster", func(t *testing.T) {
		_, err := customization.FromManagedCluster(nil, nil)
		assert.ErrorIs(t, err, customization.ErrInvalidWEC)
	})
}

func TestFromManagedCluster(t *testing.T) {
	typed := &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: "edge-1", Labels: map[string]string{"region": "eu"}, Annotations: map[string]string{"tier": "gold"}}}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cluster.open-cluster-management.io/v1", "kind": "ManagedCluster",
		"metadata": map[string]any{"name": "edge-1", "labels": map[string]any{"region": "eu"}, "annotations": map[string]any{"tier": "gold"}},
	}}
	for name, mc := range map[string]metav1.Object{"typed": typed, "unstructured": u} {
		t.Run(name, func(t *testing.T) {
			w, err := customization.FromManagedCluster(mc, cm("edge-1", map[string]string{"zone": "a"}, nil))
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"region": "eu", "tier": "gold", "zone": "a", "clusterName": "edge-1"}, w.Properties())
		})
	}
}
