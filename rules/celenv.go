package rules

import (
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/wecforge/wecforge/transform"
)

// baseEnv is the environment of [celLibraries] without variables, built once per process.
var baseEnv = sync.OnceValues(func() (*cel.Env, error) {
	env, err := cel.NewEnv(celLibraries()...)
	if err != nil {
		return nil, fmt.Errorf("building the CEL environment: %w", err)
	}
	return env, nil
})

// NewCELEnv returns a CEL environment with the libraries, parser limits and validators of
// rule expressions (see docs/rules.md) and no variables, extended with opts (typically
// cel.Variable declarations). Other packages of the module that evaluate user CEL (status
// collectors) use it so that every expression a user writes sees one language. The base is
// built once per process; the returned environment is immutable and safe for concurrent use.
func NewCELEnv(opts ...cel.EnvOption) (*cel.Env, error) {
	base, err := baseEnv()
	if err != nil {
		return nil, err
	}
	if len(opts) == 0 {
		return base, nil
	}
	return base.Extend(opts...)
}

// CELProgramOptions returns the program options of a rule expression: runtime cost tracking
// with the rules cost model, a cost limit of min(limit, [MaxExpressionCost]) per evaluation
// and interrupt checks inside comprehensions, so that a hostile expression stops within its
// limit. A limit of zero means [MaxExpressionCost]. The slice is fresh.
func CELProgramOptions(limit uint64) []cel.ProgramOption {
	if limit == 0 || limit > MaxExpressionCost {
		limit = MaxExpressionCost
	}
	return []cel.ProgramOption{
		cel.EvalOptions(cel.OptOptimize),
		cel.CostLimit(limit),
		cel.CostTracking(&costEstimator{}),
		cel.CostTrackerOptions(interpreter.PresenceTestHasCost(false)),
		cel.InterruptCheckFrequency(100),
	}
}

// CELCostError returns a *[CostError] (PerExpression set, with limit) when err is CEL's
// cost-limit cancellation of a program built with [CELProgramOptions], and nil otherwise.
func CELCostError(err error, limit uint64) error {
	if !isCostError(err) {
		return nil
	}
	if limit == 0 || limit > MaxExpressionCost {
		limit = MaxExpressionCost
	}
	return &CostError{Limit: limit, PerExpression: true}
}

// CELToJSON converts a CEL result to a JSON-shaped value (int64, float64, string, bool,
// []any, map[string]any or nil), as rule actions do: timestamps become RFC 3339 strings,
// durations Go duration strings, bytes base64. Values JSON cannot carry (NaN, non-string map
// keys, types, optional none) are errors wrapping [ErrResultType]. The conversion is charged
// to b (nil: nothing charged); past its limits it stops with a *[transform.BudgetError].
func CELToJSON(v ref.Val, b *transform.Budget) (any, error) {
	return toJSON(v, b)
}
