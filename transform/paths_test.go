package transform

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wecforge/wecforge/transform/jsonpath"
)

func TestPathCacheFormatsLikeLocationString(t *testing.T) {
	var c pathCache
	locs := []jsonpath.Location{
		{{Key: "spec"}, {Key: "replicas"}},
		{{Key: "spec"}, {Key: "ports"}, {Index: 0, IsIndex: true}, {Key: "nodePort"}},
		{{Key: "spec"}, {Key: "ports"}, {Index: 256, IsIndex: true}, {Key: "nodePort"}},
		{{Key: "metadata"}, {Key: "annotations"}, {Key: "example.com/x"}},
		{{Key: "a"}, {Key: "bc"}}, {{Key: "ab"}, {Key: "c"}}, // same bytes, other steps
		{{Key: "0"}}, {{Index: 0, IsIndex: true}},
		{},
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				for _, l := range locs {
					assert.Equal(t, l.String(), c.String(l))
				}
			}
		})
	}
	wg.Wait()
	var nilCache *pathCache
	assert.Equal(t, ".spec.replicas", nilCache.String(locs[0]))
}
