package loop

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/transform"
)

// CustomTransformKind is the kind of KubeStellar's CustomTransform documents.
const CustomTransformKind = "CustomTransform"

// crdKind is the kind of a CustomResourceDefinition: among the configuration documents it
// teaches the engine the resource of a CRD kind, so a CustomTransform can target it.
const crdKind = "CustomResourceDefinition"

// BuildPipeline compiles configuration documents — CustomizationRules, CustomTransforms,
// CustomResourceDefinitions and StatusCollectors, in any order — through the one engine
// assembly (package engine) into the standard pipeline: generic, kind-specific and
// CustomTransform removals once per object, then KubeStellar template expansion and the rules
// per WEC. Any other kind is an error (placement documents are split off first, see
// [SplitPlacement]). Like the preview, it is strict: any invalid document is an error. It
// returns the compilers' warnings. docs are only read.
func BuildPipeline(docs []*unstructured.Unstructured) (*transform.Pipeline, []string, error) {
	e, warnings, err := BuildEngine(docs)
	if err != nil {
		return nil, nil, err
	}
	return e.Pipeline(), warnings, nil
}

// BuildEngine is [BuildPipeline] returning the whole engine: its pipeline, its mapper (the
// built-in kinds and the configuration's CRDs) and its StatusCollectors, which the status
// loop needs too.
func BuildEngine(docs []*unstructured.Unstructured) (*engine.Engine, []string, error) {
	cfg := engine.Config{Documents: make([]engine.Document, 0, len(docs))}
	for i, d := range docs {
		switch d.GetKind() {
		case CustomTransformKind, rules.Kind, crdKind, combine.Kind:
			cfg.Documents = append(cfg.Documents, engine.Document{Source: fmt.Sprintf("config#%d", i), Object: d.Object})
		default:
			return nil, nil, fmt.Errorf("config document %d (%s %s) is neither a %s, a %s, a %s nor a %s",
				i, d.GetKind(), d.GetName(), rules.Kind, CustomTransformKind, crdKind, combine.Kind)
		}
	}
	e, err := engine.Compile(cfg)
	if err != nil {
		return nil, nil, err
	}
	return e, e.Warnings(), nil
}
