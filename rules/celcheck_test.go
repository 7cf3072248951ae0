package rules

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/customization"
)

func TestAnalyzeDepsIsKeyedWhereItCanBe(t *testing.T) {
	tests := []struct {
		expr string
		want customization.Dependencies
	}{
		{"properties.a", customization.Dependencies{Properties: []string{"a"}}},
		{"properties['b'] + properties[?'c'].orValue('')", customization.Dependencies{Properties: []string{"b", "c"}}},
		{"'d' in properties && has(properties.e)", customization.Dependencies{Properties: []string{"d", "e"}}},
		{"properties.?f.orValue('')", customization.Dependencies{Properties: []string{"f"}}},
		{"properties.exists(k, k == 'x')", customization.Dependencies{AllProperties: true}},
		{"properties[object.metadata.name]", customization.Dependencies{AllProperties: true}},
		{"properties.size() > 0", customization.Dependencies{AllProperties: true}},
		{"cluster.labels.a == cluster.labels['b']", customization.Dependencies{Labels: []string{"a", "b"}}},
		{"cluster.labels.size() > 0", customization.Dependencies{AllLabels: true}},
		{"cluster.annotations[?'x'].hasValue()", customization.Dependencies{Annotations: []string{"x"}}},
		{"'y' in cluster.configMap", customization.Dependencies{ConfigMap: []string{"y"}}},
		{"cluster.name == 'w'", customization.Dependencies{}},
		{"[1].exists(properties, properties > 0)", customization.Dependencies{}},
		{"[cluster].size() == 1", customization.Dependencies{AllLabels: true, AllAnnotations: true, AllConfigMap: true}},
		{"object.spec.replicas > 1", customization.Dependencies{}},
	}
	e, err := sharedEnvs()
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			p := &problems{}
			x := compileExpr(e.full, p, "f", tc.expr, resultAny, DefaultCostLimit, clusterScope)
			require.Empty(t, p.errs)
			require.NotNil(t, x)
			assert.Equal(t, tc.want, x.deps)
			assert.Equal(t, strings.Contains(tc.expr, "object"), x.readsObject)
		})
	}
}
