package workers

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDoCallsEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 100} {
		seen := make([]atomic.Int32, n)
		Do(n, func(i int) { seen[i].Add(1) })
		for i := range seen {
			assert.Equal(t, int32(1), seen[i].Load(), "n=%d i=%d", n, i)
		}
	}
}

// A cancelled context stops the hand-out: far fewer than n items run, and the context's
// error is returned. The item that cancels runs to completion, as do those already started.
func TestDoContextStopsWhenCancelled(t *testing.T) {
	const n = 1_000_000
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int64
	err := DoContext(ctx, n, func(i int) {
		if ran.Add(1) == 10 {
			cancel()
		}
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, ran.Load(), int64(n/2))
}

func TestDoContextNilAndUncancelled(t *testing.T) {
	var ran atomic.Int64
	//lint:ignore SA1012 nil is documented as accepted
	require.NoError(t, DoContext(nil, 50, func(int) { ran.Add(1) })) //nolint:staticcheck
	require.NoError(t, DoContext(context.Background(), 50, func(int) { ran.Add(1) }))
	assert.Equal(t, int64(100), ran.Load())
}
