package rules

import (
	"errors"
	"math"

	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"
	"k8s.io/apiserver/pkg/cel/library"
)

// costEstimator is the runtime cost model of tracked expressions: Kubernetes' (which covers
// its own library and the common string functions), except for the operations whose work is
// linear in their operands but that Kubernetes and cel-go charge as constants or by their
// top-level size only:
//   - size() of a string counts its runes: one traversal of the string;
//   - == and != on lists and maps compare element by element, recursively: one traversal of
//     the smaller operand, nested lists and maps included;
//   - + on strings and bytes builds a new value of both operands' size, also on dyn operands
//     (list + stays constant: comprehensions append to their accumulator in place);
//   - string.format (cel-go's strings extension) is charged by its result's length as well as
//     its format string's, so `'%s%s'.format([x, x])` pays for what it builds.
//
// A traversal costs what cel-go charges for scanning a string: one unit per ten bytes, or
// one unit per element of a list or map. Charges are computed from the values, never
// estimated, and computing them is bounded by the values' sizes.
type costEstimator struct {
	library.CostEstimator
}

// CallCost implements interpreter.ActualCostEstimator. It looks at the function name and the
// values, not only at the overload: a call on dyn operands (a field of object) is dispatched
// at run time and reaches the estimator without the typed overload's id.
func (c *costEstimator) CallCost(function, overloadID string, args []ref.Val, result ref.Val) *uint64 {
	var cost uint64
	switch {
	case (function == overloads.Size || overloadID == overloads.SizeString || overloadID == overloads.SizeStringInst) && len(args) == 1:
		s, ok := args[0].(types.String)
		if !ok {
			break
		}
		cost = 1 + scanCost(len(s))
		return &cost
	case (function == operators.Equals || function == operators.NotEquals) && len(args) == 2:
		if isAggregate(args[0]) && isAggregate(args[1]) {
			cost = 1 + min(deepCost(args[0]), deepCost(args[1]))
			return &cost
		}
	case function == operators.Add && len(args) == 2:
		switch args[0].(type) {
		case types.String, types.Bytes:
			cost = 1 + scanCost(byteLen(args[0])+byteLen(args[1]))
			return &cost
		}
	case function == "format" || overloadID == overloads.ExtFormatString:
		if len(args) >= 1 {
			cost = 1 + scanCost(stringLen(args[0])) + scanCost(stringLen(result))
			return &cost
		}
	}
	return c.CostEstimator.CallCost(function, overloadID, args, result)
}

func byteLen(v ref.Val) int {
	switch x := v.(type) {
	case types.String:
		return len(x)
	case types.Bytes:
		return len(x)
	}
	return 0
}

// scanCost is cel-go's cost of scanning n bytes of a string.
func scanCost(n int) uint64 {
	return uint64(math.Ceil(float64(n) * common.StringTraversalCostFactor))
}

func stringLen(v ref.Val) int {
	if s, ok := v.(types.String); ok {
		return len(s)
	}
	return 0
}

func isAggregate(v ref.Val) bool {
	switch v.(type) {
	case traits.Lister, traits.Mapper:
		return true
	}
	return false
}

// deepCost is the cost of traversing v: one unit per list item or map entry, nested ones
// included, and scanCost for strings.
func deepCost(v ref.Val) uint64 {
	switch x := v.(type) {
	case types.String:
		return scanCost(len(x))
	case types.Bytes:
		return scanCost(len(x))
	case traits.Lister:
		var cost uint64
		for it := x.Iterator(); it.HasNext() == types.True; {
			cost += 1 + deepCost(it.Next())
		}
		return cost
	case traits.Mapper:
		var cost uint64
		for it := x.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			cost += 1 + deepCost(k) + deepCost(x.Get(k))
		}
		return cost
	}
	return 1
}

// isCostError reports whether err is CEL's "cost limit exceeded" cancellation.
func isCostError(err error) bool {
	var ce interpreter.EvalCancelledError
	return errors.As(err, &ce) && ce.Cause == interpreter.CostLimitExceeded
}
