package combine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/placement"
)

// Sentinel errors; every typed error of this package wraps one of them and its cause.
var (
	// ErrInvalidCollector is wrapped by every [*CollectorError].
	ErrInvalidCollector = errors.New("invalid StatusCollector")
	// ErrRow is wrapped by every [*RowError]: an expression failed for one WEC's row.
	ErrRow = errors.New("status collector row error")
	// ErrFilterResult is the cause of a row error whose filter gave neither a bool nor null.
	ErrFilterResult = errors.New("filter result is neither a bool nor null")
	// ErrNotAtomic is the cause of a row error whose groupBy value is a list or a map.
	ErrNotAtomic = errors.New("groupBy value is not atomic")
	// ErrAggregation is wrapped by every [*AggregationError].
	ErrAggregation = errors.New("status collector aggregation error")
	// ErrNoValues is the cause of an aggregation error of AVG, MIN or MAX over no values.
	ErrNoValues = errors.New("no values to aggregate")
	// ErrSubject is the cause of an aggregation error whose subject is not a number (nor a
	// string holding one).
	ErrSubject = errors.New("subject is not a number")
	// ErrSingletonCount is wrapped by every [*SingletonCountError].
	ErrSingletonCount = errors.New("singleton reported state needs exactly one WEC")
)

// CollectorError is one problem of a StatusCollector document. [ParseCollector] returns every
// problem of a document at once, joined with errors.Join.
type CollectorError struct {
	// Collector is the StatusCollector's metadata.name; empty when the name is the problem.
	Collector string
	// Field is the field path inside the document (`spec.select[1].def`).
	Field string
	// Pos is the position inside an expression, nil when not meaningful.
	Pos *rules.Pos
	// Err is the cause.
	Err error
}

// Error formats `statuscollector NAME: field: line:col: cause`, leaving out empty parts.
func (e *CollectorError) Error() string {
	var parts []string
	if e.Collector != "" {
		parts = append(parts, "statuscollector "+e.Collector)
	}
	if e.Field != "" {
		parts = append(parts, e.Field)
	}
	if e.Pos != nil && e.Pos.Line > 0 {
		parts = append(parts, e.Pos.String())
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns [ErrInvalidCollector] and the cause.
func (e *CollectorError) Unwrap() []error { return []error{ErrInvalidCollector, e.Err} }

// Destination names a WEC the way KubeStellar's CombinedStatus does (`{"clusterId": …}`).
type Destination struct {
	ClusterID string `json:"clusterId"`
}

// RowError is an expression that failed for one WEC's row, in the JSON shape of KubeStellar's
// RowEvaluationError (`wec`, `columnName`, `error`). ColumnName is "" for the filter. It is
// also a Go error wrapping [ErrRow] and its cause (CEL evaluation errors, [ErrFilterResult],
// [ErrNotAtomic], a *[rules.CostError]).
type RowError struct {
	WEC        Destination `json:"wec"`
	ColumnName string      `json:"columnName"`
	// Message is Err's text, kept for the JSON form.
	Message string `json:"error"`
	// Collector names the StatusCollector (not serialized: the result it sits in says so).
	Collector string `json:"-"`
	Err       error  `json:"-"`
}

func newRowError(collector, wec, column string, err error) *RowError {
	return &RowError{WEC: Destination{ClusterID: wec}, ColumnName: column, Message: err.Error(), Collector: collector, Err: err}
}

// Error names the collector, WEC and column.
func (e *RowError) Error() string {
	col := e.ColumnName
	if col == "" {
		col = "filter"
	} else {
		col = "column " + col
	}
	return fmt.Sprintf("statuscollector %s: WEC %s: %s: %s", e.Collector, e.WEC.ClusterID, col, e.Message)
}

// Unwrap returns [ErrRow] and the cause.
func (e *RowError) Unwrap() []error { return []error{ErrRow, e.Err} }

// AggregationError is a combined field that could not be computed exactly, in the JSON shape
// of KubeStellar's ErrorInColumn (`columnName`, `error`). It wraps [ErrAggregation] and its
// cause ([ErrNoValues], [ErrSubject]).
type AggregationError struct {
	ColumnName string `json:"columnName"`
	Message    string `json:"error"`
	// Collector names the StatusCollector; WEC the WEC whose value failed ("" for
	// [ErrNoValues]). Neither is serialized separately (the message names the WEC).
	Collector string `json:"-"`
	WEC       string `json:"-"`
	Err       error  `json:"-"`
}

func newAggregationError(collector, column, wec string, err error) *AggregationError {
	msg := err.Error()
	if wec != "" {
		msg = "for WEC " + wec + ": " + msg
	}
	return &AggregationError{ColumnName: column, Message: msg, Collector: collector, WEC: wec, Err: err}
}

// Error names the collector and column.
func (e *AggregationError) Error() string {
	return fmt.Sprintf("statuscollector %s: column %s: %s", e.Collector, e.ColumnName, e.Message)
}

// Unwrap returns [ErrAggregation] and the cause.
func (e *AggregationError) Unwrap() []error { return []error{ErrAggregation, e.Err} }

// SingletonCountError says that an object's policies ask for singleton reported state but
// not exactly one WEC qualifies; its status is cleared. It belongs in the status errors of
// every policy that asks for singleton state for the object.
type SingletonCountError struct {
	Object placement.Key
	// Qualified is how many WECs qualified (|S|, or |S ∪ M| when both were asked).
	Qualified int
}

// Error names the object and the count.
func (e *SingletonCountError) Error() string {
	return fmt.Sprintf("%s: %s, but %d WECs qualify; its reported state is cleared", e.Object, ErrSingletonCount, e.Qualified)
}

// Unwrap returns [ErrSingletonCount].
func (e *SingletonCountError) Unwrap() error { return ErrSingletonCount }
