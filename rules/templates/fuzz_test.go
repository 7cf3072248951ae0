package templates_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
)

var fuzzLimits = templates.Limits{MaxStringBytes: 4096, MaxObjectBytes: 16384, MaxSteps: 20_000}

func fuzzWECs(t *testing.T) []*customization.WEC {
	return []*customization.WEC{
		wecSpec{name: "w1", labels: map[string]string{"region": "eu", "zone": "a", "location-group": "edge"}}.build(t),
		wecSpec{name: "w2", annotations: map[string]string{"region": "us"}, data: map[string]string{"n": "3"}}.build(t),
	}
}

// FuzzParse checks that any text parses or fails with a ParseError, and that execution never
// panics, respects the limits, is deterministic, and fails only with this package's errors.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"plain", "{{ .region }}", `{{ index . "location-group" }}`, "{{ .missing }}", "{{ range 1000000 }}x{{ end }}",
		`{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}`, `{{ printf "%099999d" 1 }}`,
		"{{ range $k, $v := . }}{{ $k }}{{ end }}", "{{ if .zone }}{{ .zone }}{{ else }}none{{ end }}",
		"{{ .region ", "{{ js (js (js .region)) }}", "{{ with $x := .n }}{{ range $x }}{{ end }}{{ end }}",
		"{{ break }}", "{{ range 3 }}{{ continue }}{{ end }}", "{{ slice .region 1 }}", "{{ len . }}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tm, err := templates.Parse(text, fuzzLimits)
		if err != nil {
			var pe *templates.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, templates.ErrSyntax) {
				t.Fatalf("parse error of the wrong type: %T %v", err, err)
			}
			return
		}
		if tm.Literal() != !strings.Contains(text, "{{") {
			t.Fatalf("Literal() = %v for %q", tm.Literal(), text)
		}
		for _, w := range fuzzWECs(t) {
			out, err := tm.Execute(context.Background(), w, &customization.Dependencies{})
			again, err2 := tm.Execute(context.Background(), w, nil)
			if out != again || (err == nil) != (err2 == nil) {
				t.Fatalf("not deterministic: %q/%v vs %q/%v", out, err, again, err2)
			}
			if err != nil {
				if !errors.Is(err, templates.ErrExecution) && !errors.Is(err, templates.ErrLimit) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				continue
			}
			if len(out) > fuzzLimits.MaxStringBytes {
				t.Fatalf("output of %d bytes exceeds the limit", len(out))
			}
			if tm.Literal() && out != text {
				t.Fatalf("literal changed: %q -> %q", text, out)
			}
		}
	})
}

// FuzzExpand runs the Expander on arbitrary JSON objects and checks that the input is never
// modified, failures are RenderErrors of the stage with a path, and that success changes only
// string leaves containing "{{" (keys, other strings and non-strings stay as they are).
func FuzzExpand(f *testing.F) {
	for _, s := range []string{
		`{"kind":"ConfigMap","metadata":{"name":"a"},"data":{"x":"{{ .region }}","y":"plain"}}`,
		`{"spec":{"list":["{{ .zone }}",1,true,null,{"{{ .k }}":"{{ .clusterName }}"}]}}`,
		`{"a":"{{ .nope }}","b":"{{ .region","c":[["{{ range 100000000 }}{{ end }}"]]}`,
		`{"a":{"b":{"c":"{{ index . \"location-group\" }}"}},"d":1.5e300}`,
		`{"x":"{{ range 100 }}{{ $.region }}{{ end }}","y":"{{ range 100 }}{{ $.region }}{{ end }}"}`,
	} {
		f.Add(s)
	}
	p := transform.NewPipeline(nil, []transform.Stage{templates.NewExpander(fuzzLimits).Stage()})
	f.Fuzz(func(t *testing.T, doc string) {
		var root map[string]any
		if json.Unmarshal([]byte(doc), &root) != nil || root == nil {
			return
		}
		md, _ := root["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
			root["metadata"] = md
		}
		md["annotations"] = map[string]any{templates.ExpandAnnotation: "true"}
		in := &unstructured.Unstructured{Object: root}
		before := in.DeepCopy()
		for _, r := range p.RenderAll(context.Background(), []*unstructured.Unstructured{in}, fuzzWECs(t)) {
			if r.Err != nil {
				var re *transform.RenderError
				if !errors.As(r.Err, &re) || re.By != templates.StageName || re.WEC == "" {
					t.Fatalf("bad error %T: %v", r.Err, r.Err)
				}
				continue
			}
			if msg := sameShape(before.Object, r.Object.Object, "$"); msg != "" {
				t.Fatal(msg)
			}
		}
		if !equalJSON(before.Object, in.Object) {
			t.Fatal("the input was modified")
		}
	})
}

// sameShape reports how got differs from want other than in string leaves containing "{{".
func sameShape(want, got any, at string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return at + ": map changed"
		}
		for k, v := range w {
			gv, ok := g[k]
			if !ok {
				return at + ": key " + k + " lost"
			}
			if msg := sameShape(v, gv, at+"."+k); msg != "" {
				return msg
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return at + ": list changed"
		}
		for i := range w {
			if msg := sameShape(w[i], g[i], at+"[]"); msg != "" {
				return msg
			}
		}
	case string:
		g, ok := got.(string)
		if !ok || (!strings.Contains(w, "{{") && g != w) {
			return at + ": string changed"
		}
	default:
		if !equalJSON(want, got) {
			return at + ": value changed"
		}
	}
	return ""
}

func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
