package customization_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/customization"
)

type memoKey struct{ name string }

func TestMemoBuildsOncePerWECAndKey(t *testing.T) {
	a, err := customization.New("a", map[string]string{"region": "eu"}, nil, nil)
	require.NoError(t, err)
	b, err := customization.New("b", map[string]string{"region": "us"}, nil, nil)
	require.NoError(t, err)
	var builds atomic.Int32
	regionOf := func(w *customization.WEC) func() any {
		return func() any { builds.Add(1); v, _ := w.Lookup("region"); return v }
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			assert.Equal(t, "eu", a.Memo(memoKey{"region"}, regionOf(a)))
			assert.Equal(t, "us", b.Memo(memoKey{"region"}, regionOf(b)))
		})
	}
	wg.Wait()
	assert.Equal(t, "eu", a.Memo(memoKey{"region"}, func() any { return "not rebuilt" }))
	assert.Equal(t, "other key", a.Memo(memoKey{"other"}, func() any { return "other key" }))
	assert.LessOrEqual(t, builds.Load(), int32(16), "at most one build per caller racing the first store")
	assert.GreaterOrEqual(t, builds.Load(), int32(2))
}
