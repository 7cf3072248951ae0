package explain

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

func TestChange(t *testing.T) {
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
		{name: "no HTML escaping", c: transform.Change{Kind: transform.ChangeSet, Old: "<a&b>", New: "x"}, want: `"<a&b>" → "x"`},
		{name: "a value JSON cannot encode", c: transform.Change{Kind: transform.ChangeAdd, New: math.Inf(1)}, want: "added +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Change(tt.c, Options{}))
		})
	}
}

func TestValueCutsLongValues(t *testing.T) {
	got := Value(strings.Repeat("é", 200), Options{})
	assert.Equal(t, DefaultMaxValue, len([]rune(got)), "cut by runes, never inside one")
	assert.True(t, strings.HasSuffix(got, "…"))
	assert.Equal(t, `"short"`, Value("short", Options{}))
	assert.Equal(t, `"abcd…`, Value("abcdefgh", Options{MaxValue: 6}))
	assert.Equal(t, `"abcdefgh"`, Value("abcdefgh", Options{MaxValue: -1}), "negative: no bound")
}

func TestDependencies(t *testing.T) {
	assert.Equal(t, "", Dependencies(customization.Dependencies{}))
	assert.Equal(t, "properties region, replicas; labels location-group",
		Dependencies(customization.Dependencies{Properties: []string{"region", "replicas"}, Labels: []string{"location-group"}}))
	assert.Equal(t, "properties *; annotations *; configMap k",
		Dependencies(customization.Dependencies{AllProperties: true, Properties: []string{"x"}, AllAnnotations: true, ConfigMap: []string{"k"}}))
}

func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, "#   ", nil, customization.Dependencies{}, Options{}))
	assert.Equal(t, "#   no changes\n", buf.String(), "an empty trace says so; nothing read, no reads line")

	buf.Reset()
	tr := transform.Trace{
		{Path: ".spec.replicas", By: "rule r: spec.actions[0]", Kind: transform.ChangeSet, Old: int64(1), New: int64(3)},
		{Path: ".metadata.labels.tier", By: "rule l: spec.actions[1]", Kind: transform.ChangeAdd, New: "edge"},
	}
	require.NoError(t, Write(&buf, "> ", tr, customization.Dependencies{Properties: []string{"replicas"}}, Options{}))
	assert.Equal(t, "> .spec.replicas  rule r: spec.actions[0]  1 → 3\n"+
		"> .metadata.labels.tier  rule l: spec.actions[1]  added \"edge\"\n"+
		"> reads: properties replicas\n", buf.String())
}
