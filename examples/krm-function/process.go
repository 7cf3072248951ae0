package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/filters"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/internal/joinerr"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
)

// function renders a ResourceList's items for the WEC its functionConfig names. It returns the
// output items and the results; the run failed when a result has severity error. nodes and fc
// are read, never modified.
//
// Problems with the functionConfig or with configuration items stop the run: no items are
// output. A workload that fails to render (or cannot be resolved) is left out with an error
// result naming it, the field and the cause; the others are still output.
func function(ctx context.Context, nodes []*yaml.RNode, fc *yaml.RNode) ([]*yaml.RNode, framework.Results) {
	rs := results{bySource: map[string]*item{}}
	v, err := parseConfig(fc)
	if err != nil {
		rs.fail(err)
		return nil, rs.list
	}
	items, err := readItems(nodes)
	if err != nil {
		rs.fail(err)
		return nil, rs.list
	}
	for _, d := range items {
		rs.bySource[d.source] = d.item
	}
	r, errs := route(items)
	target, wecs, fleetErrs := r.fleet(v)
	errs = append(errs, fleetErrs...)
	if len(errs) > 0 {
		rs.fail(errs...)
		return nil, rs.list
	}
	e, err := engine.Compile(engine.Config{Documents: r.documents})
	if err != nil {
		rs.fail(problems(err)...)
		return nil, rs.list
	}
	rs.warn(nil, e.Warnings()...)
	objs := make([]engine.Object, len(r.workloads))
	for i, d := range r.workloads {
		objs[i] = engine.Object{Source: d.source, Object: &unstructured.Unstructured{Object: d.obj}}
	}
	resolved, err := e.Resolve(objs)
	rs.fail(problems(err)...)
	placed, err := e.Place(resolved, wecs)
	if placed == nil {
		rs.fail(err)
		return nil, rs.list
	}
	for _, pe := range problems(err) {
		// Objects placement cannot judge go nowhere; the rest of the output is still right.
		rs.warn(rs.itemOf(pe), pe.Error())
	}
	if res := placed.Result(); res != nil {
		for _, w := range res.Warnings() {
			rs.warn(nil, w.Message)
		}
		for _, n := range res.Notices() {
			rs.info(n.Message)
		}
	} else {
		rs.info(engine.NoPlacementNotice)
	}
	delivered := make(map[int]bool, len(resolved))
	for _, d := range placed.ForWEC(target.Name()) {
		delivered[d.Object.Index] = true
	}
	p := e.Pipeline().WithoutTrace()
	var out []*yaml.RNode
	for _, o := range resolved {
		if !delivered[o.Index] {
			continue
		}
		it := r.workloads[o.Index].item
		res := p.Render(ctx, p.Prepare(ctx, o.Object), target)
		rs.warn(it, res.Warnings...)
		if res.Err != nil {
			rs.pair(it, res.Err)
			continue
		}
		n, err := toNode(res.Object.Object)
		if err != nil {
			rs.fail(&itemError{Item: it, Err: fmt.Errorf("cannot write the rendered object: %w", err)})
			continue
		}
		out = append(out, n)
	}
	// Fields come back in key order; put them in the conventional order (apiVersion, kind,
	// metadata, spec, ...) as kustomize writes them.
	out, err = filters.FormatFilter{}.Filter(out)
	if err != nil {
		rs.fail(fmt.Errorf("cannot format the output: %w", err))
		return nil, rs.list
	}
	return out, rs.list
}

// results collects the function's results.
type results struct {
	list framework.Results
	// bySource finds an item by the source the engine's errors name.
	bySource map[string]*item
}

// failed reports whether a result has severity error.
func failed(rs framework.Results) bool {
	return slices.ContainsFunc(rs, func(r *framework.Result) bool { return r.Severity == framework.Error })
}

// fail adds one error result per error, naming the item and field it is about when known.
func (rs *results) fail(errs ...error) {
	for _, err := range errs {
		if err == nil {
			continue
		}
		r := &framework.Result{Severity: framework.Error, Message: err.Error()}
		rs.about(r, rs.itemOf(err))
		if f := fieldOf(err); f != "" {
			r.Field = &framework.Field{Path: f}
		}
		rs.list = append(rs.list, r)
	}
}

// pair adds the error result of a workload that failed to render.
func (rs *results) pair(it *item, err error) {
	r := &framework.Result{Severity: framework.Error, Message: err.Error()}
	rs.about(r, it)
	var re *transform.RenderError
	if errors.As(err, &re) && re.Path != "" {
		r.Field = &framework.Field{Path: re.Path}
	}
	rs.list = append(rs.list, r)
}

// warn adds a warning result per message.
func (rs *results) warn(it *item, msgs ...string) {
	for _, m := range msgs {
		r := &framework.Result{Severity: framework.Warning, Message: m}
		rs.about(r, it)
		rs.list = append(rs.list, r)
	}
}

// info adds an informational result.
func (rs *results) info(msg string) {
	rs.list = append(rs.list, &framework.Result{Severity: framework.Info, Message: msg})
}

// about points r at item it (nil: nothing).
func (rs *results) about(r *framework.Result, it *item) {
	if it == nil {
		return
	}
	id := it.id
	r.ResourceRef = &id
	if it.file != "" {
		r.File = &framework.File{Path: it.file, Index: max(it.fileIndex, 0)}
	}
}

// itemOf returns the item an error is about, when it names one.
func (rs *results) itemOf(err error) *item {
	var ie *itemError
	var de *engine.DocumentError
	var oe *engine.ObjectError
	switch {
	case errors.As(err, &ie):
		return ie.Item
	case errors.As(err, &de):
		return rs.bySource[de.Source]
	case errors.As(err, &oe):
		return rs.bySource[oe.Source]
	}
	return nil
}

// fieldOf returns the field path an error names inside its document, when it names one.
func fieldOf(err error) string {
	var ce *configError
	var re *rules.CompileError
	var pe *placement.Error
	switch {
	case errors.As(err, &ce):
		return ce.Field
	case errors.As(err, &re):
		return re.Field
	case errors.As(err, &pe):
		return pe.Field
	}
	return ""
}

// problems returns the errors an errors.Join result holds, one per problem (see joinerr.Split).
func problems(err error) []error { return joinerr.Split(err) }
