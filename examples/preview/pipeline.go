package main

import (
	"errors"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/customtransform"
	"github.com/wecforge/wecforge/transform/kubestellar"
	"github.com/wecforge/wecforge/transform/resources"
)

// built is the pipeline of a run and the warnings found while building it.
type built struct {
	pipeline *transform.Pipeline
	warnings []string
}

// buildPipeline compiles the configuration documents into the standard pipeline: generic,
// kind-specific and CustomTransform removals (WEC-independent), then template expansion and
// the CustomizationRules (per WEC). Every problem is returned, joined, each naming the document
// it comes from; the configuration is then rejected as a whole.
func buildPipeline(in *inputs) (*built, error) {
	var errs []error
	mapper, err := buildMapper(in.crds)
	if err != nil {
		return nil, err
	}
	perWEC, warnings, err := perWECStages(in.rules)
	errs = append(errs, err)

	cts := make([]*unstructured.Unstructured, len(in.customTransforms))
	ctSource := map[string]document{}
	for i, d := range in.customTransforms {
		cts[i] = &unstructured.Unstructured{Object: d.Object}
		ctSource[cts[i].GetName()] = d
	}
	p, rep, err := kubestellar.NewPipeline(kubestellar.Options{CustomTransforms: cts, Mapper: mapper, PerWEC: perWEC})
	for _, e := range flatten(err) {
		var ce *customtransform.Error
		if errors.As(e, &ce) {
			if d, ok := ctSource[ce.Name]; ok {
				e = &inputError{Where: d.where(), Err: e}
			}
		}
		errs = append(errs, e)
	}
	if err := joinSorted(errs); err != nil {
		return nil, err
	}
	return &built{pipeline: p, warnings: append(rep.Warnings, warnings...)}, nil
}

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

// buildMapper maps kinds to resources with the built-in table plus the CRDs among the inputs.
// A malformed CRD is reported with its document.
func buildMapper(crds []document) (*resources.Mapper, error) {
	if len(crds) == 0 {
		return resources.Builtin(), nil
	}
	var errs []error
	objs := make([]*unstructured.Unstructured, len(crds))
	for i, d := range crds {
		objs[i] = &unstructured.Unstructured{Object: d.Object}
		if _, err := resources.FromCRD(objs[i]); err != nil {
			errs = append(errs, &inputError{Where: d.where(), Err: err})
		}
	}
	if err := joinSorted(errs); err != nil {
		return nil, err
	}
	m, err := resources.New(resources.Options{Objects: objs})
	if err != nil {
		return nil, &inputError{Where: "CustomResourceDefinitions", Err: err}
	}
	return m, nil
}

// flatten returns the errors an errors.Join result holds, recursively (err itself when it is
// not a join, nothing for nil). Typed errors that unwrap to several causes, such as
// *rules.CompileError, are kept whole: a join is recognized by its message being exactly its
// parts' messages joined with newlines.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	parts := j.Unwrap()
	msgs := make([]string, len(parts))
	for i, p := range parts {
		msgs[i] = p.Error()
	}
	if strings.Join(msgs, "\n") != err.Error() {
		return []error{err}
	}
	var out []error
	for _, p := range parts {
		out = append(out, flatten(p)...)
	}
	return out
}
