package workers

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
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
