package rules

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
)

// StageName is the name of the per-WEC stage a [Set] provides; it is the author of changes
// that are not attributed to a rule.
const StageName = "rules"

// ErrNoWEC is returned when the rules stage runs without a WEC (in a WEC-independent stage).
var ErrNoWEC = errors.New("rules need a WEC: use the rules stage as a per-WEC stage")

// Stage returns the per-WEC stage named "rules" that applies the set. The stage implements
// [transform.Preparer]: per object it selects the rules whose resources, namespaces and names
// match, so a render only looks at rules that can apply. It is safe for concurrent use.
func (s *Set) Stage() transform.Stage {
	return transform.Stage{Name: StageName, Transform: &stage{set: s, rules: s.rules}}
}

// stage applies a list of rules: all of them (selecting per object), or those Prepare selected
// for one object.
type stage struct {
	set      *Set
	rules    []*rule
	prepared bool
}

// Prepare implements [transform.Preparer].
func (st *stage) Prepare(env *transform.Env, obj *transform.Object) (transform.Transform, error) {
	sel := st.selectRules(transform.RefOf(obj.Root()))
	if len(sel) == 0 {
		return nil, nil
	}
	return &stage{set: st.set, rules: sel, prepared: true}, nil
}

func (st *stage) selectRules(ref transform.ObjectRef) []*rule {
	var out []*rule
	for _, r := range st.rules {
		if r.match.identity(ref) {
			out = append(out, r)
		}
	}
	return out
}

// Transform implements [transform.Transform]. Without Prepare it selects the rules itself.
func (st *stage) Transform(env *transform.Env, obj *transform.Object) error {
	if env.WEC == nil {
		return ErrNoWEC
	}
	rules := st.rules
	if !st.prepared {
		rules = st.selectRules(transform.RefOf(obj.Root()))
	}
	ctx := env.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if env.Deps == nil {
		env.Deps = &customization.Dependencies{}
	}
	ev := pairEvals.Get().(*pairEval)
	defer ev.release()
	ev.ctx, ev.env, ev.budget, ev.limit, ev.adapter = ctx, env, st.set.costLimit, st.set.costLimit, st.set.adapter
	for _, r := range rules {
		err := ev.rule(r, obj)
		if err == nil {
			continue
		}
		re := ev.renderError(r, err)
		if r.ignore && ctx.Err() == nil {
			re.WEC, re.Object = env.WEC.Name(), env.Object
			env.Warn("%s (rule skipped: onError is Ignore)", re.Error())
			continue
		}
		return re
	}
	return nil
}

// renderError names the rule and the failing field.
func (ev *pairEval) renderError(r *rule, err error) *transform.RenderError {
	re := &transform.RenderError{By: "rule " + r.name, Err: err}
	var ae *actionError
	if errors.As(err, &ae) {
		re.By += ": " + ae.field
		re.Path = ae.path
		re.Err = ae.err
	}
	return re
}

// pairEval is the state of one (object, WEC) render: the remaining cost budget, the CEL values
// of the WEC (built once), and the rule being applied with its lazily evaluated variables. It
// is the CEL activation of every expression of the pair.
type pairEval struct {
	ctx     context.Context
	env     *transform.Env
	budget  uint64 // what is left of limit
	limit   uint64
	adapter types.Adapter

	cluster, properties ref.Val

	r      *rule
	root   map[string]any // the object as the rule began
	object ref.Val        // root as a CEL value, built on first use
	vars   []varState
	varErr *actionError // the failure of a variable read by the expression being evaluated
	// varBuf backs vars for rules with few variables, saving an allocation per pair.
	varBuf [4]varState
}

// pairEvals pools the evaluation state of finished pairs: nothing of it outlives the rules
// stage's Transform (CEL does not keep its activation, errors carry copies).
var pairEvals = sync.Pool{New: func() any { return new(pairEval) }}

// release clears ev (it must not keep the pair's WEC, object or values alive) and pools it.
func (ev *pairEval) release() {
	*ev = pairEval{}
	pairEvals.Put(ev)
}

type varState struct {
	done bool
	val  ref.Val
	err  error
}

// rule applies r to obj when it matches. When the rule needs it (see rule.fork) its writes go
// to a fork of obj, adopted only when every action succeeded, so that a failed rule leaves obj
// as it was and `object` keeps showing the object as the rule began.
func (ev *pairEval) rule(r *rule, obj *transform.Object) error {
	root := obj.Root()
	ev.begin(r, root)
	if r.match.selector != nil && !r.match.selector.Matches(objectLabels(root)) {
		return nil
	}
	if r.match.condition != nil {
		ok, err := ev.evalBool(r.match.condition)
		if err != nil || !ok {
			return err
		}
	}
	if ok, err := ev.clusterMatches(&r.clusters); err != nil || !ok {
		return err
	}
	target := obj
	if r.fork {
		target = obj.Fork()
	}
	for _, a := range r.actions {
		target.SetBy(a.by())
		if err := a.apply(ev, target); err != nil {
			return err
		}
	}
	if r.fork {
		obj.Adopt(target)
	}
	return nil
}

func (ev *pairEval) begin(r *rule, root map[string]any) {
	ev.r, ev.root, ev.object = r, root, nil
	switch {
	case cap(ev.vars) >= len(r.vars):
		ev.vars = ev.vars[:len(r.vars)]
		clear(ev.vars)
	case len(r.vars) <= len(ev.varBuf):
		ev.vars = ev.varBuf[:len(r.vars)]
		clear(ev.vars)
	default:
		ev.vars = make([]varState, len(r.vars))
	}
}

func (ev *pairEval) clusterMatches(c *clusterMatch) (bool, error) {
	wec := ev.env.WEC
	if c.names != nil && !slices.Contains(c.names, wec.Name()) {
		return false, nil
	}
	if slices.Contains(c.exclude, wec.Name()) {
		return false, nil
	}
	if c.selector != nil {
		for _, k := range c.keys {
			ev.env.Deps.AddLabel(k)
		}
		if !c.selector.Matches(labels.Set(wec.Labels())) {
			return false, nil
		}
	}
	if c.condition != nil {
		return ev.evalBool(c.condition)
	}
	return true, nil
}

// ResolveName implements interpreter.Activation.
func (ev *pairEval) ResolveName(name string) (any, bool) {
	switch name {
	case varObject:
		if ev.object == nil {
			ev.object = types.DefaultTypeAdapter.NativeToValue(ev.root)
		}
		return ev.object, true
	case varCluster:
		if ev.cluster == nil {
			w := ev.env.WEC
			ev.cluster = w.Memo(clusterValueKey{}, func() any {
				return ev.adapter.NativeToValue(&clusterInfo{
					Name: w.Name(), Labels: w.Labels(), Annotations: w.Annotations(), ConfigMap: w.ConfigMapData(),
				})
			}).(ref.Val)
		}
		return ev.cluster, true
	case varProperties:
		if ev.properties == nil {
			w := ev.env.WEC
			ev.properties = w.Memo(propertiesValueKey{}, func() any {
				return types.DefaultTypeAdapter.NativeToValue(w.Properties())
			}).(ref.Val)
		}
		return ev.properties, true
	}
	if i, ok := ev.r.varIndex[name]; ok {
		v, err := ev.variable(i)
		if err != nil {
			if ae, ok := err.(*actionError); ok && ev.varErr == nil {
				ev.varErr = ae
			}
			return types.WrapErr(err), true
		}
		return v, true
	}
	return nil, false
}

// The keys of a WEC's CEL values, built once per WEC ([customization.WEC.Memo]): they are
// immutable and the CEL environments (so the adapter) are the same for every Set.
type (
	clusterValueKey    struct{}
	propertiesValueKey struct{}
)

// Parent implements interpreter.Activation.
func (ev *pairEval) Parent() interpreter.Activation { return nil }

// variable evaluates variable i at most once per rule and pair.
func (ev *pairEval) variable(i int) (ref.Val, error) {
	st := &ev.vars[i]
	if !st.done {
		st.done = true
		st.val, st.err = ev.eval(ev.r.vars[i])
	}
	return st.val, st.err
}

// eval evaluates x against the pair, charging its cost to the budget and recording what it
// reads of the WEC.
//
// An expression whose worst case is statically bounded (x.fast, see planUntracked) is charged
// that bound and runs without runtime cost tracking, when the remaining budget covers the
// bound; others, and bounded ones once the budget is lower than their bound, are tracked at
// runtime and charged their actual cost. Either way the charge follows the evaluation, so a
// variable the expression reads has been charged first, separately.
func (ev *pairEval) eval(x *expr) (ref.Val, error) {
	outer := ev.varErr
	ev.varErr = nil
	defer func() { ev.varErr = outer }()
	ev.env.Deps.Merge(x.deps)
	pair := ev.env.Budget
	if ev.budget == 0 {
		return nil, &actionError{field: x.field, err: ev.budgetError()}
	}
	if pair.StepsLeft() <= 0 {
		return nil, &actionError{field: x.field, err: pair.Charge(1)}
	}
	var (
		out  ref.Val
		det  *cel.EvalDetails
		err  error
		cost uint64 // what to charge
	)
	switch {
	case x.fast != nil && ev.budget >= x.fast.max && uint64(pair.StepsLeft()) >= x.fast.max:
		// An untracked program never looks at the context (the tracked one does only
		// between loop iterations, and this expression has no loop): look once before, so
		// that a render whose context ended fails at its next expression.
		if ev.ctx.Done() != nil {
			if ctxErr := ev.ctx.Err(); ctxErr != nil {
				return nil, &actionError{field: x.field, err: ctxErr}
			}
		}
		out, _, err = x.fast.prg.Eval(ev)
		cost = x.fast.max
	case ev.ctx.Done() == nil:
		out, det, err = x.prg.Eval(ev) // a context that cannot end needs no cancellation watcher
	default:
		out, det, err = x.prg.ContextEval(ev.ctx, ev)
	}
	if det != nil {
		if c := det.ActualCost(); c != nil {
			cost = *c
		}
	}
	if cost > ev.budget {
		ev.budget = 0
		return nil, &actionError{field: x.field, err: ev.budgetError()}
	}
	ev.budget -= cost
	if perr := pair.Charge(int64(min(cost, math.MaxInt64))); perr != nil {
		return nil, &actionError{field: x.field, err: perr}
	}
	if err != nil {
		if ev.varErr != nil {
			return nil, ev.varErr
		}
		if ctxErr := ev.ctx.Err(); ctxErr != nil {
			return nil, &actionError{field: x.field, err: ctxErr}
		}
		if isCostError(err) {
			if cost >= ev.budget || ev.limit <= MaxExpressionCost {
				ev.budget = 0
				return nil, &actionError{field: x.field, err: ev.budgetError()}
			}
			return nil, &actionError{field: x.field, err: &CostError{Limit: MaxExpressionCost, PerExpression: true}}
		}
		return nil, &actionError{field: x.field, err: err}
	}
	return out, nil
}

func (ev *pairEval) budgetError() error {
	return &CostError{Limit: ev.limit}
}

// evalBool evaluates a condition.
func (ev *pairEval) evalBool(x *expr) (bool, error) {
	v, err := ev.eval(x)
	if err != nil {
		return false, err
	}
	b, ok := v.(types.Bool)
	if !ok {
		return false, &actionError{field: x.field, err: fmt.Errorf("%w: a condition must be a bool, not %s", ErrResultType, v.Type())}
	}
	return bool(b), nil
}

// evalJSON evaluates x and converts the result to a JSON value.
func (ev *pairEval) evalJSON(x *expr) (any, error) {
	v, err := ev.eval(x)
	if err != nil {
		return nil, err
	}
	j, err := toJSON(v, ev.env.Budget)
	if err != nil {
		return nil, &actionError{field: x.field, err: err}
	}
	return j, nil
}

// template executes t for the pair.
func (ev *pairEval) template(t *templates.Template) (string, error) {
	return t.ExecuteBudget(ev.ctx, ev.env.WEC, ev.env.Deps, ev.env.Budget)
}
