package main

import (
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
)

// perWECStages builds the per-WEC stages: KubeStellar template expansion (default limits),
// then the CustomizationRules (default CEL cost budget), when there are any. It returns the
// rule compiler's warnings. Compile errors name their document (`file#index`), rule, field
// and position.
func perWECStages(docs []document) ([]transform.Stage, []string, error) {
	stages := []transform.Stage{templates.NewExpander(templates.Limits{}).Stage()}
	if len(docs) == 0 {
		return stages, nil, nil
	}
	rdocs := make([]rules.Document, len(docs))
	for i, d := range docs {
		rdocs[i] = rules.Document{Source: d.where(), Object: d.Object}
	}
	set, err := rules.Compile(rdocs)
	if err != nil {
		return nil, nil, err
	}
	return append(stages, set.Stage()), set.Warnings(), nil
}
