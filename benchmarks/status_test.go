package benchmarks

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
)

// statusFleet is one Deployment bound to nWECs WECs by one policy asking for multi-WEC state
// and naming three collectors (an aggregate without groupBy, an aggregate grouped by zone, a
// select), with every WEC's returned status.
type statusFleet struct {
	collectors []*combine.Collector
	spec       combine.ObjectSpec
	returned   []combine.WECStatus
}

func newStatusFleet(tb testing.TB, nWECs int) *statusFleet {
	tb.Helper()
	f := &statusFleet{}
	for _, spec := range []map[string]any{
		{"name": "totals", "spec": map[string]any{"combinedFields": []any{
			map[string]any{"name": "wecs", "type": "COUNT"},
			map[string]any{"name": "replicas", "type": "SUM", "subject": "returned.status.replicas"},
			map[string]any{"name": "ready", "type": "MIN", "subject": "returned.status.readyReplicas"}}}},
		{"name": "by-zone", "spec": map[string]any{
			"groupBy":        []any{map[string]any{"name": "zone", "def": "returned.status.zone"}},
			"combinedFields": []any{map[string]any{"name": "avg", "type": "AVG", "subject": "returned.status.readyReplicas"}}}},
		{"name": "lagging", "spec": map[string]any{
			"filter": "returned.status.readyReplicas < obj.spec.replicas",
			"select": []any{map[string]any{"name": "wec", "def": "inventory.name"}, map[string]any{"name": "ready", "def": "returned.status.readyReplicas"}}}},
	} {
		c, err := combine.ParseCollector(map[string]any{"apiVersion": combine.APIVersion, "kind": combine.Kind,
			"metadata": map[string]any{"name": spec["name"]}, "spec": spec["spec"]})
		require.NoError(tb, err)
		f.collectors = append(f.collectors, c)
	}
	wecs := make([]string, nWECs)
	for i := range wecs {
		wecs[i] = fmt.Sprintf("wec-%05d", i)
		f.returned = append(f.returned, combine.WECStatus{WEC: wecs[i], Returned: combine.Returned{Reported: true,
			Status: map[string]any{"replicas": int64(3), "readyReplicas": int64(3 - i%4/3), "zone": fmt.Sprintf("z%d", i%8), "observedGeneration": int64(2)}}})
	}
	key := placement.Key{Group: "apps", Resource: "deployments", Namespace: "shop", Name: "web"}
	f.spec = combine.ObjectSpec{
		Object:   combine.Object{Key: key, APIVersion: "apps/v1", Kind: "Deployment", UID: "web-uid"},
		Content:  map[string]any{"spec": map[string]any{"replicas": int64(3)}},
		Request:  placement.StatusRequest{MultiWEC: true, M: wecs, S: []string{}},
		Policies: []combine.Policy{{Name: "web", UID: "pol-uid", WECs: wecs, Collectors: []string{"totals", "by-zone", "lagging"}}},
	}
	return f
}

// load returns a Combiner holding the fleet's object with every WEC's status.
func (f *statusFleet) load() *combine.Combiner {
	cb := combine.NewCombiner(f.collectors)
	cb.SetObject(f.spec)
	cb.SetReturnedMany(f.spec.Key, f.returned)
	return cb
}

// BenchmarkStatusCombine: everything from scratch — 10,000 WECs × 1 object × 3 collectors,
// every row evaluated (each collector's expressions once per WEC), the multi-WEC aggregate
// and the three tables built.
func BenchmarkStatusCombine(b *testing.B) {
	f := newStatusFleet(b, 10_000)
	cb := f.load()
	b.ReportAllocs()
	for b.Loop() {
		cb.SetObject(f.spec) // re-evaluates every row from the statuses it holds
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10_000, "ns/WEC")
}

// BenchmarkStatusCombineOneWEC: one WEC's returned status changes among 10,000; only its rows
// are evaluated, the tables rebuilt from cached rows, the aggregate recomputed.
func BenchmarkStatusCombineOneWEC(b *testing.B) {
	f := newStatusFleet(b, 10_000)
	cb := f.load()
	statuses := []map[string]any{
		{"replicas": int64(3), "readyReplicas": int64(1), "zone": "z1", "observedGeneration": int64(3)},
		{"replicas": int64(3), "readyReplicas": int64(3), "zone": "z2", "observedGeneration": int64(3)},
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ch := cb.SetReturned(f.spec.Key, "wec-04242", combine.Returned{Reported: true, Status: statuses[i%2]})
		if len(ch.CombinedStatuses) != 1 {
			b.Fatalf("changes %+v: the CombinedStatus must change", ch)
		}
		i++
	}
}

// TestStatusFleetIsRight checks what the benchmarks measure: the tables are exact.
func TestStatusFleetIsRight(t *testing.T) {
	f := newStatusFleet(t, 400)
	cb := f.load()
	cs := cb.CombinedStatusFor(f.spec.Key, "web")
	require.NotNil(t, cs)
	require.Len(t, cs.Results, 3)
	by := map[string]*combine.Result{}
	for _, r := range cs.Results {
		by[r.Name] = r
	}
	tot := by["totals"].Rows[0].Columns
	require.Equal(t, "400", *tot[0].Number)
	require.Equal(t, "1200", *tot[1].Number)
	require.Equal(t, "2", *tot[2].Number)
	require.Len(t, by["by-zone"].Rows, 8)
	require.Len(t, by["lagging"].Rows, 20, "limit 20 by default")
	require.Equal(t, "wec-00003", *by["lagging"].Rows[0].Columns[0].String)
	o, _ := cb.Status(f.spec.Key)
	require.Equal(t, int64(2), o.Status["readyReplicas"])
}
