package rules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wecforge/wecforge/transform/patch"
)

// Sentinel errors. Every [CompileError] wraps [ErrCompile] and its cause; runtime failures wrap
// the sentinel that describes them, so callers can test with errors.Is.
var (
	// ErrCompile is wrapped by every [CompileError].
	ErrCompile = errors.New("invalid CustomizationRule")
	// ErrCostBudget is wrapped when a pair's CEL evaluation exceeds its cost budget.
	ErrCostBudget = errors.New("CEL cost budget exceeded")
	// ErrResultType is wrapped when a CEL result has a type the field does not accept.
	ErrResultType = errors.New("wrong result type")
	// ErrPatch is wrapped when a JSON patch or merge patch cannot be applied to an object. It
	// is [patch.ErrFailed], so either tests the same errors.
	ErrPatch = patch.ErrFailed
	// ErrTestFailed is wrapped when a JSON patch "test" operation does not hold. It is
	// [patch.ErrTestFailed].
	ErrTestFailed = patch.ErrTestFailed
	// ErrPathTooDeep is wrapped by the [CompileError] of a path or JSON pointer deeper than
	// [MaxPathDepth] allows.
	ErrPathTooDeep = errors.New("path too deep")
	// ErrSelfCopy is wrapped by the [CompileError] of a JSON patch copy into its own subtree.
	ErrSelfCopy = errors.New("copy into its own subtree")
)

// CostError is a CEL evaluation that exceeded a cost limit: the budget of the pair
// ([CostLimit]) or, with PerExpression, the limit of one expression ([MaxExpressionCost]).
// It wraps [ErrCostBudget].
type CostError struct {
	Limit         uint64
	PerExpression bool
}

// Error names the limit.
func (e *CostError) Error() string {
	if e.PerExpression {
		return fmt.Sprintf("%s (the limit of one expression is %d)", ErrCostBudget, e.Limit)
	}
	return fmt.Sprintf("%s (the budget of one object and WEC is %d)", ErrCostBudget, e.Limit)
}

// Unwrap returns [ErrCostBudget].
func (e *CostError) Unwrap() error { return ErrCostBudget }

// Pos is a position inside one field's text. Expressions and templates use Line and Column
// (both 1-based); paths and JSON pointers use Offset (0-based byte offset) with Line zero.
type Pos struct {
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	Offset int `json:"offset,omitempty"`
}

// String formats the position as `line:col` or `offset N`.
func (p Pos) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	return fmt.Sprintf("offset %d", p.Offset)
}

// CompileError is one problem found while compiling a rule set. [Compile] returns every
// problem at once, joined with errors.Join.
type CompileError struct {
	// Source says where the document came from ("rules.yaml#3"); may be empty.
	Source string
	// Rule is the rule's metadata.name; empty when the name itself is the problem.
	Rule string
	// Field is the field path inside the document (`spec.actions[2].set.value`); empty for
	// problems with the document as a whole.
	Field string
	// Pos is the position inside the field's text, nil when unknown or not meaningful.
	Pos *Pos
	// Err is the cause.
	Err error
}

// Error formats `source: rule NAME: field: line:col: cause`, leaving out empty parts. Positions
// in paths and templates are part of the cause's own message, so only expression positions
// (line and column) are printed here.
func (e *CompileError) Error() string {
	var b strings.Builder
	add := func(s string) {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(s)
	}
	if e.Source != "" {
		add(e.Source)
	}
	if e.Rule != "" {
		add("rule " + e.Rule)
	}
	if e.Field != "" {
		add(e.Field)
	}
	if e.Pos != nil && e.Pos.Line > 0 && e.Pos.Column > 0 {
		add(e.Pos.String())
	}
	if e.Err != nil {
		add(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns [ErrCompile] and the cause.
func (e *CompileError) Unwrap() []error { return []error{ErrCompile, e.Err} }

// problems collects the compile errors of one document.
type problems struct {
	source string
	rule   string
	errs   []error
}

func (p *problems) add(field string, pos *Pos, err error) {
	p.errs = append(p.errs, &CompileError{Source: p.source, Rule: p.rule, Field: field, Pos: pos, Err: err})
}

func (p *problems) addf(field, format string, args ...any) {
	p.add(field, nil, fmt.Errorf(format, args...))
}

// actionError is a runtime failure of one part of an action.
type actionError struct {
	field string // `spec.actions[0].set.value`
	path  string // the object's field path involved, if any
	err   error
}

func (e *actionError) Error() string { return e.field + ": " + e.err.Error() }
func (e *actionError) Unwrap() error { return e.err }
