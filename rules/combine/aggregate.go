package combine

import "fmt"

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
