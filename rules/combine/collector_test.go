package combine

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/transform"
)

func collectorDoc(t *testing.T, spec string) map[string]any {
	t.Helper()
	var s map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(spec), &s))
	return map[string]any{"apiVersion": APIVersion, "kind": Kind, "metadata": map[string]any{"name": "sc"}, "spec": s}
}

func TestParseCollectorValidation(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		// fields are the field paths the errors must name.
		fields []string
		reason string
	}{
		{name: "select with combinedFields", spec: "{select: [{name: a, def: '1'}], combinedFields: [{name: c, type: COUNT}]}",
			fields: []string{"spec"}, reason: "KubeStellar: select excludes groupBy and combinedFields"},
		{name: "groupBy alone", spec: "{groupBy: [{name: g, def: '1'}]}",
			fields: []string{"spec"}, reason: "KubeStellar: groupBy needs combinedFields"},
		{name: "COUNT with subject", spec: "{combinedFields: [{name: c, type: COUNT, subject: '1'}]}",
			fields: []string{"spec.combinedFields[0].subject"}, reason: "KubeStellar: COUNT has no subject"},
		{name: "SUM without subject", spec: "{combinedFields: [{name: c, type: SUM}]}",
			fields: []string{"spec.combinedFields[0].subject"}, reason: "KubeStellar: the other aggregators need one"},
		{name: "unknown type", spec: "{combinedFields: [{name: c, type: MEDIAN, subject: '1'}]}",
			fields: []string{"spec.combinedFields[0].type"}},
		{name: "parse error", spec: "{select: [{name: a, def: 'returned.status.'}]}",
			fields: []string{"spec.select[0].def"}},
		{name: "unknown variable", spec: "{select: [{name: a, def: 'object.spec'}]}",
			fields: []string{"spec.select[0].def"}, reason: "the variable is obj, as in KubeStellar"},
		{name: "non-bool filter", spec: "{filter: \"'yes'\", select: [{name: a, def: '1'}]}",
			fields: []string{"spec.filter"}},
		{name: "duplicate column", spec: "{groupBy: [{name: a, def: '1'}], combinedFields: [{name: a, type: COUNT}]}",
			fields: []string{"spec.combinedFields[0].name"}},
		{name: "empty name", spec: "{select: [{def: '1'}]}", fields: []string{"spec.select[0].name"}},
		{name: "negative limit", spec: "{limit: -1, select: [{name: a, def: '1'}]}", fields: []string{"spec.limit"}},
		{name: "fractional limit", spec: "{limit: 1.5, select: [{name: a, def: '1'}]}", fields: []string{"spec.limit"}},
		{name: "unknown field", spec: "{selects: []}", fields: []string{"spec.selects"}},
		{name: "all at once", spec: "{filter: '1 +', combinedFields: [{name: c, type: AVG}], limit: -2}",
			fields: []string{"spec.filter", "spec.combinedFields[0].subject", "spec.limit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCollector(collectorDoc(t, tc.spec))
			require.Error(t, err, tc.reason)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, ErrInvalidCollector)
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ce *CollectorError
				require.True(t, errors.As(e, &ce), "%v", e)
				assert.Equal(t, "sc", ce.Collector)
				got = append(got, ce.Field)
			}
			assert.ElementsMatch(t, tc.fields, got, "%v", err)
		})
	}
}

func TestParseCollectorHeader(t *testing.T) {
	_, err := ParseCollector(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{}})
	require.Error(t, err)
	for _, f := range []string{"apiVersion", "kind", "metadata.name"} {
		assert.Contains(t, err.Error(), f)
	}
	c, err := ParseCollector(collectorDoc(t, "{select: [{name: a, def: '1'}]}"))
	require.NoError(t, err)
	assert.Equal(t, DefaultLimit, c.Limit(), "absent limit is 20")
	c, err = ParseCollector(collectorDoc(t, "{limit: 0, select: [{name: a, def: '1'}]}"))
	require.NoError(t, err)
	assert.Equal(t, DefaultLimit, c.Limit(), "0 is what a Go client leaving Limit unset sends")
}

// TestHostileCollectorIsBounded: an expression that would run for minutes stops at the
// per-expression cost limit and becomes a row error wrapping rules.ErrCostBudget.
func TestHostileCollectorIsBounded(t *testing.T) {
	c, err := ParseCollector(collectorDoc(t, `{select: [{name: a, def: "lists.range(1000000).filter(i, i % 2 == 0).size()"}]}`))
	require.NoError(t, err)
	res := c.Combine(nil, []WECStatus{{WEC: "w", Returned: Returned{Reported: true}}})
	require.Len(t, res.RowErrors, 1)
	assert.ErrorIs(t, res.RowErrors[0], ErrRow)
	assert.ErrorIs(t, res.RowErrors[0], rules.ErrCostBudget)
	var ce *rules.CostError
	require.ErrorAs(t, res.RowErrors[0], &ce)
	assert.True(t, ce.PerExpression)
}

// TestHugeValueIsARowError: a value past the cell size cap is an error, not a giant object.
func TestHugeValueIsARowError(t *testing.T) {
	c, err := ParseCollector(collectorDoc(t, `{select: [{name: a, def: "returned.status.big"}]}`))
	require.NoError(t, err)
	big := strings.Repeat("x", maxValueBytes+1)
	res := c.Combine(nil, []WECStatus{{WEC: "w", Returned: Returned{Reported: true, Status: map[string]any{"big": big}}}})
	require.Len(t, res.RowErrors, 1, "%+v", res)
	assert.ErrorIs(t, res.RowErrors[0], transform.ErrBudget)
	assert.Equal(t, TypeNull, res.Rows[0].Columns[0].Type)
}
