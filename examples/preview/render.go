package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/internal/workers"
	"github.com/wecforge/wecforge/transform"
)

// pair is the outcome of rendering one workload for one WEC.
type pair struct {
	w   *workload
	res transform.Result
	// err is the pair's failure with the object named as given (nil when it rendered).
	err *transform.RenderError
	// placed is why the object goes to the WEC (By is empty when every object goes
	// everywhere).
	placed engine.Delivery
}

// wecOutput is everything rendered for one WEC.
type wecOutput struct {
	wec *customization.WEC
	// pairs are in the output order: group, kind, namespace, name of the input object (input
	// order among equals). Failed pairs are included, with err set.
	pairs []pair
}

// rendered is the outcome of a whole run.
type rendered struct {
	wecs     []wecOutput
	warnings []string
	// notices are said on stderr only (not warnings: nothing is wrong).
	notices []string
	failed  int
	// placed is where the workloads go.
	placed *engine.Placement
	// status is the status return (status.go); nil when the inputs evaluate none.
	status *statusRun
	// crds are the CustomResourceDefinitions among the inputs (schemas for --validate).
	crds []document
}

// render prepares every workload once (the WEC-independent stages and the per-object part of
// the per-WEC stages) and renders it for every WEC in wecs that b places it on, WECs in
// parallel; the result does not depend on the scheduling. A workload the WEC-independent
// stages reject is a configuration error: render returns every such problem, naming the
// document, and renders nothing. Per-pair failures are part of the result.
func render(ctx context.Context, b *built, workloads []workload, wecs []*customization.WEC) (*rendered, error) {
	p := b.engine.Pipeline()
	index := make(map[*workload]int, len(workloads))
	order := make([]*workload, len(workloads))
	for i := range workloads {
		order[i] = &workloads[i]
		index[order[i]] = i
	}
	slices.SortStableFunc(order, func(a, b *workload) int { return a.ref.Compare(b.ref) })

	out := &rendered{}
	preps := make([]*transform.Prepared, len(order))
	var errs []error
	for i, w := range order {
		prep := p.Prepare(ctx, w.obj)
		if prep.Err != nil {
			errs = append(errs, &inputError{Where: w.doc.where(), Err: describe(prep.Err, w.ref)})
			continue
		}
		for _, msg := range prep.Warnings {
			out.warnings = append(out.warnings, w.ref.String()+": "+msg)
		}
		if prep.Object().GetName() == "" {
			out.warnings = append(out.warnings, fmt.Sprintf("%s (%s): has metadata.generateName but no metadata.name; generateName is removed for delivery, so WECs receive an object without a name", w.ref, w.doc.where()))
		}
		preps[i] = prep
	}
	if err := joinSorted(errs); err != nil {
		return nil, err
	}
	placed := make([]map[int]engine.Delivery, len(wecs))
	results := make([][]transform.Result, len(wecs))
	workers.Do(len(wecs), func(k int) {
		placed[k] = b.deliveries(wecs[k])
		results[k] = make([]transform.Result, len(order))
		for i, w := range order {
			if _, ok := placed[k][index[w]]; ok {
				results[k][i] = p.Render(ctx, preps[i], wecs[k])
			}
		}
	})
	for k, wec := range wecs {
		wo := wecOutput{wec: wec, pairs: make([]pair, 0, len(placed[k]))}
		for i, w := range order {
			d, ok := placed[k][index[w]]
			if !ok {
				continue
			}
			res := results[k][i]
			pr := pair{w: w, res: res, placed: d}
			for _, msg := range res.Warnings[len(preps[i].Warnings):] {
				// Stages that already name the WEC (the rules do) are not prefixed twice.
				if prefix := "wec " + wec.Name() + ": "; !strings.HasPrefix(msg, prefix) {
					msg = fmt.Sprintf("%s%s: %s", prefix, w.ref, msg)
				}
				out.warnings = append(out.warnings, msg)
			}
			if res.Err != nil {
				pr.err = pairError(res.Err, wec.Name(), w.ref)
				out.failed++
			}
			wo.pairs = append(wo.pairs, pr)
		}
		out.wecs = append(out.wecs, wo)
	}
	out.warnings = dedupe(out.warnings)
	return out, nil
}

// describe formats a WEC-independent failure without repeating the object, which the caller
// names.
func describe(err error, ref transform.ObjectRef) error {
	var re *transform.RenderError
	if !errors.As(err, &re) {
		return fmt.Errorf("%s: %w", ref, err)
	}
	cp := *re
	cp.Object = ref
	return &cp
}

// pairError returns err as a *transform.RenderError naming the WEC and the object as given.
func pairError(err error, wec string, ref transform.ObjectRef) *transform.RenderError {
	var re *transform.RenderError
	if !errors.As(err, &re) {
		return &transform.RenderError{WEC: wec, Object: ref, Err: err}
	}
	cp := *re
	cp.WEC, cp.Object = wec, ref
	return &cp
}

// message is a pair error without the WEC, object and path, which the report gives in fields
// of their own: `by: cause`.
func message(e *transform.RenderError) string {
	if e.Err == nil {
		return e.By
	}
	if e.By == "" {
		return e.Err.Error()
	}
	return e.By + ": " + e.Err.Error()
}

// dedupe drops repeated messages, keeping the first occurrence's position.
func dedupe(msgs []string) []string {
	seen := make(map[string]bool, len(msgs))
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}
