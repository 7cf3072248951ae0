package customization

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
)

// Typed nils are inputs too: a nil *ManagedCluster inside the metav1.Object interface, a nil
// *Unstructured, or a nil *WEC must give an error or zero values, never a panic.
func TestTypedNilInputs(t *testing.T) {
	for name, mc := range map[string]metav1.Object{
		"untyped nil":                nil,
		"nil *ManagedCluster":        (*clusterv1.ManagedCluster)(nil),
		"nil *Unstructured":          (*unstructured.Unstructured)(nil),
		"nil *metav1.ObjectMeta":     (*metav1.ObjectMeta)(nil),
		"nil *metav1.PartialObjMeta": (*metav1.PartialObjectMetadata)(nil),
	} {
		t.Run(name, func(t *testing.T) {
			w, err := FromManagedCluster(mc, nil)
			require.ErrorIs(t, err, ErrInvalidWEC)
			assert.Nil(t, w)
		})
	}
	var w *WEC
	assert.NotPanics(t, func() {
		assert.Empty(t, w.Name())
		assert.Empty(t, w.String())
		assert.Nil(t, w.Labels())
		assert.Nil(t, w.Annotations())
		assert.False(t, w.HasConfigMap())
		assert.Nil(t, w.ConfigMapData())
		assert.Nil(t, w.ConfigMapBinaryData())
		assert.Nil(t, w.Properties())
		_, ok := w.Lookup("clusterName")
		assert.False(t, ok)
		_, ok = w.SourceOf("clusterName")
		assert.False(t, ok)
		assert.Equal(t, 7, w.Memo(struct{}{}, func() any { return 7 }))
		assert.True(t, Diff(nil, w).Empty())
	})
}
