package rules

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

// FuzzCompile feeds arbitrary YAML to Compile: it must never panic and must return either a
// rule set or only *CompileErrors; a compiled set must render without panicking.
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*", "rules.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, part := range splitYAML(string(data)) {
			f.Add(part)
		}
	}
	f.Add(ruleDoc("actions:\n- set: {path: $.a, value: \"[1, 'x', {'k': null}]\"}"))
	f.Add(ruleDoc("priority: 1e3\nonError: Ignore\nactions:\n- jsonPatch: [{op: move, from: /a, path: /b}]"))
	f.Add("apiVersion: wecforge.io/v1alpha1\nkind: CustomizationRule\nmetadata: {name: x}\nspec: [1]")
	f.Add("spec: {actions: [{}]}")
	f.Add("[]")

	wec, err := customization.New("wec1", map[string]string{"gpu": "true", "replicas": "2", "region": "eu"}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	obj := deployment()
	f.Fuzz(func(t *testing.T, text string) {
		var m map[string]any
		if yaml.Unmarshal([]byte(text), &m) != nil {
			return
		}
		set, err := Compile([]Document{{Source: "fuzz", Object: m}}, CostLimit(100_000))
		if err != nil {
			if set != nil {
				t.Fatal("a set and an error")
			}
			for _, e := range flatten(err) {
				var ce *CompileError
				if !errors.As(e, &ce) || e.Error() == "" {
					t.Fatalf("not a CompileError: %T %v", e, e)
				}
			}
			return
		}
		p := transform.NewPipeline(nil, []transform.Stage{set.Stage()})
		for _, r := range p.RenderAll(context.Background(), []*unstructured.Unstructured{obj}, []*customization.WEC{wec}) {
			if r.Err != nil {
				var re *transform.RenderError
				if !errors.As(r.Err, &re) {
					t.Fatalf("not a RenderError: %T %v", r.Err, r.Err)
				}
			}
		}
	})
}
