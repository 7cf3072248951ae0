package transform

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform/jsonpath"
)

// SizeOf is the JSON encoding's length for values without escapes (plus one byte per
// non-empty container), and stops at its limits.
func TestSizeOfMatchesJSON(t *testing.T) {
	for _, v := range []any{
		"abc", int64(-12345), int64(0), true, false, nil, 1.5,
		map[string]any{}, []any{},
	} {
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		s := SizeOf(v, 1<<20, 100)
		if _, isFloat := v.(float64); isFloat {
			assert.GreaterOrEqual(t, s.Bytes, int64(len(raw)), "floats are bounded from above")
			continue
		}
		assert.Equal(t, int64(len(raw)), s.Bytes, "%s", raw)
	}
	nested := map[string]any{"a": []any{"x", int64(1), map[string]any{"b": nil}}, "cc": true}
	raw, _ := json.Marshal(nested)
	assert.Equal(t, int64(len(raw)+3), SizeOf(nested, 1<<20, 100).Bytes, "three non-empty containers")
	deep := any("x")
	for range 10 {
		deep = []any{deep}
	}
	assert.Equal(t, 10, SizeOf(deep, 1<<20, 100).Depth)
	assert.True(t, SizeOf(deep, 1<<20, 9).TooDeep)
	big := SizeOf(strings.Repeat("x", 100), 50, 10)
	assert.True(t, big.Over)
}

// A nil *Budget charges nothing and never fails.
func TestNilBudget(t *testing.T) {
	var b *Budget
	require.NoError(t, b.Charge(1<<40))
	require.NoError(t, b.Produce(1<<40))
	require.NoError(t, b.ProduceValue(map[string]any{"a": "b"}))
	assert.Positive(t, b.StepsLeft())
	assert.Equal(t, DefaultMaxSteps, b.Limits().MaxSteps)
}

// Exhausting a limit fails with its kind and keeps failing.
func TestBudgetExhaustion(t *testing.T) {
	b := NewBudget(Limits{MaxSteps: 10, MaxBytes: 10})
	require.NoError(t, b.Charge(10))
	var be *BudgetError
	require.True(t, errors.As(b.Charge(1), &be))
	assert.Equal(t, LimitSteps, be.Kind)
	require.ErrorIs(t, b.Charge(1), ErrBudget)
	require.True(t, errors.As(b.Produce(11), &be))
	assert.Equal(t, LimitBytes, be.Kind)
	assert.Contains(t, be.Error(), "MaxBytes")
}

// A budgeted Object refuses a write that would make it too large or too deep, leaves its
// tree as it was, and tracks its size through writes, removals, forks and adoption.
func TestObjectWritesAreAccounted(t *testing.T) {
	o := NewObject(map[string]any{"a": "xx"})
	o.SetBudget(NewBudget(Limits{MaxObjectBytes: 60, MaxDepth: 3}))
	require.NoError(t, o.SetAt(jsonpath.Location{{Key: "b"}}, strings.Repeat("y", 20)))
	sizeOf := func() int64 { return SizeOf(o.Root(), 1<<20, 100).Bytes }
	assert.Equal(t, sizeOf(), o.size)

	var be *BudgetError
	err := o.SetAt(jsonpath.Location{{Key: "c"}}, strings.Repeat("z", 40))
	require.True(t, errors.As(err, &be), "%v", err)
	assert.Equal(t, LimitObjectBytes, be.Kind)
	_, exists := o.Get(jsonpath.Location{{Key: "c"}})
	assert.False(t, exists, "the failed write changed nothing")

	err = o.SetAt(jsonpath.Location{{Key: "d"}}, []any{[]any{[]any{"deep"}}})
	require.True(t, errors.As(err, &be), "%v", err)
	assert.Equal(t, LimitDepth, be.Kind)

	require.True(t, o.RemoveAt(jsonpath.Location{{Key: "b"}}))
	assert.Equal(t, sizeOf(), o.size)
	f := o.Fork()
	require.NoError(t, f.SetAt(jsonpath.Location{{Key: "e"}}, map[string]any{"k": int64(12)}))
	o.Adopt(f)
	assert.Equal(t, sizeOf(), o.size)
}
