package benchmarks

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
)

// templatedDeployment is the fixture Deployment with six template strings: the four it has
// (an annotation and three env values) plus a label and the app image.
func templatedDeployment(b *testing.B) *unstructured.Unstructured {
	b.Helper()
	d := Deployment()
	labels := d.GetLabels()
	labels["region"] = "{{ .region }}"
	d.SetLabels(labels)
	containers, _, err := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if err != nil {
		b.Fatal(err)
	}
	containers[0].(map[string]any)["image"] = "{{ .registry }}/shop/web:{{ .imageTag }}"
	if err := unstructured.SetNestedSlice(d.Object, containers, "spec", "template", "spec", "containers"); err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkTemplateExpandDeployment is the per-WEC hot path: the Deployment is prepared once
// (its six template strings parsed), then expanded for one WEC per iteration.
func BenchmarkTemplateExpandDeployment(b *testing.B) {
	p := transform.NewPipeline(nil, []transform.Stage{templates.NewExpander(templates.Limits{}).Stage()})
	ctx := context.Background()
	prep := p.Prepare(ctx, templatedDeployment(b))
	if prep.Err != nil {
		b.Fatal(prep.Err)
	}
	wec := WEC(1)
	if r := p.Render(ctx, prep, wec); r.Err != nil || len(r.Changes()) != 6 {
		b.Fatalf("render: %v, %d changes", r.Err, len(r.Changes()))
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := p.Render(ctx, prep, wec); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkTemplatePrepareDeployment is the once-per-object work: walking every string leaf
// and parsing the distinct template strings.
func BenchmarkTemplatePrepareDeployment(b *testing.B) {
	p := transform.NewPipeline(nil, []transform.Stage{templates.NewExpander(templates.Limits{}).Stage()})
	ctx := context.Background()
	d := templatedDeployment(b)
	b.ReportAllocs()
	for b.Loop() {
		if prep := p.Prepare(ctx, d); prep.Err != nil {
			b.Fatal(prep.Err)
		}
	}
}

// BenchmarkTemplateLiteral is a string without "{{": never parsed, expanded to itself.
func BenchmarkTemplateLiteral(b *testing.B) {
	ctx := context.Background()
	wec := WEC(1)
	b.Run("parse+execute", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, err := templates.Parse("ghcr.io/shop/web:1.4.2", templates.Limits{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := t.Execute(ctx, wec, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("execute", func(b *testing.B) {
		t := templates.MustParse("ghcr.io/shop/web:1.4.2", templates.Limits{})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := t.Execute(ctx, wec, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTemplateExecute is one parsed template string executed for one WEC.
func BenchmarkTemplateExecute(b *testing.B) {
	ctx := context.Background()
	wec := WEC(1)
	t := templates.MustParse("{{ .registry }}/shop/web:{{ .imageTag }}", templates.Limits{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Execute(ctx, wec, nil); err != nil {
			b.Fatal(err)
		}
	}
}
