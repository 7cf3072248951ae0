package combine

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/rules/placement"
)

func mustCollector(t testing.TB, name, spec string) *Collector {
	t.Helper()
	d := collectorDoc(t.(*testing.T), spec)
	d["metadata"] = map[string]any{"name": name}
	c, err := ParseCollector(d)
	require.NoError(t, err)
	return c
}

var depKey = placement.Key{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "web"}

func depSpec(wecs []string, multi bool, policies ...Policy) ObjectSpec {
	req := placement.StatusRequest{S: []string{}, M: []string{}}
	if multi {
		req.MultiWEC, req.M = true, wecs
	}
	return ObjectSpec{
		Object:   Object{Key: depKey, APIVersion: "apps/v1", Kind: "Deployment", UID: "u"},
		Content:  map[string]any{"metadata": map[string]any{"name": "web"}},
		Request:  req,
		Policies: policies,
	}
}

func TestCombinerChangesOnlyWhatAWECFeeds(t *testing.T) {
	sum := mustCollector(t, "sum", "{combinedFields: [{name: total, type: SUM, subject: returned.status.replicas}]}")
	cb := NewCombiner([]*Collector{sum})
	ch := cb.SetObject(depSpec([]string{"a", "b"}, true,
		Policy{Name: "p1", UID: "p1", WECs: []string{"a", "b"}, Collectors: []string{"sum"}},
		Policy{Name: "p2", UID: "p2", WECs: []string{"c"}, Collectors: []string{"sum"}},
		Policy{Name: "p3", UID: "p3", WECs: []string{"a"}},
	))
	assert.True(t, ch.Status)
	assert.Equal(t, []string{"p1", "p2"}, ch.CombinedStatuses, "p3 names no collector: no CombinedStatus")

	ch = cb.SetReturned(depKey, "a", Returned{Reported: true, Status: map[string]any{"replicas": int64(2)}})
	assert.True(t, ch.Status, "a is one of the aggregated WECs")
	assert.Equal(t, []string{"p1"}, ch.CombinedStatuses, "only p1 has a among its WECs")

	ch = cb.SetReturned(depKey, "a", Returned{Reported: true, Status: map[string]any{"replicas": int64(2)}})
	assert.Equal(t, Changes{}, ch, "the same status again changes nothing")

	ch = cb.SetReturned(depKey, "c", Returned{Reported: true, Status: map[string]any{"replicas": int64(7)}})
	assert.False(t, ch.Status, "c is not among the WECs the decision reads")
	assert.Equal(t, []string{"p2"}, ch.CombinedStatuses)

	cs := cb.CombinedStatusFor(depKey, "p1")
	require.NotNil(t, cs)
	assert.Equal(t, "u.p1", cs.Metadata.Name)
	assert.Equal(t, "2", *cs.Results[0].Rows[0].Columns[0].Number)

	ch = cb.DeleteReturned(depKey, "a")
	assert.True(t, ch.Status)
	assert.Equal(t, []string{"p1"}, ch.CombinedStatuses)
	assert.Equal(t, "0", *cb.CombinedStatusFor(depKey, "p1").Results[0].Rows[0].Columns[0].Number)

	assert.Equal(t, Changes{}, cb.SetReturned(placement.Key{Name: "unknown"}, "a", Returned{Reported: true}))
	cb.DeleteObject(depKey)
	_, ok := cb.Status(depKey)
	assert.False(t, ok)
}

// TestCombinerOutputsAreCopies: what Status returns is the caller's; changing it does not
// change the Combiner, and the caller's returned status is never modified.
func TestCombinerOutputsAreCopies(t *testing.T) {
	cb := NewCombiner(nil)
	spec := depSpec([]string{"a"}, true)
	cb.SetObject(spec)
	st := map[string]any{"replicas": int64(1), "conditions": []any{map[string]any{"type": "Available"}}}
	cb.SetReturned(depKey, "a", Returned{Reported: true, Status: st})
	o, _ := cb.Status(depKey)
	o.Status["replicas"] = int64(99)
	o.Status["conditions"].([]any)[0].(map[string]any)["type"] = "changed"
	o2, _ := cb.Status(depKey)
	assert.Equal(t, int64(1), o2.Status["replicas"])
	assert.Equal(t, "Available", st["conditions"].([]any)[0].(map[string]any)["type"])
}

// TestCombinerConcurrent runs updates and reads from many goroutines (meaningful under -race).
func TestCombinerConcurrent(t *testing.T) {
	sum := mustCollector(t, "sum", "{combinedFields: [{name: total, type: SUM, subject: returned.status.replicas}]}")
	cb := NewCombiner([]*Collector{sum})
	wecs := []string{"a", "b", "c", "d"}
	cb.SetObject(depSpec(wecs, true, Policy{Name: "p", WECs: wecs, Collectors: []string{"sum"}}))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				w := wecs[(i+j)%len(wecs)]
				cb.SetReturned(depKey, w, Returned{Reported: true, Status: map[string]any{"replicas": int64(1)}})
				cb.Status(depKey)
				cb.CombinedStatuses(depKey)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, "4", *cb.CombinedStatusFor(depKey, "p").Results[0].Rows[0].Columns[0].Number)
}

// TestCombineEqualsCombiner: the one-shot Collector.Combine and the incremental Combiner give
// the same table whatever order the WECs report in.
func TestCombineEqualsCombiner(t *testing.T) {
	c := mustCollector(t, "g", "{groupBy: [{name: z, def: 'returned.status.z'}], combinedFields: [{name: m, type: MAX, subject: returned.status.v}], limit: 3}")
	var in []WECStatus
	var names []string
	for i := range 30 {
		w := fmt.Sprintf("w%02d", (i*7)%30)
		names = append(names, w)
		in = append(in, WECStatus{WEC: w, Returned: Returned{Reported: true, Status: map[string]any{"z": int64(i % 5), "v": int64(i)}}})
	}
	want := c.Combine(nil, in)
	cb := NewCombiner([]*Collector{c})
	spec := depSpec(nil, false, Policy{Name: "p", WECs: names, Collectors: []string{"g"}})
	spec.Content = nil
	cb.SetObject(spec)
	for i := len(in) - 1; i >= 0; i-- {
		cb.SetReturned(depKey, in[i].WEC, in[i].Returned)
	}
	assert.Equal(t, want, cb.CombinedStatusFor(depKey, "p").Results[0])
	require.Len(t, want.Rows, 3, "limit keeps the first 3 of 5 groups")
	assert.Equal(t, "0", *want.Rows[0].Columns[0].Number)
}
