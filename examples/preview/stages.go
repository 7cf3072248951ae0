package main

import (
	"errors"
	"fmt"

	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
)

// perWECStages builds the per-WEC stages: KubeStellar template expansion (default limits),
// then the CustomizationRules. It returns the rule compiler's warnings.
func perWECStages(rules []document) ([]transform.Stage, []string, error) {
	stages := []transform.Stage{templates.NewExpander(templates.Limits{}).Stage()}
	var errs []error
	for _, d := range rules {
		errs = append(errs, &inputError{Where: d.where(), Err: fmt.Errorf("%s documents are not supported yet", ruleKind)})
	}
	return stages, nil, errors.Join(errs...)
}
