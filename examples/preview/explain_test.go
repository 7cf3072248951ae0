package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

func TestDescribeChange(t *testing.T) {
	tests := []struct {
		name string
		c    transform.Change
		want string
	}{
		{name: "set", c: transform.Change{Kind: transform.ChangeSet, Old: int64(1), New: int64(3)}, want: "1 → 3"},
		{name: "add", c: transform.Change{Kind: transform.ChangeAdd, New: "us-east"}, want: `added "us-east"`},
		{name: "remove", c: transform.Change{Kind: transform.ChangeRemove, Old: map[string]any{"b": 1, "a": 2}}, want: `removed {"a":2,"b":1}`},
		{name: "noop with reason", c: transform.Change{Kind: transform.ChangeNoop, Message: "no container matched"}, want: "no change: no container matched"},
		{name: "noop", c: transform.Change{Kind: transform.ChangeNoop}, want: "no change"},
		{name: "strings stay on one line", c: transform.Change{Kind: transform.ChangeSet, Old: "a\nb", New: nil}, want: `"a\nb" → null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, describeChange(tt.c))
		})
	}
}

func TestShortValueCutsLongValues(t *testing.T) {
	got := shortValue(strings.Repeat("é", 200))
	assert.Equal(t, maxExplainValue, len([]rune(got)), "cut by runes, never inside one")
	assert.True(t, strings.HasSuffix(got, "…"))
	assert.Equal(t, `"short"`, shortValue("short"))
}

func TestDescribeReads(t *testing.T) {
	assert.Equal(t, "", describeReads(customization.Dependencies{}))
	assert.Equal(t, "properties region, replicas; labels location-group",
		describeReads(customization.Dependencies{Properties: []string{"region", "replicas"}, Labels: []string{"location-group"}}))
	assert.Equal(t, "properties *; annotations *; configMap k",
		describeReads(customization.Dependencies{AllProperties: true, Properties: []string{"x"}, AllAnnotations: true, ConfigMap: []string{"k"}}))
}
