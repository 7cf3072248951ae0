package benchmarks

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/transform"
)

// ruleDocs decodes n rules of RulesYAML (outside any timer).
func ruleDocs(b *testing.B, n int) []rules.Document {
	b.Helper()
	var docs []rules.Document
	for i, doc := range splitDocs(RulesYAML(n)) {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			b.Fatal(err)
		}
		docs = append(docs, rules.Document{Source: fmt.Sprintf("rules#%d", i+1), Object: m})
	}
	return docs
}

// BenchmarkRulesCompile measures compiling a rule set: decoding, CEL parse/check/plan,
// templates, paths and patches, conflict detection.
func BenchmarkRulesCompile(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			docs := ruleDocs(b, n)
			if _, err := rules.Compile(docs); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rules.Compile(docs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRulesEvalPair measures the per-pair work of the rules stage alone: the Deployment
// is prepared once (rules selected by identity), then rendered for one WEC per iteration.
// With 1 rule: a CEL variable, a set and a jsonPatch with a CEL value. With 10 and 100: also
// an image and a labels rule with templates, and team rules filtered by namespace (at Prepare)
// or by a cluster label selector (per pair).
func BenchmarkRulesEvalPair(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			set, err := rules.Compile(ruleDocs(b, n))
			if err != nil {
				b.Fatal(err)
			}
			p := transform.NewPipeline(nil, []transform.Stage{set.Stage()})
			ctx := context.Background()
			d := Deployment()
			d.SetNamespace("team-3")
			prep := p.Prepare(ctx, d)
			if prep.Err != nil {
				b.Fatal(prep.Err)
			}
			wec := WEC(0)
			if r := p.Render(ctx, prep, wec); r.Err != nil || len(r.Changes()) == 0 {
				b.Fatalf("render: %v, %d changes", r.Err, len(r.Changes()))
			}
			b.ReportAllocs()
			for b.Loop() {
				if r := p.Render(ctx, prep, wec); r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		})
	}
}

// BenchmarkRulesPrepare measures the once-per-object work: selecting the rules whose
// resources, namespaces and names match.
func BenchmarkRulesPrepare(b *testing.B) {
	set, err := rules.Compile(ruleDocs(b, 100))
	if err != nil {
		b.Fatal(err)
	}
	p := transform.NewPipeline(nil, []transform.Stage{set.Stage()})
	ctx := context.Background()
	d := []*unstructured.Unstructured{Deployment()}
	b.ReportAllocs()
	for b.Loop() {
		if prep := p.Prepare(ctx, d[0]); prep.Err != nil {
			b.Fatal(prep.Err)
		}
	}
}
