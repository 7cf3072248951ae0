package loop

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/wecforge/wecforge/examples/transport/statusloop"
	"github.com/wecforge/wecforge/rules/combine"
)

// collectorSink records the StatusCollectors handed to it.
type collectorSink struct {
	recordingSink
	cmu      sync.Mutex
	calls    int
	names    []string
	statuses []statusloop.CollectorStatus
}

func (s *collectorSink) SetCollectors(cols []*combine.Collector, statuses []statusloop.CollectorStatus) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.calls++
	s.names = s.names[:0]
	for _, c := range cols {
		s.names = append(s.names, c.Name())
	}
	s.statuses = statuses
}

func (s *collectorSink) snapshot() (int, []string, []statusloop.CollectorStatus) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.calls, append([]string(nil), s.names...), s.statuses
}

func statusCollector(name string, gen int64, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": combine.APIVersion, "kind": combine.Kind,
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}
	u.SetGeneration(gen)
	return u
}

// TestLoopLiveStatusCollectors: the source's StatusCollectors go to the status loop with the
// configuration files' ones; an invalid one is left out with its errors for its status, one
// named like a file's is an error; they are never delivered; an unchanged set is not handed
// over again.
func TestLoopLiveStatusCollectors(t *testing.T) {
	valid := map[string]any{"select": []any{map[string]any{"name": "wec", "def": "inventory.name"}}}
	invalid := map[string]any{"select": []any{map[string]any{"name": "wec", "def": "inventory.name +"}}}
	sink := &collectorSink{recordingSink: recordingSink{placed: map[string]statusloop.ObjectPlacement{}}}
	clusters := []runtime.Object{mc("east1", map[string]string{"region": "east"})}
	src := newSource(cm("a"), statusCollector("live", 2, valid), statusCollector("broken", 5, invalid), statusCollector("file", 1, valid))
	h := startLoop(t, Config{LiveConfig: true, Status: sink,
		ConfigDocuments: []*unstructured.Unstructured{statusCollector("file", 1, valid)}}, clusters, nil, src)
	eventually(t, "collectors handed over", func() bool { n, _, _ := sink.snapshot(); return n > 0 })
	eventually(t, "a delivered", func() bool { return h.manifest(t, "east1", "a") != nil })
	calls, names, statuses := sink.snapshot()
	assert.Equal(t, []string{"file", "live"}, names)
	byName := map[string]statusloop.CollectorStatus{}
	for _, s := range statuses {
		byName[s.Name] = s
	}
	assert.Empty(t, byName["live"].Errors)
	assert.Equal(t, int64(2), byName["live"].Generation)
	assert.NotEmpty(t, byName["broken"].Errors, "an invalid collector's status says why")
	assert.Equal(t, int64(5), byName["broken"].Generation)
	assert.Len(t, byName["file"].Errors, 1, "a name also in the files is an error")
	assert.Contains(t, byName["file"].Errors[0], ErrDefinedTwice.Error())
	assert.Nil(t, h.manifest(t, "east1", "live"), "a StatusCollector is never delivered")

	src.set(cm("a"), cm("b"), statusCollector("live", 2, valid), statusCollector("broken", 5, invalid), statusCollector("file", 1, valid))
	eventually(t, "b delivered", func() bool { return h.manifest(t, "east1", "b") != nil })
	again, _, _ := sink.snapshot()
	assert.Equal(t, calls, again, "an unchanged set of collectors is not handed over again")
}
