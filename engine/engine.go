package engine

import (
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/customtransform"
	"github.com/wecforge/wecforge/transform/kubestellar"
	"github.com/wecforge/wecforge/transform/resources"
)

// Document is one configuration document: a CustomTransform, CustomizationRule,
// BindingPolicy, Binding or CustomResourceDefinition.
type Document struct {
	// Source names the document in errors (`file#3 (line 12)`); `documents[i]` when empty.
	Source string
	// Object is the document. Read, never modified or kept.
	Object map[string]any
	// Type is the document's apiVersion and kind when Object has none (a typed object
	// converted to unstructured loses them). When Object has them, Type must be zero or
	// agree.
	Type schema.GroupVersionKind
}

// Config is what [Compile] turns into an [Engine].
type Config struct {
	// Documents are the configuration documents, in any order.
	Documents []Document
	// Mapper supplies kind→resource mappings beyond the built-in table and the
	// CustomResourceDefinitions among Documents (which always count); nil adds none. Its
	// mappings take precedence over both.
	Mapper Mappings
	// TemplateLimits bounds KubeStellar template expansion (zero fields take the defaults).
	TemplateLimits templates.Limits
	// RuleOptions are passed to rules.Compile (cost limit, template limits of rules).
	RuleOptions []rules.Option
}

// Engine is the compiled configuration: the standard pipeline (generic, kind and
// CustomTransform removals once per object; template expansion then CustomizationRules per
// WEC), the kind→resource mapper, and the placement documents. It is immutable and safe for
// concurrent use.
type Engine struct {
	pipeline *transform.Pipeline
	mapper   *resources.Mapper
	policies []*placement.Policy
	bindings []*placement.Binding
	warnings []string
	custom   []string
	rules    []string
	status   *statusConfig // StatusCollectors and placement documents' UIDs (status.go)
}

// Compile builds the engine from every valid document. The error joins one *[DocumentError]
// per problem, sorted by source; the engine is never nil and leaves out each invalid document
// (for a CustomTransform: each invalid spec.remove entry; its valid entries still apply).
// A strict caller treats any error as fatal; a controller that must keep serving uses the
// engine and surfaces the errors.
func Compile(cfg Config) (*Engine, error) {
	return compile(cfg, func(d rules.Document) (*rules.Rule, error) { return rules.CompileRule(d, cfg.RuleOptions...) })
}

// compile is [Compile] with each CustomizationRule compiled by compileRule (a [Compiler]
// reuses the rules it compiled before).
func compile(cfg Config, compileRule func(rules.Document) (*rules.Rule, error)) (*Engine, error) {
	var errs []error
	var cts, crds []*unstructured.Unstructured
	var ctSource = map[string]string{}
	var ruleDocs []rules.Document
	var policyDocs, bindingDocs, collectorDocs []Document
	for i, d := range cfg.Documents {
		if d.Source == "" {
			d.Source = docSource(i)
		}
		obj, gvk, err := withType(d.Object, d.Type)
		if err != nil {
			errs = append(errs, &DocumentError{Source: d.Source, Kind: d.Type.Kind, Name: nameOf(d.Object), Err: err})
			continue
		}
		d.Object = obj
		u := &unstructured.Unstructured{Object: obj}
		switch gvk.GroupKind() {
		case schema.GroupKind{Group: "control.kubestellar.io", Kind: customtransform.Kind}:
			cts = append(cts, u)
			ctSource[u.GetName()] = d.Source
		case schema.GroupKind{Group: "wecforge.io", Kind: rules.Kind}:
			ruleDocs = append(ruleDocs, rules.Document{Source: d.Source, Object: obj})
		case schema.GroupKind{Group: placement.Group, Kind: placement.BindingPolicyKind}:
			policyDocs = append(policyDocs, d)
		case schema.GroupKind{Group: placement.Group, Kind: placement.BindingKind}:
			bindingDocs = append(bindingDocs, d)
		case schema.GroupKind{Group: combine.Group, Kind: combine.Kind}:
			collectorDocs = append(collectorDocs, d)
		case schema.GroupKind{Group: "apiextensions.k8s.io", Kind: resources.CRDKind}:
			if _, err := resources.FromCRD(u); err != nil {
				errs = append(errs, &DocumentError{Source: d.Source, Kind: gvk.Kind, Name: u.GetName(), Err: err})
				continue
			}
			crds = append(crds, u)
		default:
			errs = append(errs, &DocumentError{Source: d.Source, Kind: gvk.Kind, Name: u.GetName(), Err: ErrNotConfiguration})
		}
	}
	e := &Engine{}
	e.mapper, errs = buildMapper(cfg.Mapper, crds, errs)
	set, ruleErrs := compileRules(ruleDocs, compileRule)
	errs = append(errs, ruleErrs...)
	perWEC := []transform.Stage{templates.NewExpander(cfg.TemplateLimits).Stage()}
	if set != nil && set.Len() > 0 {
		perWEC = append(perWEC, set.Stage())
		e.rules = set.Names()
	}
	p, rep, err := kubestellar.NewPipeline(kubestellar.Options{CustomTransforms: cts, Mapper: e.mapper, PerWEC: perWEC})
	if p == nil {
		// Only wrong options fail as a whole; the stages above are always well formed.
		return nil, err
	}
	for _, ce := range flattenJoin(err) {
		var cte *customtransform.Error
		src := "CustomTransforms"
		if errors.As(ce, &cte) {
			if s, ok := ctSource[cte.Name]; ok {
				src = s
			}
		}
		errs = append(errs, &DocumentError{Source: src, Kind: customtransform.Kind, Name: nameFromCT(cte), Err: ce})
	}
	e.pipeline = p
	e.custom = rep.CustomTransforms
	e.warnings = rep.Warnings
	if set != nil {
		e.warnings = append(e.warnings, set.Warnings()...)
	}
	errs = append(errs, e.compilePlacement(policyDocs, bindingDocs)...)
	errs = append(errs, e.compileStatus(slices.Concat(policyDocs, bindingDocs), collectorDocs)...)
	return e, joinSorted(errs)
}

// compilePlacement compiles the BindingPolicies and Bindings; a later document with the name
// of an earlier one of its kind is an error.
func (e *Engine) compilePlacement(policyDocs, bindingDocs []Document) []error {
	var errs []error
	seen := map[string]string{}
	for _, d := range policyDocs {
		p, err := placement.ParseBindingPolicy(d.Object)
		if err == nil && seen["p/"+p.Name()] != "" {
			err = fmt.Errorf("bindingpolicy %s is also defined in %s", p.Name(), seen["p/"+p.Name()])
		}
		if err != nil {
			errs = append(errs, &DocumentError{Source: d.Source, Kind: placement.BindingPolicyKind, Name: nameOf(d.Object), Err: err})
			continue
		}
		seen["p/"+p.Name()] = d.Source
		e.policies = append(e.policies, p)
	}
	for _, d := range bindingDocs {
		b, err := placement.ParseBinding(d.Object)
		if err == nil && seen["b/"+b.Name()] != "" {
			err = fmt.Errorf("binding %s is also defined in %s", b.Name(), seen["b/"+b.Name()])
		}
		if err != nil {
			errs = append(errs, &DocumentError{Source: d.Source, Kind: placement.BindingKind, Name: nameOf(d.Object), Err: err})
			continue
		}
		seen["b/"+b.Name()] = d.Source
		e.bindings = append(e.bindings, b)
	}
	return errs
}

// buildMapper layers the caller's mappings, the valid CRDs and the built-in table. When they
// conflict, the error is reported and the CRDs are left out.
func buildMapper(extra Mappings, crds []*unstructured.Unstructured, errs []error) (*resources.Mapper, []error) {
	var ms []resources.Mapping
	if extra != nil {
		ms = extra.Mappings()
	}
	if len(ms) == 0 && len(crds) == 0 {
		return resources.Builtin(), errs
	}
	m, err := resources.New(resources.Options{Objects: crds, Extra: ms})
	if err == nil {
		return m, errs
	}
	errs = append(errs, &DocumentError{Source: "CustomResourceDefinitions", Kind: resources.CRDKind, Err: err})
	if m, err := resources.New(resources.Options{Extra: ms}); err == nil {
		return m, errs
	}
	return resources.Builtin(), errs
}

// compileRules compiles each rule document once, by compileRule, and assembles the valid ones
// into a set: an invalid document, or a later document reusing an earlier one's name, is left
// out with its errors and never makes the others compile again.
func compileRules(docs []rules.Document, compileRule func(rules.Document) (*rules.Rule, error)) (*rules.Set, []error) {
	var errs []error
	var rs []*rules.Rule
	seen := map[string]string{}
	for _, d := range docs {
		r, err := compileRule(d)
		if err != nil {
			for _, ce := range flattenJoin(err) {
				var cerr *rules.CompileError
				src := d.Source
				if errors.As(ce, &cerr) && cerr.Source != "" {
					src = cerr.Source
				}
				errs = append(errs, &DocumentError{Source: src, Kind: rules.Kind, Name: nameOf(d.Object), Err: ce})
			}
			continue
		}
		if prev, dup := seen[r.Name()]; dup {
			errs = append(errs, &DocumentError{Source: d.Source, Kind: rules.Kind, Name: r.Name(), Err: &rules.CompileError{
				Source: d.Source, Rule: r.Name(), Field: "metadata.name", Err: fmt.Errorf("duplicate rule name (also defined in %s)", prev)}})
			continue
		}
		seen[r.Name()] = d.Source
		rs = append(rs, r)
	}
	set, err := rules.NewSet(rs)
	if err != nil {
		// Only rules compiled with different options get here: an environment problem.
		return nil, append(errs, &DocumentError{Source: "CustomizationRules", Kind: rules.Kind, Err: err})
	}
	return set, errs
}

// Pipeline returns the standard pipeline. It always includes KubeStellar template expansion.
func (e *Engine) Pipeline() *transform.Pipeline { return e.pipeline }

// Mapper returns the kind→resource mapper: the caller's mappings, the
// CustomResourceDefinitions among the documents, then the built-in table.
func (e *Engine) Mapper() *resources.Mapper { return e.mapper }

// Warnings returns the compilers' warnings (CustomTransforms, rules), in a deterministic order.
// The slice is the caller's.
func (e *Engine) Warnings() []string { return slices.Clone(e.warnings) }

// HasPlacement reports whether the configuration holds a BindingPolicy or a Binding. Without
// any, [Engine.Place] sends every object to every WEC.
func (e *Engine) HasPlacement() bool { return len(e.policies)+len(e.bindings) > 0 }

// CustomTransforms names the CustomTransforms the pipeline applies, sorted.
func (e *Engine) CustomTransforms() []string { return slices.Clone(e.custom) }

// Rules names the compiled CustomizationRules in application order.
func (e *Engine) Rules() []string { return slices.Clone(e.rules) }
