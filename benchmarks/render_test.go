package benchmarks

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/internal/budgetoff"
	"github.com/wecforge/wecforge/transform"
)

// BenchmarkDeepCopy is the physical floor of giving each WEC a private copy of the Deployment.
func BenchmarkDeepCopy(b *testing.B) {
	d := Deployment()
	b.ReportAllocs()
	for b.Loop() {
		_ = d.DeepCopy()
	}
}

func preparedDeployment(tb testing.TB, rulesN int) (*transform.Pipeline, *transform.Prepared) {
	tb.Helper()
	p, err := Engine(rulesN)
	require.NoError(tb, err)
	prep := p.Prepare(context.Background(), Deployment())
	require.NoError(tb, prep.Err)
	return p, prep
}

// BenchmarkRenderPair renders one (Deployment, WEC) pair: template expansion and the 3-rule
// set, the WEC-independent stages already done once per object as in production.
func BenchmarkRenderPair(b *testing.B) {
	p, prep := preparedDeployment(b, 3)
	benchmarkRender(b, p, prep)
}

// BenchmarkRenderPairUnbudgeted is BenchmarkRenderPair without the per-pair budget (no step,
// byte, size or depth accounting; a context only the module's own benchmarks can make): the
// difference is what the budget's bookkeeping costs.
func BenchmarkRenderPairUnbudgeted(b *testing.B) {
	p, prep := preparedDeployment(b, 3)
	benchmarkRenderCtx(b, budgetoff.Context(context.Background()), p, prep)
}

// benchmarkRender times one pair render of prep for WEC 1.
func benchmarkRender(b *testing.B, p *transform.Pipeline, prep *transform.Prepared) {
	benchmarkRenderCtx(b, context.Background(), p, prep)
}

func benchmarkRenderCtx(b *testing.B, ctx context.Context, p *transform.Pipeline, prep *transform.Prepared) {
	wec := WEC(1)
	b.ReportAllocs()
	for b.Loop() {
		if res := p.Render(ctx, prep, wec); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

// BenchmarkRenderPairWithoutTrace is BenchmarkRenderPair on Pipeline.WithoutTrace: the same
// object, errors and dependencies, no per-WEC change records.
func BenchmarkRenderPairWithoutTrace(b *testing.B) {
	p, prep := preparedDeployment(b, 3)
	benchmarkRender(b, p.WithoutTrace(), prep)
}

// BenchmarkRenderPairRules sweeps the rule-set size (most of the larger sets' rules do not
// match the object or the WEC, as in a shared rule set).
func BenchmarkRenderPairRules(b *testing.B) {
	for _, n := range []int{3, 10, 100} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			p, prep := preparedDeployment(b, n)
			benchmarkRender(b, p, prep)
		})
	}
}

// BenchmarkPeerTechnique produces the same object as BenchmarkRenderPair the way the peers do
// (see PeerRender); TestPeerTechniqueMatchesEngine proves the outputs are equal.
func BenchmarkPeerTechnique(b *testing.B) {
	_, prep := preparedDeployment(b, 3)
	wec := WEC(1)
	in := prep.Object()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PeerRender(in, wec); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPeerTechniqueMatchesEngine(t *testing.T) {
	p, prep := preparedDeployment(t, 3)
	for _, i := range []int{0, 1, 2, 3, 7} {
		wec := WEC(i)
		res := p.Render(context.Background(), prep, wec)
		require.NoError(t, res.Err)
		peer, err := PeerRender(prep.Object(), wec)
		require.NoError(t, err)
		require.Equal(t, peer.Object, res.Object.Object, "wec %s", wec.Name())
	}
}

// BenchmarkFleet renders every pair of a fleet once (streaming, all cores) with the 10-rule set;
// ns/pair is wall time per pair, MiB-sys the memory the process got from the OS.
func BenchmarkFleet(b *testing.B) { benchmarkFleet(b, false) }

// BenchmarkFleetWithoutTrace is BenchmarkFleet for a controller that does not explain
// (Pipeline.WithoutTrace): same objects, errors and dependencies, no per-WEC change records.
func BenchmarkFleetWithoutTrace(b *testing.B) { benchmarkFleet(b, true) }

func benchmarkFleet(b *testing.B, lean bool) {
	for _, size := range []struct{ objects, wecs int }{{100, 1000}, {1000, 1000}, {100, 10000}, {1000, 10000}} {
		b.Run(fmt.Sprintf("objects=%d/wecs=%d", size.objects, size.wecs), func(b *testing.B) {
			p, err := Engine(10)
			require.NoError(b, err)
			if lean {
				p = p.WithoutTrace()
			}
			ctx := context.Background()
			preps := prepareAll(b, p, Objects(size.objects))
			wecs := Fleet(size.wecs)
			b.ReportAllocs()
			for b.Loop() {
				if failed := RenderFleet(ctx, p, preps, wecs); failed != 0 {
					b.Fatalf("%d pairs failed", failed)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(size.objects*size.wecs), "ns/pair")
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.Sys)/(1<<20), "MiB-sys")
		})
	}
}

func prepareAll(tb testing.TB, p *transform.Pipeline, objs []*unstructured.Unstructured) []*transform.Prepared {
	tb.Helper()
	preps := make([]*transform.Prepared, len(objs))
	for i, o := range objs {
		preps[i] = p.Prepare(context.Background(), o)
		require.NoError(tb, preps[i].Err)
	}
	return preps
}
