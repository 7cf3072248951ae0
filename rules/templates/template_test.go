package templates_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules/templates"
)

// wecSpec describes a WEC compactly for tables.
type wecSpec struct {
	name        string
	labels      map[string]string
	annotations map[string]string
	data        map[string]string
	binary      map[string]string
}

func (s wecSpec) build(t testing.TB) *customization.WEC {
	t.Helper()
	name := s.name
	if name == "" {
		name = "wec1"
	}
	var cm *corev1.ConfigMap
	if s.data != nil || s.binary != nil {
		cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: customization.PropertiesNamespace}, Data: s.data}
		if s.binary != nil {
			cm.BinaryData = map[string][]byte{}
			for k, v := range s.binary {
				cm.BinaryData[k] = []byte(v)
			}
		}
	}
	w, err := customization.New(name, s.labels, s.annotations, cm)
	require.NoError(t, err)
	return w
}

func TestExecute(t *testing.T) {
	region := map[string]string{"region": "label-region"}
	tests := []struct {
		name   string
		reason string
		text   string
		wec    wecSpec
		want   string
	}{
		{name: "literal", reason: "no {{: returned as is", text: "nginx:1.25", want: "nginx:1.25"},
		{name: "single brace literal", reason: "{ is not a delimiter", text: "{ .region }", want: "{ .region }"},
		{name: "label", text: "r={{ .region }}", wec: wecSpec{labels: region}, want: "r=label-region"},
		{name: "annotation over label", text: "{{ .region }}",
			wec:  wecSpec{labels: region, annotations: map[string]string{"region": "ann"}},
			want: "ann"},
		{name: "binaryData over annotation", text: "{{ .region }}",
			wec:  wecSpec{labels: region, annotations: map[string]string{"region": "ann"}, binary: map[string]string{"region": "bin"}},
			want: "bin"},
		{name: "data over binaryData", text: "{{ .region }}",
			wec:  wecSpec{labels: region, annotations: map[string]string{"region": "ann"}, binary: map[string]string{"region": "bin"}, data: map[string]string{"region": "cm"}},
			want: "cm"},
		{name: "clusterName builtin", text: "{{ .clusterName }}", wec: wecSpec{name: "edge-7"}, want: "edge-7"},
		{name: "clusterName overridden by label", text: "{{ .clusterName }}",
			wec: wecSpec{name: "edge-7", labels: map[string]string{"clusterName": "lbl"}}, want: "lbl"},
		{name: "clusterName overridden by ConfigMap", text: "{{ .clusterName }}",
			wec: wecSpec{name: "edge-7", labels: map[string]string{"clusterName": "lbl"}, data: map[string]string{"clusterName": "cm"}}, want: "cm"},
		{name: "non-identifier key ignored", reason: "location-group is not a property; index yields the zero value",
			text: `[{{ index . "location-group" }}]`, wec: wecSpec{labels: map[string]string{"location-group": "edge"}}, want: "[]"},
		{name: "index of an identifier key", text: `{{ index . "region" }}`, wec: wecSpec{labels: region}, want: "label-region"},
		{name: "index of a missing key", reason: "index never fails on a map", text: `[{{ index . "nope" }}]`, want: "[]"},
		{name: "dollar", text: `{{ with .region }}{{ $.clusterName }}:{{ . }}{{ end }}`, wec: wecSpec{labels: region}, want: "wec1:label-region"},
		{name: "pipeline and printf", text: `{{ .region | printf "%s-x" | upper_is_not_builtin_so_no }}`, want: ""},
		{name: "if else", text: `{{ if eq .region "label-region" }}yes{{ else }}no{{ end }}`, wec: wecSpec{labels: region}, want: "yes"},
		{name: "range over properties is sorted", text: `{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}`,
			wec: wecSpec{labels: map[string]string{"b": "2", "a": "1"}}, want: "a=1;b=2;clusterName=wec1;"},
		{name: "range over a small integer", text: `{{ range 3 }}x{{ end }}`, want: "xxx"},
		{name: "loop with functions within the limits", text: `{{ range $i := 40 }}{{ if eq $i 39 }}{{ printf "%03d" $i }}{{ js "'" }}{{ end }}{{ end }}`, want: `039\'`},
		{name: "bounded printf below the limit", text: `{{ printf "%05d" 7 }}`, want: "00007"},
		{name: "html js urlquery", text: `{{ html "<a>" }} {{ js "'" }} {{ urlquery "a b" }}`, want: `&lt;a&gt; \' a+b`},
		{name: "multi-line", text: "a: {{ .region }}\nb: {{ .clusterName }}\n", wec: wecSpec{labels: region}, want: "a: label-region\nb: wec1\n"},
		{name: "only a definition", reason: "text/template executes an empty main template to nothing",
			text: `{{ define "x" }}y{{ end }}`, want: ""},
		{name: "named template call", text: `{{ define "x" }}<{{ . }}>{{ end }}{{ template "x" .region }}`, wec: wecSpec{labels: region}, want: "<label-region>"},
		{name: "empty property", text: "[{{ .empty }}]", wec: wecSpec{labels: map[string]string{"empty": ""}}, want: "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.text, "upper_is_not_builtin") {
				_, err := templates.Parse(tt.text, templates.Limits{})
				require.ErrorIs(t, err, templates.ErrSyntax, "undefined functions fail at parse time")
				return
			}
			tm, err := templates.Parse(tt.text, templates.Limits{})
			require.NoError(t, err)
			assert.Equal(t, !strings.Contains(tt.text, "{{"), tm.Literal(), tt.reason)
			got, err := tm.Execute(context.Background(), tt.wec.build(t), nil)
			require.NoError(t, err, tt.reason)
			assert.Equal(t, tt.want, got, tt.reason)
		})
	}
}

func TestExecuteErrors(t *testing.T) {
	small := templates.Limits{MaxStringBytes: 1000, MaxSteps: 10_000}
	// With tiny, 100 or 400 bare iterations would pass: these cases fail only because the
	// body's size and its functions' output are charged too.
	tiny := templates.Limits{MaxStringBytes: 1000, MaxSteps: 1000}
	tests := []struct {
		name    string
		text    string
		lim     templates.Limits
		wec     wecSpec
		is      error
		msg     string
		limit   templates.LimitKind
		missing string
	}{
		{name: "missing key", text: "x {{ .region }}", is: templates.ErrMissingProperty, missing: "region",
			msg: `template line 1 col 5 in {{.region}}: property "region" is not defined for this WEC`},
		{name: "missing key through dollar", text: "{{ $.zone }}", is: templates.ErrMissingProperty, missing: "zone"},
		{name: "missing key on line 2", text: "a\n  {{ .zone }}", is: templates.ErrMissingProperty, msg: "template line 2 col 5"},
		{name: "non-identifier key is not a field", text: "{{ .clusterName.x }}", is: templates.ErrExecution,
			msg: "can't evaluate field x in type string"},
		{name: "bad index type", text: "{{ index . 1 }}", is: templates.ErrExecution},
		{name: "output per string", text: `{{ range 100000 }}{{ printf "%0100d" 1 }}{{ end }}`, lim: small,
			is: templates.ErrLimit, limit: templates.LimitStringBytes, msg: "exceeds the limit of 1000 bytes per string"},
		{name: "loop without output", text: `{{ range 1000000000 }}{{ end }}`, lim: small,
			is: templates.ErrLimit, limit: templates.LimitSteps, msg: "exceeds the limit of 10000 steps"},
		{name: "nested loops over properties", text: `{{ range . }}{{ range $ }}{{ range $ }}{{ range $ }}{{ end }}{{ end }}{{ end }}{{ end }}`, lim: small,
			wec: wecSpec{data: map[string]string{"a": "", "b": "", "c": "", "d": "", "e": "", "f": "", "g": "", "h": "", "i": "", "j": "", "k": ""}},
			is:  templates.ErrLimit, limit: templates.LimitSteps},
		{name: "recursion", text: `{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}`, lim: small,
			is: templates.ErrLimit, limit: templates.LimitSteps},
		{name: "exponential calls", text: `{{ define "a" }}{{ template "b" }}{{ template "b" }}{{ end }}{{ define "b" }}{{ template "c" }}{{ template "c" }}{{ end }}{{ define "c" }}{{ range 100 }}{{ end }}{{ end }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}{{ template "a" }}`, lim: small,
			is: templates.ErrLimit, limit: templates.LimitSteps},
		{name: "function output is charged in loops", text: `{{ range 100 }}{{ $x := printf "%0900d" 1 }}{{ end }}`, lim: tiny,
			is: templates.ErrLimit, limit: templates.LimitSteps},
		{name: "loop body size is charged", text: `{{ range 400 }}{{ if eq $.clusterName "a" "b" "c" "d" "e" "f" "g" "h" }}{{ end }}{{ end }}`, lim: tiny,
			is: templates.ErrLimit, limit: templates.LimitSteps},
		{name: "large printf never written", text: `{{ len (printf "%0999999d" 1) }}`,
			is: templates.ErrLimit, limit: templates.LimitStringBytes, msg: "error calling printf"},
		{name: "growing js chain", text: `{{ $x := "''''''''''" }}{{ $x = js (js (js (js (js (js (js (js $x))))))) }}{{ len $x }}`, lim: small,
			is: templates.ErrLimit, limit: templates.LimitStringBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := templates.Parse(tt.text, tt.lim)
			require.NoError(t, err)
			out, err := tm.Execute(context.Background(), tt.wec.build(t), nil)
			require.Error(t, err)
			assert.Empty(t, out)
			assert.ErrorIs(t, err, tt.is)
			if tt.msg != "" {
				assert.Contains(t, err.Error(), tt.msg)
			}
			if tt.limit != 0 {
				var le *templates.LimitError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, tt.limit, le.Kind)
			}
			if tt.missing != "" {
				var me *templates.MissingPropertyError
				require.ErrorAs(t, err, &me)
				assert.Equal(t, tt.missing, me.Key)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		text string
		line int
		msg  string
	}{
		{text: "{{ .region ", line: 1, msg: "unclosed action"},
		{text: "ok\nok\n{{ .a }} {{ if }}", line: 3, msg: "missing value for if"},
		{text: "{{ nosuchfunc }}", line: 1, msg: `function "nosuchfunc" not defined`},
		{text: "{{ end }}", line: 1, msg: "unexpected {{end}}"},
		{text: "{{ wecforgeStep -100000 }}", line: 1, msg: `function "wecforgeStep" not defined`},
		{text: `{{ "unterminated }}`, line: 1, msg: "unterminated quoted string"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			tm, err := templates.Parse(tt.text, templates.Limits{})
			require.Error(t, err)
			assert.Nil(t, tm)
			assert.ErrorIs(t, err, templates.ErrSyntax)
			var pe *templates.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.line, pe.Line)
			assert.Contains(t, pe.Msg, tt.msg)
			assert.NotContains(t, err.Error(), "template: t:", "the internal template name never shows")
		})
	}
}

func TestExecuteContext(t *testing.T) {
	tm := templates.MustParse(`{{ range 100000000 }}{{ end }}`, templates.Limits{MaxSteps: 1 << 30})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tm.Execute(ctx, wecSpec{}.build(t), nil)
	require.ErrorIs(t, err, context.Canceled)

	// A short template never reaches a context check: it completes.
	short := templates.MustParse(`{{ .clusterName }}`, templates.Limits{})
	got, err := short.Execute(ctx, wecSpec{}.build(t), nil)
	require.NoError(t, err)
	assert.Equal(t, "wec1", got)
}

func TestExecuteNoWEC(t *testing.T) {
	_, err := templates.MustParse("{{ .a }}", templates.Limits{}).Execute(context.Background(), nil, nil)
	require.ErrorIs(t, err, templates.ErrNoWEC)
	got, err := templates.MustParse("plain", templates.Limits{}).Execute(context.Background(), nil, nil)
	require.NoError(t, err, "a literal needs no WEC")
	assert.Equal(t, "plain", got)
}

func TestDependencies(t *testing.T) {
	tests := []struct {
		text string
		keys []string
		all  bool
	}{
		{text: "literal"},
		{text: "{{ .a }}{{ $.b }}{{ index . \"c\" }}{{ index $ \"d\" }}", keys: []string{"a", "b", "c", "d"}},
		{text: "{{ index . \"location-group\" }}{{ index . \"func\" }}", keys: nil},
		{text: "{{ if .a }}{{ .b }}{{ else }}{{ .c }}{{ end }}", keys: []string{"a", "b", "c"}},
		{text: "{{ with .a }}{{ . }}{{ .notAProperty }}{{ $.b }}{{ else }}{{ .c }}{{ end }}", keys: []string{"a", "b", "c"}},
		{text: "{{ range $i := 3 }}{{ . }}{{ $.a }}{{ end }}", keys: []string{"a"}},
		{text: "{{ .a }}{{ .a }}{{ printf \"%s\" (index . \"a\") }}", keys: []string{"a"}},
		{text: "{{ . }}", all: true},
		{text: "{{ range . }}{{ end }}", all: true},
		{text: "{{ $m := . }}{{ $m.a }}", all: true},
		{text: "{{ index . .k }}", keys: []string{"k"}, all: true},
		{text: `{{ define "x" }}{{ .a }}{{ end }}{{ template "x" .b }}`, keys: []string{"b"}, all: true},
		{text: "{{ len $ }}", all: true},
		{text: "{{ (.a) }}{{ (index . \"b\") }}", keys: []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			tm := templates.MustParse(tt.text, templates.Limits{})
			keys, all := tm.Properties()
			assert.Equal(t, tt.keys, keys)
			assert.Equal(t, tt.all, all)

			deps := &customization.Dependencies{}
			w := wecSpec{labels: map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "k": "a"}}.build(t)
			_, _ = tm.Execute(context.Background(), w, deps)
			assert.Equal(t, tt.keys, deps.Properties)
			assert.Equal(t, tt.all, deps.AllProperties)
		})
	}
}

func TestMissingKeyStillRecordsDependency(t *testing.T) {
	deps := &customization.Dependencies{}
	_, err := templates.MustParse("{{ .region }}", templates.Limits{}).Execute(context.Background(), wecSpec{}.build(t), deps)
	require.ErrorIs(t, err, templates.ErrMissingProperty)
	assert.Equal(t, []string{"region"}, deps.Properties, "adding the property later must re-render the pair")
}

func TestConcurrentExecute(t *testing.T) {
	tm := templates.MustParse(`{{ range $k, $v := . }}{{ $k }}{{ end }}/{{ .clusterName }}`, templates.Limits{})
	w1, w2 := wecSpec{name: "a"}.build(t), wecSpec{name: "b"}.build(t)
	done := make(chan struct{})
	for i := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			w, want := w1, "clusterName/a"
			if i%2 == 1 {
				w, want = w2, "clusterName/b"
			}
			for range 200 {
				got, err := tm.Execute(context.Background(), w, nil)
				if err != nil || got != want {
					t.Errorf("got %q, %v; want %q", got, err, want)
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
}

func TestLimitsDefaults(t *testing.T) {
	assert.Equal(t, templates.Limits{MaxStringBytes: 64 << 10, MaxObjectBytes: 1 << 20, MaxSteps: 100_000}, templates.DefaultLimits)
	assert.Equal(t, templates.DefaultLimits, templates.NewExpander(templates.Limits{}).Limits())
	assert.Equal(t, templates.DefaultLimits, templates.NewExpander(templates.Limits{MaxSteps: -1}).Limits())
	assert.Equal(t, 7, templates.NewExpander(templates.Limits{MaxSteps: 7}).Limits().MaxSteps)
	assert.Equal(t, "MaxSteps", templates.LimitSteps.String())
}

// TestDenialOfServiceStopsEarly runs, with the default limits, templates that would produce
// gigabytes or loop for hours in an unbounded engine (the DoS reported against KubeStellar).
func TestDenialOfServiceStopsEarly(t *testing.T) {
	big := strings.Repeat("x", 60<<10)
	w := wecSpec{data: map[string]string{"big": big}}.build(t)
	for _, text := range []string{
		`{{ range 1000000000 }}{{ $.big }}{{ end }}`,
		`{{ range 1000000000 }}{{ range 1000000000 }}{{ $.clusterName }}{{ end }}{{ end }}`,
		`{{ range 1000000000 }}{{ if eq $.big $.big $.big $.big }}{{ end }}{{ end }}`,
		`{{ range 1000000000 }}{{ $x := js $.big }}{{ end }}`,
		`{{ range 1000000000 }}{{ $x := printf "%01000000d" 0 }}{{ end }}`,
		`{{ define "a" }}{{ template "a" . }}{{ template "a" . }}{{ end }}{{ template "a" . }}`,
	} {
		t.Run(text, func(t *testing.T) {
			start := time.Now()
			_, err := templates.MustParse(text, templates.Limits{}).Execute(context.Background(), w, nil)
			require.ErrorIs(t, err, templates.ErrLimit)
			assert.Less(t, time.Since(start), 5*time.Second, "bounded work, not a runaway loop")
		})
	}
}
