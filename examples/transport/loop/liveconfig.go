package loop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/transform/customtransform"
)

// This file makes the pipeline live (Config.LiveConfig): the CustomTransforms and
// CustomizationRules among the source's objects are compiled together with the configuration
// files' documents whenever the source changes; only a changed document is compiled again,
// only the objects it can affect are rendered again, and each live document's status says
// whether it applies.

// Resources of the live configuration documents.
var (
	customTransformsResource    = schema.GroupVersionResource{Group: "control.kubestellar.io", Version: "v1alpha1", Resource: "customtransforms"}
	customizationRulesResource  = schema.GroupVersionResource{Group: "wecforge.io", Version: "v1alpha1", Resource: "customizationrules"}
	customTransformGK           = schema.GroupKind{Group: customTransformsResource.Group, Kind: customtransform.Kind}
	customizationRuleGK         = schema.GroupKind{Group: customizationRulesResource.Group, Kind: rules.Kind}
	statusCollectorGK           = schema.GroupKind{Group: combine.Group, Kind: combine.Kind}
	customResourceDefinitionsGK = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: crdKind}
)

// ConfigError is a live CustomTransform or CustomizationRule (or one entry of a
// CustomTransform) the pipeline leaves out; everything else applies.
type ConfigError struct {
	// Kind and Name name the document.
	Kind, Name string
	// Err says why: an *engine.DocumentError, or [ErrDefinedTwice].
	Err error
}

// Error names the document and the cause.
func (e *ConfigError) Error() string { return fmt.Sprintf("%s %s (source): %v", e.Kind, e.Name, e.Err) }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// liveConfig is the state of a live pipeline.
type liveConfig struct {
	static   []engine.Document
	names    map[schema.GroupKind]map[string]bool // static CustomTransforms, rules and CRDs by name
	compiler *engine.Compiler

	mu   sync.Mutex
	errs []error // the live documents' problems at the last compile
	// collectorsKey identifies the source's StatusCollectors last handed to the status loop
	// (collectorsSet: they were handed at least once).
	collectorsKey string
	collectorsSet bool
}

// newLiveConfig compiles the configuration files' documents, which must all be valid.
// StatusCollectors among them are left to the status loop.
func newLiveConfig(docs []*unstructured.Unstructured) (*liveConfig, *engine.Engine, error) {
	lc := &liveConfig{compiler: engine.NewCompiler(engine.Config{}), names: map[schema.GroupKind]map[string]bool{}}
	for i, d := range docs {
		gk := d.GroupVersionKind().GroupKind()
		if gk == statusCollectorGK {
			continue // the status loop's (Config.Status), not the pipeline's
		}
		if gk != customTransformGK && gk != customizationRuleGK && gk != customResourceDefinitionsGK {
			return nil, nil, fmt.Errorf("config document %d (%s %s) is neither a %s, a %s nor a %s",
				i, d.GetKind(), d.GetName(), rules.Kind, CustomTransformKind, crdKind)
		}
		lc.static = append(lc.static, engine.Document{Source: fmt.Sprintf("config#%d", i), Object: d.Object})
		if lc.names[gk] == nil {
			lc.names[gk] = map[string]bool{}
		}
		lc.names[gk][d.GetName()] = true
	}
	e, _, err := lc.compiler.Compile(lc.static)
	if err != nil {
		return nil, nil, err
	}
	return lc, e, nil
}

// ConfigErrors returns the live CustomTransforms and CustomizationRules left out (in whole or
// in part) at the last compile; nil without Config.LiveConfig. The slice is the caller's.
func (c *Controller) ConfigErrors() []error {
	if c.live == nil {
		return nil
	}
	c.live.mu.Lock()
	defer c.live.mu.Unlock()
	return slices.Clone(c.live.errs)
}

// liveSource names a live document in compile errors.
func liveSource(kind, name string) string { return "source " + kind + " " + name }

// applyConfig compiles the configuration files' documents with the live CustomTransforms,
// CustomizationRules and CRDs among objs and, when that changes what renders, installs the new
// pipeline, rendering again only the objects the change can affect. It returns objs without the
// CustomTransforms and CustomizationRules (they configure, they are never delivered) and the
// WECs whose results changed.
func (c *Controller) applyConfig(ctx context.Context, objs []*unstructured.Unstructured, rec *Record) ([]*unstructured.Unstructured, []string, error) {
	lc := c.live
	docs := slices.Clone(lc.static)
	var workload, live, collectors []*unstructured.Unstructured
	var errs []error
	for _, o := range objs {
		gk := o.GroupVersionKind().GroupKind()
		if gk == statusCollectorGK {
			collectors = append(collectors, o) // configures the status loop, never delivered
			continue
		}
		switch gk {
		case customTransformGK, customizationRuleGK, customResourceDefinitionsGK:
		default:
			workload = append(workload, o)
			continue
		}
		if gk == customResourceDefinitionsGK {
			// CRDs also stay workload objects (placement decides); a file's CRD wins silently.
			workload = append(workload, o)
			if lc.names[gk][o.GetName()] {
				continue
			}
		} else {
			live = append(live, o)
			if lc.names[gk][o.GetName()] {
				errs = append(errs, &ConfigError{Kind: gk.Kind, Name: o.GetName(), Err: ErrDefinedTwice})
				continue
			}
		}
		docs = append(docs, engine.Document{Source: liveSource(gk.Kind, o.GetName()), Object: o.Object})
	}
	e, ch, err := lc.compiler.Compile(docs)
	if e == nil {
		return nil, nil, fmt.Errorf("compile the configuration: %w", err)
	}
	for _, de := range documentErrors(err) {
		errs = append(errs, &ConfigError{Kind: de.Kind, Name: de.Name, Err: de})
	}
	lc.mu.Lock()
	lc.errs = errs
	lc.mu.Unlock()
	for _, e := range errs {
		c.cfg.Log.Error(e, "configuration document left out")
	}
	var changed []string
	if !ch.Empty() {
		st, err := c.renderer.SetPipeline(ctx, e.Pipeline(), workload, ch.Affects)
		if err != nil {
			return nil, nil, err
		}
		rec.Rendered += st.Rendered
		rec.Skipped += st.Skipped
		changed = st.Changed
		c.cfg.Log.Info("configuration changed", "documents", ch.Documents(), "rendered", st.Rendered, "skipped", st.Skipped)
	}
	c.applyCollectors(collectors)
	if err := c.writeConfigStatus(ctx, live, errs); err != nil {
		c.cfg.Log.Error(err, "configuration document status")
	}
	return workload, changed, nil
}

// documentErrors returns the *engine.DocumentErrors that err joins.
func documentErrors(err error) []*engine.DocumentError {
	if de, ok := err.(*engine.DocumentError); ok {
		return []*engine.DocumentError{de}
	}
	var out []*engine.DocumentError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if de, ok := e.(*engine.DocumentError); ok {
				out = append(out, de)
			}
		}
	}
	return out
}

// writeConfigStatus writes each live document's status where it differs: its errors, no
// warnings, and the generation it describes.
func (c *Controller) writeConfigStatus(ctx context.Context, live []*unstructured.Unstructured, errs []error) error {
	if c.cfg.SourceStatus == nil {
		return nil
	}
	byDoc := map[string][]string{}
	for _, e := range errs {
		var ce *ConfigError
		if !errors.As(e, &ce) {
			continue
		}
		src := liveSource(ce.Kind, ce.Name)
		cause := ce.Err
		var de *engine.DocumentError
		if errors.As(ce.Err, &de) {
			src, cause = de.Source, de.Err
		}
		byDoc[src] = append(byDoc[src], cause.Error())
	}
	var werrs []error
	for _, o := range live {
		gk := o.GroupVersionKind().GroupKind()
		gvr := customTransformsResource
		if gk == customizationRuleGK {
			gvr = customizationRulesResource
		}
		fields := map[string]any{
			"errors":             stringsAny(byDoc[liveSource(gk.Kind, o.GetName())]),
			"warnings":           stringsAny(nil),
			"observedGeneration": o.GetGeneration(),
		}
		if err := c.updateStatus(ctx, gvr, o, fields); err != nil {
			werrs = append(werrs, err)
		}
	}
	return errors.Join(werrs...)
}
