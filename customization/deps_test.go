package customization_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/customization"
)

func TestDependenciesRecording(t *testing.T) {
	var d customization.Dependencies
	assert.True(t, d.Empty())
	for _, k := range []string{"zone", "region", "zone", "a"} {
		d.AddProperty(k)
	}
	d.AddLabel("tier")
	d.AddAnnotation("note")
	d.AddConfigMap("raw")
	assert.Equal(t, []string{"a", "region", "zone"}, d.Properties, "sorted, each key once")
	assert.False(t, d.Empty())

	var other customization.Dependencies
	other.AddProperty("b")
	other.AddLabel("tier")
	other.AllAnnotations = true
	d.Merge(other)
	assert.Equal(t, []string{"a", "b", "region", "zone"}, d.Properties)
	assert.Equal(t, []string{"tier"}, d.Labels)
	assert.True(t, d.AllAnnotations)
	assert.False(t, d.AllProperties)

	js, err := json.Marshal(customization.Dependencies{})
	require.NoError(t, err)
	assert.Equal(t, "{}", string(js))
}

func TestAffected(t *testing.T) {
	keyed := customization.Dependencies{Properties: []string{"region", "zone"}, Labels: []string{"tier"}}
	tests := []struct {
		name  string
		deps  customization.Dependencies
		delta customization.Delta
		want  bool
	}{
		{"nothing changed", keyed, customization.Delta{}, false},
		{"unrelated property", keyed, customization.Delta{Properties: []string{"color"}}, false},
		{"read property", keyed, customization.Delta{Properties: []string{"a", "zone"}}, true},
		{"read label", keyed, customization.Delta{Labels: []string{"tier"}}, true},
		{"label read only as property is not a label dependency", customization.Dependencies{Properties: []string{"tier"}}, customization.Delta{Labels: []string{"tier"}}, false},
		{"whole property map", customization.Dependencies{AllProperties: true}, customization.Delta{Properties: []string{"x"}}, true},
		{"whole label map, no label change", customization.Dependencies{AllLabels: true}, customization.Delta{Properties: []string{"x"}}, false},
		{"whole annotation map", customization.Dependencies{AllAnnotations: true}, customization.Delta{Annotations: []string{"x"}}, true},
		{"whole configmap", customization.Dependencies{AllConfigMap: true}, customization.Delta{ConfigMap: []string{"x"}}, true},
		{"raw configmap key", customization.Dependencies{ConfigMap: []string{"x"}}, customization.Delta{ConfigMap: []string{"x"}}, true},
		{"annotation key", customization.Dependencies{Annotations: []string{"x"}}, customization.Delta{Annotations: []string{"y"}}, false},
		{"unsorted input still exact", customization.Dependencies{Properties: []string{"zone", "a"}}, customization.Delta{Properties: []string{"z", "zone"}}, true},
		{"empty dependencies", customization.Dependencies{}, customization.Delta{Properties: []string{"x"}, Labels: []string{"y"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.deps.Affected(tc.delta))
		})
	}
}

// TestDiffThenAffected is the controller loop: diff two snapshots and ask each pair.
func TestDiffThenAffected(t *testing.T) {
	before := mustNew(t, map[string]string{"region": "eu", "tier": "1"}, nil, map[string]string{"zone": "a"}, nil)
	after := mustNew(t, map[string]string{"region": "eu", "tier": "2"}, nil, map[string]string{"zone": "a"}, nil)
	delta := customization.Diff(before, after)
	readsZone := customization.Dependencies{Properties: []string{"zone"}}
	readsTier := customization.Dependencies{Properties: []string{"tier"}}
	assert.False(t, readsZone.Affected(delta))
	assert.True(t, readsTier.Affected(delta))
}
