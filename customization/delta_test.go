package customization_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/customization"
)

func mustNew(t *testing.T, labels, annotations map[string]string, data map[string]string, binary map[string][]byte) *customization.WEC {
	t.Helper()
	w, err := customization.New("w1", labels, annotations, cm("w1", data, binary))
	require.NoError(t, err)
	return w
}

func TestDiff(t *testing.T) {
	old := mustNew(t, map[string]string{"region": "eu", "keep": "1", "loc-x": "a"}, map[string]string{"a": "1"},
		map[string]string{"d": "1", "same": "s"}, map[string][]byte{"b": []byte("1")})
	tests := []struct {
		name string
		new  *customization.WEC
		want customization.Delta
	}{
		{"unchanged", mustNew(t, map[string]string{"region": "eu", "keep": "1", "loc-x": "a"}, map[string]string{"a": "1"},
			map[string]string{"d": "1", "same": "s"}, map[string][]byte{"b": []byte("1")}), customization.Delta{}},
		{"label value, non-identifier label, removed annotation", mustNew(t, map[string]string{"region": "us", "keep": "1", "loc-x": "b"}, nil,
			map[string]string{"d": "1", "same": "s"}, map[string][]byte{"b": []byte("1")}),
			customization.Delta{Labels: []string{"loc-x", "region"}, Annotations: []string{"a"}, Properties: []string{"a", "region"}}},
		{"configmap data and binaryData", mustNew(t, map[string]string{"region": "eu", "keep": "1", "loc-x": "a"}, map[string]string{"a": "1"},
			map[string]string{"d": "2", "same": "s", "b": "1"}, map[string][]byte{"e": []byte("x")}),
			customization.Delta{ConfigMap: []string{"b", "d", "e"}, Properties: []string{"d", "e"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := customization.Diff(old, tc.new)
			assert.Equal(t, tc.want, d)
			assert.Equal(t, tc.want.Empty(), d.Empty())
		})
	}
	t.Run("appearing and disappearing WECs", func(t *testing.T) {
		w := mustNew(t, map[string]string{"region": "eu"}, nil, map[string]string{"d": "1"}, nil)
		appear := customization.Diff(nil, w)
		assert.Equal(t, customization.Delta{Labels: []string{"region"}, ConfigMap: []string{"d"}, Properties: []string{"clusterName", "d", "region"}}, appear)
		assert.Equal(t, appear, customization.Diff(w, nil))
		assert.True(t, customization.Diff(nil, nil).Empty())
	})
	t.Run("a key in both data and binaryData is listed once", func(t *testing.T) {
		a := mustNew(t, nil, nil, map[string]string{"k": "1"}, map[string][]byte{"k": []byte("1")})
		b := mustNew(t, nil, nil, map[string]string{"k": "2"}, map[string][]byte{"k": []byte("2")})
		assert.Equal(t, []string{"k"}, customization.Diff(a, b).ConfigMap)
	})
}
