package combine

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/transform"
)

// maxValueBytes caps the JSON size of one cell (a select or groupBy value); a bigger value is
// a row error, so a collector cannot blow a CombinedStatus up past what an API server stores.
const maxValueBytes = 64 << 10

// Returned is what one WEC has sent back for one object.
type Returned struct {
	// Reported says the WEC has reported the object's status. A WEC that has not is a row
	// with an empty status.
	Reported bool
	// Status is the object's `.status` on the WEC. Read, never modified; a [Combiner]
	// keeps it until it is replaced, so the caller must not modify it afterwards.
	Status map[string]any
	// LastUpdated is when the returned value was first observed (an observation time, not
	// the WEC's clock); zero when unknown. Expressions see it as
	// propagation.lastReturnedUpdateTimestamp (null when zero).
	LastUpdated time.Time
}

// row is one WEC's evaluated row of one collector.
type row struct {
	// included: the filter is absent or gave true.
	included bool
	// errs are the row's errors, filter first, then the columns in order.
	errs []*RowError
	// vals are the groupBy or select values, in column order (Null where an expression failed).
	vals []Value
	// subj holds one subject per combined field.
	subj []subjectValue
}

type subjectKind uint8

const (
	subjectNull subjectKind = iota
	subjectNumber
	subjectBad
)

type subjectValue struct {
	kind subjectKind
	f    float64
	err  error
}

// rowVars is the variables of one row, built only when an expression reads them (most
// collectors read one or two of the four).
type rowVars struct {
	obj      map[string]any
	wec      string
	r        Returned
	returned map[string]any
}

// ResolveName implements interpreter.Activation.
func (v *rowVars) ResolveName(name string) (any, bool) {
	switch name {
	case varObj:
		if v.obj == nil {
			return map[string]any{}, true
		}
		return v.obj, true
	case varReturned:
		if v.returned == nil {
			status := v.r.Status
			if status == nil {
				status = map[string]any{}
			}
			v.returned = map[string]any{"status": status}
		}
		return v.returned, true
	case varInventory:
		return map[string]string{"name": v.wec}, true
	case varPropagation:
		var ts any // null before the first report
		if !v.r.LastUpdated.IsZero() {
			ts = v.r.LastUpdated.UTC()
		}
		return map[string]any{"lastReturnedUpdateTimestamp": ts}, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (v *rowVars) Parent() interpreter.Activation { return nil }

// evalRow evaluates collector c for one WEC.
func (c *Collector) evalRow(obj map[string]any, wec string, r Returned) row {
	var out row
	act := &rowVars{obj: obj, wec: wec, r: r}
	if c.filter != nil {
		v, err := c.filter.eval(act)
		if err == nil {
			switch b := v.(type) {
			case types.Bool:
				if !b {
					return out
				}
			case types.Null:
				return out // null is false, as KubeStellar's API documents
			default:
				err = fmt.Errorf("%w: it is a %s", ErrFilterResult, v.Type().TypeName())
			}
		}
		if err != nil {
			out.errs = append(out.errs, newRowError(c.name, wec, "", err))
			return out
		}
	}
	out.included = true
	cols := c.sel
	if c.aggregates() {
		cols = c.groupBy
	}
	out.vals = make([]Value, len(cols))
	for i, col := range cols {
		val, err := col.def.value(act)
		if err == nil && c.aggregates() && !val.atomic() {
			err = fmt.Errorf("%w: it is an %s", ErrNotAtomic, val.Type)
		}
		if err != nil {
			out.errs = append(out.errs, newRowError(c.name, wec, col.name, err))
			val = NullValue()
		}
		out.vals[i] = val
	}
	if len(c.combined) > 0 {
		out.subj = make([]subjectValue, len(c.combined))
		for i, a := range c.combined {
			if a.subject == nil {
				continue
			}
			v, err := a.subject.eval(act)
			if err != nil {
				out.errs = append(out.errs, newRowError(c.name, wec, a.name, err))
				continue
			}
			out.subj[i] = subjectOf(v)
		}
	}
	return out
}

// eval runs the program; a cost-limit cancellation becomes a *rules.CostError.
func (e *expr) eval(act interpreter.Activation) (ref.Val, error) {
	v, _, err := e.prg.Eval(act)
	if err != nil {
		if ce := rules.CELCostError(err, e.limit); ce != nil {
			return nil, ce
		}
		return nil, err
	}
	return v, nil
}

// value evaluates e and converts the result to a Value of at most maxValueBytes.
func (e *expr) value(act interpreter.Activation) (Value, error) {
	v, err := e.eval(act)
	if err != nil {
		return Value{}, err
	}
	j, err := rules.CELToJSON(v, transform.NewBudget(transform.Limits{MaxBytes: maxValueBytes, MaxSteps: maxValueBytes}))
	if err != nil {
		return Value{}, err
	}
	return valueOf(j)
}

// subjectOf reads a subject as KubeStellar does: numbers as they are, strings parsed as
// numbers; null is no value (skipped, as SQL aggregates skip NULL); anything else is an error.
func subjectOf(v ref.Val) subjectValue {
	switch x := v.(type) {
	case types.Int:
		return subjectValue{kind: subjectNumber, f: float64(x)}
	case types.Uint:
		return subjectValue{kind: subjectNumber, f: float64(x)}
	case types.Double:
		return finite(float64(x))
	case types.Null:
		return subjectValue{kind: subjectNull}
	case types.String:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return subjectValue{kind: subjectBad, err: fmt.Errorf("%w: the string %q does not parse as one", ErrSubject, truncate(string(x), 64))}
		}
		return finite(f)
	}
	return subjectValue{kind: subjectBad, err: fmt.Errorf("%w: it is a %s", ErrSubject, v.Type().TypeName())}
}

func finite(f float64) subjectValue {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return subjectValue{kind: subjectBad, err: fmt.Errorf("%w: %v is not a finite number", ErrSubject, f)}
	}
	return subjectValue{kind: subjectNumber, f: f}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
