package rules

import (
	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"k8s.io/apiserver/pkg/cel/library"
)

// staticCostThreshold is the largest static worst-case cost for which an expression also gets
// a program without runtime cost tracking. Such an expression is charged its static bound
// instead of its actual cost, so the bound must stay tiny next to any sensible budget
// ([DefaultCostLimit] is 1,000 times larger): overcharging by at most this much per
// expression never matters in practice, and the tracking it saves (a cost tracker per
// evaluation, an observer around every step) is a large part of evaluating a cheap
// expression such as `int(properties.replicas)` (static cost 3).
const staticCostThreshold = 10_000

// untrackedPlan is the fast program of an expression whose cost is statically bounded.
type untrackedPlan struct {
	prg cel.Program
	max uint64 // the static worst-case cost, charged to the budget on every evaluation
}

// planUntracked returns the program without cost tracking of a checked expression whose static
// worst-case cost is at most staticCostThreshold, or nil when the expression has no such bound.
//
// The bound comes from the checker's estimator with the cost model runtime tracking uses
// (Kubernetes' library.CostEstimator, presence tests free through the environment's
// CostEstimatorOptions), plus one unit per field selection on a dyn value (see
// dynSelections). No size hints are given: an input whose size the estimator does not know
// (a property value, a label, a field of object) counts as unbounded, so an expression whose
// cost depends on such a size (concatenation, regexes, most string and list functions) keeps
// runtime tracking. A read of `variables.x` costs what reading any variable costs: the
// variable's own expression is evaluated, and charged, separately the first time it is read.
//
// Expressions with a comprehension are never planned untracked, even when bounded: they are
// the only ones whose evaluation loops, and the tracked program also watches the context
// between iterations.
func planUntracked(env *cel.Env, ast *cel.Ast) (*untrackedPlan, error) {
	a := ast.NativeRep()
	if hasComprehension(a.Expr()) {
		return nil, nil
	}
	est, err := env.EstimateCost(ast, &library.CostEstimator{})
	if err != nil || est.Max > staticCostThreshold {
		return nil, nil // no static bound: the expression is tracked at runtime
	}
	bound := est.Max + dynSelections(a, a.Expr())
	if bound > staticCostThreshold {
		return nil, nil
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, err
	}
	return &untrackedPlan{prg: prg, max: bound}, nil
}

// dynSelections counts the field selections (not presence tests) whose operand is not typed
// as a map or an object: the estimator charges nothing for those (object.spec.replicas is
// estimated at 2, `object` and `.spec`), while the runtime tracker charges one unit for every
// field it selects (3). Counting them keeps the bound at or above the tracked cost.
func dynSelections(a *celast.AST, e celast.Expr) uint64 {
	var n uint64
	if e.Kind() == celast.SelectKind {
		if s := e.AsSelect(); !s.IsTestOnly() {
			switch a.GetType(s.Operand().ID()).Kind() {
			case types.MapKind, types.StructKind, types.TypeParamKind:
			default:
				n++
			}
		}
	}
	for _, c := range children(e) {
		n += dynSelections(a, c)
	}
	return n
}

// hasComprehension reports whether e contains a comprehension (all, exists, map, filter, ...).
func hasComprehension(e celast.Expr) bool {
	if e.Kind() == celast.ComprehensionKind {
		return true
	}
	for _, c := range children(e) {
		if hasComprehension(c) {
			return true
		}
	}
	return false
}
