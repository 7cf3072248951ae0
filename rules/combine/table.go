package combine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Result is one collector's table for one object, in the JSON shape of KubeStellar's
// NamedStatusCombination. Rows are sorted (select: by WEC name; aggregation: by the groupBy
// values in column order) and cut to the collector's limit. RowErrors hold, per column (""
// for the filter), the error of the first WEC in name order that has one. A Result is the
// caller's; nothing else refers to it.
type Result struct {
	Name              string              `json:"name"`
	ColumnNames       []string            `json:"columnNames"`
	Rows              []Row               `json:"rows,omitempty"`
	RowErrors         []*RowError         `json:"rowErrors,omitempty"`
	AggregationErrors []*AggregationError `json:"aggregationErrors,omitempty"`
}

// Row is one row of a [Result].
type Row struct {
	Columns []Value `json:"columns"`
}

// Errors returns the result's row and aggregation errors as Go errors, row errors first.
func (r *Result) Errors() []error {
	out := make([]error, 0, len(r.RowErrors)+len(r.AggregationErrors))
	for _, e := range r.RowErrors {
		out = append(out, e)
	}
	for _, e := range r.AggregationErrors {
		out = append(out, e)
	}
	return out
}

// WECStatus is one destination WEC's returned status, an input of [Collector.Combine].
type WECStatus struct {
	WEC string
	Returned
}

// Combine evaluates the collector over the destination WECs of one object: one row per WEC
// (a WEC that has not reported is a row with an empty status). obj is the WDS object as
// expressions see it (`obj`); obj and wecs are read, never modified. A WEC named twice counts
// once (the last entry). Combine is safe for concurrent use; a [Combiner] does the same work
// incrementally.
func (c *Collector) Combine(obj map[string]any, wecs []WECStatus) *Result {
	byName := make(map[string]int, len(wecs))
	names := make([]string, 0, len(wecs))
	for i, w := range wecs {
		if _, dup := byName[w.WEC]; !dup {
			names = append(names, w.WEC)
		}
		byName[w.WEC] = i
	}
	slices.Sort(names)
	rows := make([]row, len(names))
	for i, n := range names {
		rows[i] = c.evalRow(obj, n, wecs[byName[n]].Returned)
	}
	return c.table(names, rows)
}

// table builds the result from evaluated rows; names are the rows' WECs, sorted.
func (c *Collector) table(names []string, rows []row) *Result {
	res := &Result{Name: c.name, ColumnNames: c.ColumnNames()}
	seen := map[string]bool{}
	for i := range rows {
		for _, e := range rows[i].errs {
			if !seen[e.ColumnName] {
				seen[e.ColumnName] = true
				res.RowErrors = append(res.RowErrors, e)
			}
		}
	}
	if !c.aggregates() {
		for i := range rows {
			if len(res.Rows) >= c.limit {
				break
			}
			if rows[i].included {
				res.Rows = append(res.Rows, Row{Columns: slices.Clone(rows[i].vals)})
			}
		}
		return res
	}
	c.aggregate(res, names, rows)
	return res
}

type group struct {
	vals    []Value
	members []int
}

// aggregate groups the rows without errors and computes the combined fields of the first
// limit groups.
func (c *Collector) aggregate(res *Result, names []string, rows []row) {
	var groups []*group
	byKey := map[string]*group{}
	var kb strings.Builder
	for i := range rows {
		r := &rows[i]
		if !r.included || len(r.errs) > 0 {
			continue
		}
		kb.Reset()
		for _, v := range r.vals {
			k := v.key()
			kb.WriteString(strconv.Itoa(len(k)))
			kb.WriteByte(':')
			kb.WriteString(k)
		}
		g := byKey[kb.String()]
		if g == nil {
			g = &group{vals: r.vals}
			byKey[kb.String()] = g
			groups = append(groups, g)
		}
		g.members = append(g.members, i)
	}
	if len(c.groupBy) == 0 && len(groups) == 0 {
		groups = append(groups, &group{})
	}
	slices.SortFunc(groups, func(a, b *group) int {
		for i := range a.vals {
			if x := compareValues(a.vals[i], b.vals[i]); x != 0 {
				return x
			}
		}
		return 0
	})
	if len(groups) > c.limit {
		groups = groups[:c.limit]
	}
	for _, g := range groups {
		cols := make([]Value, 0, len(c.columns))
		cols = append(cols, g.vals...)
		for ai, a := range c.combined {
			v, err := c.combine(ai, a, g, names, rows)
			cols = append(cols, v)
			if err != nil {
				res.AggregationErrors = append(res.AggregationErrors, err)
			}
		}
		res.Rows = append(res.Rows, Row{Columns: cols})
	}
}

// combine computes combined field ai over group g: COUNT counts the rows (nulls included);
// the others skip null subjects, and a subject that is not a number is an aggregation error
// (the first such WEC in name order) and skipped too. Over no values SUM is 0 and AVG, MIN
// and MAX are Null with an aggregation error.
func (c *Collector) combine(ai int, a aggregator, g *group, names []string, rows []row) (Value, *AggregationError) {
	if a.typ == Count {
		return intValue(int64(len(g.members))), nil
	}
	var firstErr *AggregationError
	n := 0
	var acc float64
	for _, m := range g.members {
		s := rows[m].subj[ai]
		switch s.kind {
		case subjectNull:
			continue
		case subjectBad:
			if firstErr == nil {
				firstErr = newAggregationError(c.name, a.name, names[m], s.err)
			}
			continue
		}
		switch {
		case n == 0:
			acc = s.f
		case a.typ == Min:
			acc = min(acc, s.f)
		case a.typ == Max:
			acc = max(acc, s.f)
		default:
			acc += s.f
		}
		n++
	}
	switch {
	case a.typ == Sum:
		return NumberValue(acc), firstErr
	case n == 0:
		err := newAggregationError(c.name, a.name, "", fmt.Errorf("%w: %s over no values", ErrNoValues, a.typ))
		if firstErr != nil {
			err = firstErr
		}
		return NullValue(), err
	case a.typ == Avg:
		return NumberValue(acc / float64(n)), firstErr
	}
	return NumberValue(acc), firstErr
}
