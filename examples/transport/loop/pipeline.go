package loop

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/kubestellar"
)

// CustomTransformKind is the kind of KubeStellar's CustomTransform documents.
const CustomTransformKind = "CustomTransform"

// BuildPipeline compiles configuration documents — CustomizationRules and CustomTransforms, in
// any order — into the standard pipeline: generic, kind-specific and CustomTransform removals
// once per object, then KubeStellar template expansion and the rules per WEC. Any other kind
// is an error. It returns the compilers' warnings. docs are only read.
func BuildPipeline(docs []*unstructured.Unstructured) (*transform.Pipeline, []string, error) {
	var cts []*unstructured.Unstructured
	var ruleDocs []rules.Document
	for i, d := range docs {
		switch d.GetKind() {
		case CustomTransformKind:
			cts = append(cts, d)
		case rules.Kind:
			ruleDocs = append(ruleDocs, rules.Document{Source: fmt.Sprintf("config#%d", i), Object: d.Object})
		default:
			return nil, nil, fmt.Errorf("config document %d (%s %s) is neither a %s nor a %s",
				i, d.GetKind(), d.GetName(), rules.Kind, CustomTransformKind)
		}
	}
	set, err := rules.Compile(ruleDocs)
	if err != nil {
		return nil, nil, err
	}
	perWEC := []transform.Stage{templates.NewExpander(templates.Limits{}).Stage(), set.Stage()}
	p, rep, err := kubestellar.NewPipeline(kubestellar.Options{CustomTransforms: cts, PerWEC: perWEC})
	if err != nil {
		return nil, nil, err
	}
	return p, append(rep.Warnings, set.Warnings()...), nil
}
