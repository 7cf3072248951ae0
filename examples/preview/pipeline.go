package main

import (
	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/internal/joinerr"
)

// built is the engine of a run, the workloads resolved for it, and where they go.
type built struct {
	engine *engine.Engine
	// placed is which workloads each WEC receives (every workload everywhere when the inputs
	// hold no BindingPolicy or Binding).
	placed *engine.Placement
	// warnings are the compilers' warnings, then placement's (objects it could not place,
	// then what rules/placement reports).
	warnings []string
	// notices are said once on stderr and nowhere else.
	notices []string
}

// buildPipeline assembles the run through the project's one assembly (package engine): the
// CustomTransforms, rules, CRDs, BindingPolicies and Bindings become the standard pipeline and
// placement; the workloads are resolved and placed on every WEC of the inventory (not only the
// --wec ones, so that a policy is judged on the whole fleet). The tool is strict: every
// problem with a configuration document or workload is returned, joined, each naming its
// document, and the run stops. Objects placement cannot place are warnings: they go nowhere
// and the rest of the run is still right.
func buildPipeline(in *inputs) (*built, error) {
	var docs []engine.Document
	for _, group := range [][]document{in.customTransforms, in.rules, in.crds, in.placement} {
		for _, d := range group {
			docs = append(docs, engine.Document{Source: d.where(), Object: d.Object})
		}
	}
	e, err := engine.Compile(engine.Config{Documents: docs})
	if err != nil {
		return nil, err
	}
	objs := make([]engine.Object, len(in.workloads))
	for i, w := range in.workloads {
		objs[i] = engine.Object{Source: w.doc.where(), Object: w.obj}
	}
	resolved, err := e.Resolve(objs)
	if err != nil {
		return nil, err
	}
	b := &built{engine: e, warnings: e.Warnings()}
	placed, err := e.Place(resolved, in.wecs)
	if placed == nil {
		return nil, err
	}
	for _, pe := range problems(err) {
		b.warnings = append(b.warnings, pe.Error())
	}
	b.placed = placed
	if placed.Everywhere() {
		b.notices = append(b.notices, engine.NoPlacementNotice)
		return b, nil
	}
	for _, n := range placed.Result().Notices() {
		b.notices = append(b.notices, n.Message)
	}
	for _, w := range placed.Result().Warnings() {
		b.warnings = append(b.warnings, w.Message)
	}
	return b, nil
}

// deliveries returns, for the given WEC, the placement of every workload it receives, by the
// workload's index in inputs.workloads.
func (b *built) deliveries(wec *customization.WEC) map[int]engine.Delivery {
	out := map[int]engine.Delivery{}
	for _, d := range b.placed.ForWEC(wec.Name()) {
		out[d.Object.Index] = d
	}
	return out
}

// problems returns the errors an errors.Join result holds, one per problem (see joinerr.Split).
func problems(err error) []error { return joinerr.Split(err) }
