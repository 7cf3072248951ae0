package templates

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/customization"
)

// The fast path must give exactly text/template's output and errors.
func TestPlanMatchesTextTemplate(t *testing.T) {
	wec, err := customization.New("edge-1", map[string]string{"region": "us-east", "zone": "a"}, nil, nil)
	require.NoError(t, err)
	cases := []struct {
		text     string
		planned  bool
		reason   string
		maxBytes int
	}{
		{text: "{{ .region }}", planned: true, reason: "a single field"},
		{text: "registry.{{.region}}.example/{{ .zone }}", planned: true, reason: "text and fields"},
		{text: "  {{- .region -}}  ", planned: true, reason: "trim markers are resolved by the parser"},
		{text: "{{ .missing }}", planned: true, reason: "a missing key falls back and fails as text/template does"},
		{text: "x{{ .region }}y", planned: true, maxBytes: 5, reason: "over the limit falls back and fails"},
		{text: `{{ index . "location-group" }}`, reason: "index is not planned"},
		{text: "{{ .region | printf \"%s!\" }}", reason: "pipelines are not planned"},
		{text: "{{ if .region }}yes{{ end }}", reason: "control flow is not planned"},
		{text: "{{ $x := .region }}{{ $x }}", reason: "declarations are not planned"},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			lim := Limits{MaxStringBytes: c.maxBytes}
			tm, err := Parse(c.text, lim)
			require.NoError(t, err)
			assert.Equal(t, c.planned, tm.plan != nil)
			got, gotErr := tm.Execute(context.Background(), wec, nil)
			slow := *tm
			slow.plan = nil
			want, wantErr := slow.Execute(context.Background(), wec, nil)
			assert.Equal(t, want, got)
			if wantErr == nil {
				assert.NoError(t, gotErr)
			} else {
				require.Error(t, gotErr)
				assert.Equal(t, wantErr.Error(), gotErr.Error())
			}
		})
	}
}
