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
// for the filter), the error of the first WEC in name order that has one. A Result is
// immutable once returned; a [Combiner] shares it between calls (read only).
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
	t := newTable(c, names)
	for i, n := range names {
		t.setRow(i, c.evalRow(obj, n, wecs[byName[n]].Returned))
	}
	t.refresh()
	return t.result
}

// table is one collector's incremental state over the rows of one object's WECs: the rows
// with errors, the rows that count, and (aggregation) the groups with their members, so that
// changing one row costs its own evaluation plus the recomputation of the groups it leaves
// and joins.
type table struct {
	c      *Collector
	wecs   []string // sorted
	rows   []row
	errs   []int // indexes of rows with errors, ascending
	counts []int // indexes of rows that count (select: included; aggregation: included, no error)
	// aggregation
	groupOf []*group
	groups  map[string]*group
	order   []*group // sorted; nil after a group appears or disappears
	result  *Result
}

type group struct {
	key     string
	members []int // ascending
	vals    []Value
	dirty   bool
	cols    []Value
	errs    []*AggregationError
}

func newTable(c *Collector, wecs []string) *table {
	t := &table{c: c, wecs: wecs, rows: make([]row, len(wecs))}
	if c.aggregates() {
		t.groupOf = make([]*group, len(wecs))
		t.groups = map[string]*group{}
	}
	return t
}

// setRow replaces row i; refresh rebuilds the result afterwards.
func (t *table) setRow(i int, r row) {
	t.rows[i] = r
	t.errs = setMember(t.errs, i, len(r.errs) > 0)
	counts := r.included && (!t.c.aggregates() || len(r.errs) == 0)
	t.counts = setMember(t.counts, i, counts)
	if !t.c.aggregates() {
		return
	}
	var g *group
	if counts {
		k := groupKey(r.vals)
		g = t.groups[k]
		if g == nil {
			g = &group{key: k}
			t.groups[k] = g
			t.order = nil
		}
	}
	if old := t.groupOf[i]; old == g && g != nil {
		g.dirty = true
		return
	} else if old != nil {
		old.members = setMember(old.members, i, false)
		old.dirty = true
		if len(old.members) == 0 {
			delete(t.groups, old.key)
			t.order = nil
		}
	}
	if g != nil {
		g.members = setMember(g.members, i, true)
		g.dirty = true
	}
	t.groupOf[i] = g
}

// setMember adds or removes i in the ascending list l.
func setMember(l []int, i int, in bool) []int {
	at, found := slices.BinarySearch(l, i)
	switch {
	case in && !found:
		return slices.Insert(l, at, i)
	case !in && found:
		return slices.Delete(l, at, at+1)
	}
	return l
}

func groupKey(vals []Value) string {
	var kb strings.Builder
	for _, v := range vals {
		k := v.key()
		kb.WriteString(strconv.Itoa(len(k)))
		kb.WriteByte(':')
		kb.WriteString(k)
	}
	return kb.String()
}

// refresh rebuilds the result from the rows and groups, recomputing dirty groups only, and
// reports whether it changed.
func (t *table) refresh() bool {
	c := t.c
	res := &Result{Name: c.name, ColumnNames: c.columns}
	seen := map[string]bool{}
	for _, i := range t.errs {
		for _, e := range t.rows[i].errs {
			if !seen[e.ColumnName] {
				seen[e.ColumnName] = true
				res.RowErrors = append(res.RowErrors, e)
			}
		}
	}
	if !c.aggregates() {
		for _, i := range t.counts[:min(len(t.counts), c.limit)] {
			res.Rows = append(res.Rows, Row{Columns: t.rows[i].vals})
		}
	} else {
		t.aggregate(res)
	}
	if t.result != nil && sameResult(t.result, res) {
		return false
	}
	t.result = res
	return true
}

func (t *table) aggregate(res *Result) {
	c := t.c
	if t.order == nil {
		t.order = make([]*group, 0, len(t.groups))
		for _, g := range t.groups {
			t.order = append(t.order, g)
		}
		for _, g := range t.order {
			g.vals = t.rows[g.members[0]].vals
		}
		slices.SortFunc(t.order, func(a, b *group) int {
			for i := range a.vals {
				if x := compareValues(a.vals[i], b.vals[i]); x != 0 {
					return x
				}
			}
			return 0
		})
	}
	groups := t.order
	if len(c.groupBy) == 0 && len(groups) == 0 {
		groups = []*group{{dirty: true}} // no groupBy: one row, even over no rows
	}
	for _, g := range groups[:min(len(groups), c.limit)] {
		if g.dirty {
			g.recompute(t)
		}
		res.Rows = append(res.Rows, Row{Columns: g.cols})
		res.AggregationErrors = append(res.AggregationErrors, g.errs...)
	}
}

func (g *group) recompute(t *table) {
	c := t.c
	g.dirty = false
	if len(g.members) > 0 {
		g.vals = t.rows[g.members[0]].vals
	}
	g.cols = make([]Value, 0, len(c.columns))
	g.cols = append(g.cols, g.vals...)
	g.errs = nil
	for ai, a := range c.combined {
		v, err := c.combine(ai, a, g.members, t.wecs, t.rows)
		g.cols = append(g.cols, v)
		if err != nil {
			g.errs = append(g.errs, err)
		}
	}
}

// sameResult compares two results of one collector.
func sameResult(a, b *Result) bool {
	if len(a.Rows) != len(b.Rows) || len(a.RowErrors) != len(b.RowErrors) || len(a.AggregationErrors) != len(b.AggregationErrors) {
		return false
	}
	for i := range a.Rows {
		if !slices.EqualFunc(a.Rows[i].Columns, b.Rows[i].Columns, equalValues) {
			return false
		}
	}
	for i := range a.RowErrors {
		x, y := a.RowErrors[i], b.RowErrors[i]
		if x.WEC != y.WEC || x.ColumnName != y.ColumnName || x.Message != y.Message {
			return false
		}
	}
	for i := range a.AggregationErrors {
		x, y := a.AggregationErrors[i], b.AggregationErrors[i]
		if x.ColumnName != y.ColumnName || x.Message != y.Message {
			return false
		}
	}
	return true
}

// combine computes combined field ai over the rows members (ascending indexes into rows;
// names are their WECs): COUNT counts the rows (nulls included); the others skip null
// subjects, and a subject that is not a number is an aggregation error (the first such WEC in
// name order) and skipped too. Over no values SUM is 0 and AVG, MIN and MAX are Null with an
// aggregation error.
func (c *Collector) combine(ai int, a aggregator, members []int, names []string, rows []row) (Value, *AggregationError) {
	if a.typ == Count {
		return intValue(int64(len(members))), nil
	}
	var firstErr *AggregationError
	n := 0
	var acc float64
	for _, m := range members {
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
		if firstErr != nil {
			return NullValue(), firstErr
		}
		return NullValue(), newAggregationError(c.name, a.name, "", fmt.Errorf("%w: %s over no values", ErrNoValues, a.typ))
	case a.typ == Avg:
		return NumberValue(acc / float64(n)), firstErr
	}
	return NumberValue(acc), firstErr
}
