package benchmarks

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kubefake "k8s.io/client-go/kubernetes/fake"
	workfake "open-cluster-management.io/api/client/work/clientset/versioned/fake"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/registry/sharding"
)

// runningSharder returns a Sharder that has finished its first round against an in-memory hub
// (client-go's fake clientset) as the only replica: it holds every shard and leads.
func runningSharder(b *testing.B) *sharding.Sharder {
	b.Helper()
	s, err := sharding.New(sharding.Options{
		Client: kubefake.NewClientset(), Namespace: "wecforge-system", Group: "transport", Identity: "replica-a",
	})
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(10 * time.Second)
	for len(s.Snapshot().Owned) < sharding.DefaultShards {
		require.True(b, time.Now().Before(deadline), "the Sharder did not take its shards")
		time.Sleep(time.Millisecond)
	}
	return s
}

// BenchmarkShardingFence measures the check a Deliverer makes before every ManifestWork write
// of a sharded transport: Sharder.Fence of one WEC name (hash to a shard, read the hold and its
// validity). The WEC names cycle through 5,000.
func BenchmarkShardingFence(b *testing.B) {
	s := runningSharder(b)
	names := make([]string, 5000)
	for i := range names {
		names[i] = fmt.Sprintf("wec-%05d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, _, ok := s.Fence(names[i%len(names)]); !ok {
			b.Fatal("the only replica must own every WEC")
		}
	}
}

// BenchmarkFencedApply measures what fencing adds to one delivery: Deliverer.Apply of 20
// ConfigMaps to one WEC, one of them changed each iteration (one ManifestWork update), against
// OCM's fake work clientset (an in-memory object tracker: no API server, no network), without
// a Fencer ("unfenced") and with a running Sharder as the Fencer ("fenced": the owner and epoch
// stamps, the stamp check of the read works and a Fence call before the write). Both
// sub-benchmarks run in one invocation so their ratio compares like with like.
func BenchmarkFencedApply(b *testing.B) {
	s := runningSharder(b)
	for _, bc := range []struct {
		name   string
		fencer delivery.Fencer
	}{{"unfenced", nil}, {"fenced", s}} {
		b.Run(bc.name, func(b *testing.B) {
			//lint:ignore SA1019 OCM's api module generates no apply configurations, so its fake has no NewClientset
			d, err := delivery.New(workfake.NewSimpleClientset(), delivery.Options{Fencer: bc.fencer})
			require.NoError(b, err)
			objs := make([]delivery.Object, 20)
			for i := range objs {
				objs[i] = delivery.Object{Object: &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": "v1", "kind": "ConfigMap",
					"metadata": map[string]any{"name": fmt.Sprintf("cm-%02d", i), "namespace": "shop"},
					"data":     map[string]any{"v": "0"},
				}}}
			}
			ctx := context.Background()
			_, err = d.Apply(ctx, "cluster1", "transport", objs, delivery.ApplyOptions{})
			require.NoError(b, err)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				changed := objs[i%len(objs)].Object.DeepCopy()
				changed.Object["data"] = map[string]any{"v": fmt.Sprint(i + 1)}
				in := append([]delivery.Object(nil), objs...)
				in[i%len(objs)] = delivery.Object{Object: changed}
				rep, err := d.Apply(ctx, "cluster1", "transport", in, delivery.ApplyOptions{})
				if err != nil || rep.Writes() != 1 {
					b.Fatalf("Apply: %d writes, %v", rep.Writes(), err)
				}
			}
		})
	}
}
