package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"k8s.io/apiserver/pkg/cel/library"

	"github.com/wecforge/wecforge/customization"
)

// checkNames finds uses of names the scope does not offer, with messages more precise than the
// checker's "undeclared reference".
func checkNames(a *cel.Ast, sc scope) []depError {
	var out []depError
	var visit func(e celast.Expr, shadowed []string)
	visit = func(e celast.Expr, shadowed []string) {
		switch e.Kind() {
		case celast.SelectKind:
			s := e.AsSelect()
			if op := s.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == varVariables && !slices.Contains(shadowed, varVariables) {
				switch {
				case !sc.variables:
					out = append(out, depError{e.ID(), fmt.Errorf("variables are not visible here (this expression sees %s)", sc.what)})
				case !slices.Contains(sc.names, s.FieldName()):
					known := "none"
					if len(sc.names) > 0 {
						known = strings.Join(sc.names, ", ")
					}
					out = append(out, depError{e.ID(), fmt.Errorf("unknown variable %q (variables defined before this point: %s)", s.FieldName(), known)})
				}
				return
			}
		case celast.IdentKind:
			n := e.AsIdent()
			switch {
			case slices.Contains(shadowed, n):
			case n == varVariables:
				out = append(out, depError{e.ID(), errors.New("variables must be used as variables.<name>")})
			case (n == varCluster || n == varProperties) && !sc.wec:
				out = append(out, depError{e.ID(), fmt.Errorf("%s is not visible here (this expression sees %s)", n, sc.what)})
			}
			return
		case celast.ComprehensionKind:
			// Iteration and accumulator variables shadow the top-level names inside the loop.
			cp := e.AsComprehension()
			visit(cp.IterRange(), shadowed)
			visit(cp.AccuInit(), shadowed)
			inner := append(slices.Clone(shadowed), cp.IterVar(), cp.AccuVar())
			if cp.HasIterVar2() {
				inner = append(inner, cp.IterVar2())
			}
			visit(cp.LoopCondition(), inner)
			visit(cp.LoopStep(), inner)
			visit(cp.Result(), inner)
			return
		}
		for _, c := range children(e) {
			visit(c, shadowed)
		}
	}
	visit(a.NativeRep().Expr(), nil)
	return out
}

// children returns the direct subexpressions of e.
func children(e celast.Expr) []celast.Expr {
	switch e.Kind() {
	case celast.SelectKind:
		return []celast.Expr{e.AsSelect().Operand()}
	case celast.CallKind:
		c := e.AsCall()
		out := slices.Clone(c.Args())
		if c.IsMemberFunction() {
			out = append(out, c.Target())
		}
		return out
	case celast.ListKind:
		return e.AsList().Elements()
	case celast.MapKind:
		var out []celast.Expr
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			out = append(out, me.Key(), me.Value())
		}
		return out
	case celast.StructKind:
		var out []celast.Expr
		for _, f := range e.AsStruct().Fields() {
			out = append(out, f.AsStructField().Value())
		}
		return out
	case celast.ComprehensionKind:
		cp := e.AsComprehension()
		return []celast.Expr{cp.IterRange(), cp.AccuInit(), cp.LoopCondition(), cp.LoopStep(), cp.Result()}
	}
	return nil
}

// depError is a name an expression may not use, at the expression node that uses it.
type depError struct {
	id  int64
	err error
}

// analyzeDeps walks a checked AST and records which WEC inputs it reads: keyed reads of
// properties, labels, annotations and ConfigMap data where the key is a constant
// (properties.k, properties['k'], properties[?'k'], properties.?k, has(properties.k),
// 'k' in properties, and the same below cluster.labels, .annotations and .configMap); any
// other use of such a map counts as reading all of it. cluster.name is the WEC's identity and
// no dependency. Comprehension variables that shadow a name are not reads of it. It also
// reports whether the expression reads object.
func analyzeDeps(a *celast.AST) (customization.Dependencies, bool) {
	var w depWalker
	w.visit(a.Expr(), nil)
	return w.d, w.object
}

type depWalker struct {
	d      customization.Dependencies
	object bool
}

// mapOf names the keyed WEC map e denotes: "properties", or "labels", "annotations",
// "configMap" for cluster.<member>; "" otherwise.
func mapOf(e celast.Expr, shadowed []string) string {
	switch e.Kind() {
	case celast.IdentKind:
		if e.AsIdent() == varProperties && !slices.Contains(shadowed, varProperties) {
			return varProperties
		}
	case celast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() || s.Operand().Kind() != celast.IdentKind || s.Operand().AsIdent() != varCluster || slices.Contains(shadowed, varCluster) {
			return ""
		}
		switch f := s.FieldName(); f {
		case "labels", "annotations", "configMap":
			return f
		}
	}
	return ""
}

func constKey(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

func (w *depWalker) keyed(m, key string) {
	switch m {
	case varProperties:
		w.d.AddProperty(key)
	case "labels":
		w.d.AddLabel(key)
	case "annotations":
		w.d.AddAnnotation(key)
	case "configMap":
		w.d.AddConfigMap(key)
	}
}

func (w *depWalker) all(m string) {
	switch m {
	case varProperties:
		w.d.AllProperties = true
	case "labels":
		w.d.AllLabels = true
	case "annotations":
		w.d.AllAnnotations = true
	case "configMap":
		w.d.AllConfigMap = true
	case varCluster:
		w.d.AllLabels, w.d.AllAnnotations, w.d.AllConfigMap = true, true, true
	}
}

func (w *depWalker) visit(e celast.Expr, shadowed []string) {
	switch e.Kind() {
	case celast.IdentKind:
		n := e.AsIdent()
		if slices.Contains(shadowed, n) {
			return
		}
		switch n {
		case varProperties, varCluster:
			w.all(n)
		case varObject:
			w.object = true
		}
		return
	case celast.SelectKind:
		s := e.AsSelect()
		if m := mapOf(s.Operand(), shadowed); m != "" {
			w.keyed(m, s.FieldName())
			return
		}
		if m := mapOf(e, shadowed); m != "" {
			w.all(m) // cluster.labels as a whole
			return
		}
		if op := s.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == varCluster && !slices.Contains(shadowed, varCluster) {
			return // cluster.name
		}
	case celast.CallKind:
		c := e.AsCall()
		args := c.Args()
		if len(args) == 2 {
			m, key := "", args[1]
			switch c.FunctionName() {
			case operators.Index, operators.OptIndex, operators.OptSelect:
				m = mapOf(args[0], shadowed)
			case operators.In:
				m, key = mapOf(args[1], shadowed), args[0]
			}
			if k, ok := constKey(key); ok && m != "" {
				w.keyed(m, k)
				return
			}
		}
	case celast.ComprehensionKind:
		cp := e.AsComprehension()
		w.visit(cp.IterRange(), shadowed)
		w.visit(cp.AccuInit(), shadowed)
		inner := append(slices.Clone(shadowed), cp.IterVar(), cp.AccuVar())
		if cp.HasIterVar2() {
			inner = append(inner, cp.IterVar2())
		}
		w.visit(cp.LoopCondition(), inner)
		w.visit(cp.LoopStep(), inner)
		w.visit(cp.Result(), inner)
		return
	}
	for _, ch := range children(e) {
		w.visit(ch, shadowed)
	}
}

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
	if hasComprehension(a.Expr()) || callsAny(a.Expr(), unboundedResults) {
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

// unboundedResults are the functions whose static estimate ignores the size of what they
// work on or build: string.format's result can be many times its arguments
// (`'%s%s…'.format([x, x, …])`) and size() of a string counts its runes, so expressions
// calling them are always tracked and charged what they do (costEstimator).
var unboundedResults = []string{"format", "size"}

// callsAny reports whether e calls one of the named functions.
func callsAny(e celast.Expr, names []string) bool {
	if e.Kind() == celast.CallKind && slices.Contains(names, e.AsCall().FunctionName()) {
		return true
	}
	for _, c := range children(e) {
		if callsAny(c, names) {
			return true
		}
	}
	return false
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
