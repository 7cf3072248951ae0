package kubestellar

import (
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/customtransform"
	"github.com/wecforge/wecforge/transform/generic"
	"github.com/wecforge/wecforge/transform/kinds"
	"github.com/wecforge/wecforge/transform/resources"
)

// ExpanderStageName is the stage name of KubeStellar template expansion (the templates
// package's StageName, which this package may not import). [NewPipeline] looks for a per-WEC
// stage of this name.
const ExpanderStageName = "templates"

// GuardStageName is the name of the WEC-independent stage [NewPipeline] adds when no per-WEC
// stage is named [ExpanderStageName]: it fails every object that asks for template expansion.
const GuardStageName = "expand-templates-guard"

// ExpandAnnotation opts an object into template expansion when its value is "true".
const ExpandAnnotation = "control.kubestellar.io/expand-templates"

// ErrNoExpander is wrapped by the error of an object that asks for template expansion (the
// annotation [ExpandAnnotation] is "true") in a pipeline that has no expansion stage: without
// the guard, its `{{ .clusterName }}` would reach every WEC literally.
var ErrNoExpander = errors.New("the object asks for template expansion, but the pipeline has no template expansion stage")

// ErrOptions is wrapped by the error [NewPipeline] returns when the options themselves are
// wrong (the pipeline is nil then).
var ErrOptions = errors.New("invalid pipeline options")

// Options configures [NewPipeline]. Slices and objects are read, never modified; the stages are
// kept and must be safe for concurrent use.
type Options struct {
	// CustomTransforms are control.kubestellar.io/v1alpha1 CustomTransform objects.
	CustomTransforms []*unstructured.Unstructured
	// Mapper maps kinds to resources for CustomTransform matching; nil means the built-in
	// table ([resources.Builtin]). Build one with [resources.New] to add CRDs from the inputs.
	Mapper *resources.Mapper
	// PerWEC are the per-WEC stages, run in order after the WEC-independent ones. KubeStellar
	// template expansion is one of them, named [ExpanderStageName], and should come first;
	// without it, every object carrying the expand-templates annotation fails with
	// [ErrNoExpander] instead of shipping its templates literally. The engine package
	// assembles the full pipeline and is what callers normally use.
	PerWEC []transform.Stage
	// Limits bound every render (see [transform.Limits]); zero fields take the defaults.
	Limits transform.Limits
	// LiteralTemplates turns the guard off: objects asking for template expansion render with
	// their templates as written. Only for callers that must model a tool without expansion
	// (the benchmarks' restricted peer engines); a controller never sets it.
	LiteralTemplates bool
}

// Report describes what NewPipeline built.
type Report struct {
	// Warnings never stop anything: several CustomTransforms for one resource, a
	// CustomTransform for a resource no known kind has, an empty spec.remove. Deterministic
	// order.
	Warnings []string
	// CustomTransforms names the CustomTransforms the pipeline applies: those usable as a
	// whole, even when some of their entries were invalid and left out. Sorted.
	CustomTransforms []string
}

// NewPipeline builds the standard pipeline; see the package documentation for the order and
// for how the pipeline, the report and the error relate.
func NewPipeline(opts Options) (*transform.Pipeline, Report, error) {
	for i, s := range opts.PerWEC {
		if s.Name == "" || s.Transform == nil {
			return nil, Report{}, fmt.Errorf("%w: PerWEC[%d] needs both a name and a transform", ErrOptions, i)
		}
	}
	ct, err := customtransform.New(opts.CustomTransforms, opts.Mapper)
	shared := []transform.Stage{
		transform.Named(generic.StageName, generic.New()),
		transform.Named(kinds.StageName, kinds.New()),
		transform.Named(customtransform.StageName, ct),
	}
	if !opts.LiteralTemplates && !slices.ContainsFunc(opts.PerWEC, func(s transform.Stage) bool { return s.Name == ExpanderStageName }) {
		shared = append(shared, transform.Named(GuardStageName, transform.Func(guardExpansion)))
	}
	rep := Report{Warnings: ct.Warnings(), CustomTransforms: ct.Names()}
	return transform.NewPipeline(shared, opts.PerWEC, transform.WithLimits(opts.Limits)), rep, err
}

// guardExpansion fails an object that opts into template expansion.
func guardExpansion(_ *transform.Env, obj *transform.Object) error {
	md, _ := obj.Root()["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	if v, _ := ann[ExpandAnnotation].(string); v == "true" {
		return &transform.PathError{Path: ".metadata.annotations." + ExpandAnnotation, Err: ErrNoExpander}
	}
	return nil
}
