package benchmarks

import (
	"context"
	"fmt"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/internal/workers"
	"github.com/wecforge/wecforge/transform"
)

// Engine returns the production pipeline, assembled by package engine as every caller does:
// the WEC-independent KubeStellar stages, then template expansion, then a rule set of n rules
// from [RulesYAML].
func Engine(n int) (*transform.Pipeline, error) {
	var docs []engine.Document
	for i, doc := range splitDocs(RulesYAML(n)) {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			return nil, err
		}
		docs = append(docs, engine.Document{Source: fmt.Sprintf("rules#%d", i), Object: m})
	}
	e, err := engine.Compile(engine.Config{Documents: docs})
	if err != nil {
		return nil, err
	}
	return e.Pipeline(), nil
}

// Objects returns n workload objects: a third each Deployments (spread over 20 team
// namespaces), Services and ConfigMaps.
func Objects(n int) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, n)
	for i := range out {
		var u *unstructured.Unstructured
		switch i % 3 {
		case 0:
			u = Deployment()
			u.SetNamespace(fmt.Sprintf("team-%d", i%20))
		case 1:
			u = Service()
		default:
			u = ConfigMap()
		}
		u.SetName(fmt.Sprintf("%s-%d", u.GetName(), i))
		out[i] = u
	}
	return out
}

// RenderFleet renders every (object, WEC) pair once on all cores, streaming: each result is
// dropped after it is checked, as a controller hands it to its writer. It returns the number
// of failed pairs.
func RenderFleet(ctx context.Context, p *transform.Pipeline, preps []*transform.Prepared, wecs []*customization.WEC) int64 {
	const chunk = 64 // pairs per work item: keeps the hand-off cost out of the measurement
	var failed atomic.Int64
	total := len(preps) * len(wecs)
	workers.Do((total+chunk-1)/chunk, func(c int) {
		for j := c * chunk; j < min((c+1)*chunk, total); j++ {
			if res := p.Render(ctx, preps[j%len(preps)], wecs[j/len(preps)]); res.Err != nil {
				failed.Add(1)
			}
		}
	})
	return failed.Load()
}

func splitDocs(s string) []string {
	var out []string
	start := 0
	for i := 0; i+4 <= len(s); i++ {
		if s[i:i+4] == "---\n" && (i == 0 || s[i-1] == '\n') {
			out = append(out, s[start:i])
			start = i + 4
		}
	}
	return append(out, s[start:])
}
